"""One time budget for a whole diagnosis, shared by every Salesforce call in it.

Per-request timeouts alone cannot bound a run: a server that trickles one byte
every two seconds never trips a 15 s read timeout, and a run makes several calls.
A :class:`Deadline` caps each phase's timeout at the budget left, and
:class:`Cutoff` cuts every connection of the run when the budget is gone.
The clock is passed in (monotonic by default) so tests need no patching.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

# Below this, a call is not worth starting: it could not get an answer in time.
MIN_BUDGET = 0.05


class DeadlineExceeded(Exception):
    """The run's budget ran out before Salesforce answered."""


class Deadline:
    """``seconds`` from now by ``clock``; ``None`` seconds means no overall limit."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def remaining(self) -> float:
        if self.seconds is None:
            return float("inf")
        return self.seconds - (self._clock() - self._start)

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        if self.remaining() < MIN_BUDGET:
            raise DeadlineExceeded(self.message)

    @property
    def message(self) -> str:
        return f"Salesforce did not answer within {self.seconds:g} s"

    def cap(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """``timeout`` with every phase (connect, read, write, pool) cut to the budget left."""
        left = self.remaining()
        if left == float("inf"):
            return timeout

        def capped(value: float | None) -> float:
            return max(MIN_BUDGET, min(value if value is not None else left, left))

        return httpx.Timeout(connect=capped(timeout.connect), read=capped(timeout.read),
                             write=capped(timeout.write), pool=capped(timeout.pool))


class Cutoff:
    """Every connection of one run, cut together when its deadline passes or the run ends.

    httpcore's ``trace`` hook hands over each network stream as soon as it is connected, and
    every connection of a run is opened inside the run (its pool is its own), so the socket
    of a warm-up or of a reused keep-alive connection is known as well as the one of the
    call in flight. Closing a socket from another thread does not wake a ``recv`` on Linux;
    ``shutdown`` does, so a reader blocked on a trickle fails at once instead of at its next
    byte. Streamed responses are closed too, which stops in-process transports that have no
    socket. One timer per run, started with its first connection.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.fired = False  # the deadline passed and everything was cut
        self.closed = False  # the run ended: nothing may open or stay open
        self._lock = threading.Lock()
        self._streams: list[Any] = []
        self._responses: set[httpx.Response] = set()
        self._timer: threading.Timer | None = None

    @property
    def cut(self) -> bool:
        return self.fired or self.closed

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: remember each network stream once connected, and hold
        each TLS handshake to the budget left."""
        if event.endswith(".start_tls.started"):
            self._cap_handshake(info)
            return
        if not event.endswith((".connect_tcp.complete", ".start_tls.complete", ".connect_unix_socket.complete")):
            return
        stream = info.get("return_value")
        if stream is None:
            return
        with self._lock:
            # Forget connections already closed, so a long-lived client's list stays short.
            self._streams = [s for s in self._streams if _is_open(s)]
            self._streams.append(stream)
            late = self.cut
        if late:  # connected just as the run was cut: this one goes too
            _shutdown(stream)

    def _cap_handshake(self, info: dict[str, Any]) -> None:
        # During the handshake the TCP socket is detached into its TLS wrapper, which no trace
        # event hands over, so the cutoff cannot shut it down. CPython bounds a whole handshake
        # (not each read) by the socket timeout, which httpcore takes from ``info["timeout"]``:
        # the connect timeout capped when the request was built, before the TCP connect used
        # part of the budget. httpcore passes this very dict to ``start_tls``, so capping it
        # here ends a trickled handshake at the deadline.
        left = self.deadline.remaining()
        timeout = info.get("timeout")
        if left != float("inf") and (timeout is None or timeout > left):
            info["timeout"] = max(MIN_BUDGET, left)

    def track(self, response: httpx.Response) -> None:
        """A streamed response in flight: closed if the run is cut before it is read."""
        with self._lock:
            self._responses.add(response)
            late = self.cut
        if late:
            _close(response)

    def untrack(self, response: httpx.Response) -> None:
        with self._lock:
            self._responses.discard(response)

    def arm(self) -> None:
        """Start the deadline's timer (once): called before the run's first request."""
        with self._lock:
            if self._timer is not None or self.cut:
                return
            left = self.deadline.remaining()
            if left == float("inf"):
                return
            self._timer = threading.Timer(max(0.0, left), self._fire)
            self._timer.name = "deadline"
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
        self._cut_all()

    def close(self) -> None:
        """End the run: cancel the timer and cut whatever is still open (warm-ups included)."""
        with self._lock:
            self.closed = True
            timer = self._timer
        if timer is not None:
            timer.cancel()
        self._cut_all()

    def _cut_all(self) -> None:
        with self._lock:
            streams, responses = list(self._streams), list(self._responses)
        for stream in streams:
            _shutdown(stream)
        for response in responses:
            _close(response)


def _socket_of(stream: Any) -> socket.socket | None:
    try:
        sock = stream.get_extra_info("socket")
    except Exception:  # noqa: BLE001 - any transport: its responses are closed instead
        return None
    return sock if isinstance(sock, socket.socket) else None


def _is_open(stream: Any) -> bool:
    sock = _socket_of(stream)
    return sock is not None and sock.fileno() >= 0


def _shutdown(stream: Any) -> None:
    sock = _socket_of(stream)
    if sock is not None:
        try:
            # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop its SSL
            # object under the feet of the thread reading it.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed (e.g. the TCP socket handed over to its TLS wrapper)


def _close(response: httpx.Response) -> None:
    try:
        response.close()
    except Exception:  # noqa: BLE001 - the reader notices the cut on its own
        pass
