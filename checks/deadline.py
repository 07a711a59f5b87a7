"""One time budget for a whole diagnosis, shared by every Salesforce call in it.

Per-request timeouts alone cannot bound a run: a server that trickles one byte
every two seconds never trips a 15 s read timeout, and a run makes several calls.
A :class:`Deadline` caps each phase's timeout at the budget left, and
:class:`Watchdog` cuts a response whose body is still arriving when the budget
is gone. The clock is passed in (monotonic by default) so tests need no patching.
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


class Watchdog:
    """Cuts the connection of one request when the deadline passes, waking a blocked read.

    Armed before the request is sent: httpcore's trace hook hands over the socket as
    soon as it is connected, so a handshake or headers that trickle in are cut too, not
    only the body. Closing a socket from another thread does not wake a ``recv`` on
    Linux; ``shutdown`` does, so the reader fails at once instead of at its next byte.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._stream: Any = None
        self._response: httpx.Response | None = None
        self._timer: threading.Timer | None = None
        left = deadline.remaining()
        if left != float("inf"):
            self._timer = threading.Timer(max(0.0, left), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: remember the network stream once connected."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._stream = info.get("return_value")

    def attach(self, response: httpx.Response) -> None:
        with self._lock:
            self._response = response
            self._stream = response.extensions.get("network_stream") or self._stream

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            stream, response = self._stream, self._response
        sock: Any = None
        if stream is not None:
            try:
                sock = stream.get_extra_info("socket")
            except Exception:  # noqa: BLE001 - any transport: fall back to closing the response
                sock = None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if response is not None:  # no socket (an in-process transport): its stream stops when closed
            try:
                response.close()
            except Exception:  # noqa: BLE001 - the reader notices the deadline on its own
                pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def __enter__(self) -> "Watchdog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()
