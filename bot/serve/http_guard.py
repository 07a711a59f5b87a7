"""The door in front of Bolt's WSGI handler: size, time, signature and shape, in that order.

Slack's requests are small (a slash command is about 1 KB, a view submission tens of KB) and
Slack gives up on an answer after 3 s. So a body over 1 MiB is refused from its Content-Length
alone (413, never read), a body still arriving after :data:`BODY_DEADLINE` is cut off (408;
the thread is free again), a bad or stale signature gets 401 and a body Bolt could not parse
gets 400, each with one log line that never holds the body. Only a signed, well-formed request
reaches Bolt. Both servers use it: gunicorn (``bot.serve.wsgi``) and ``aprity-diagnose http``.
``GET /healthz`` is answered here too, unsigned (:mod:`bot.serve.health`): it carries no data.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.serve.health import PATH as HEALTH_PATH
from bot.serve.health import Health
from bot.serve.slack_shapes import shape_problem

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BODY_DEADLINE = 3.0  # seconds from the end of the headers; Slack stops waiting at 3 s anyway
SIGNATURE_MAX_AGE = 300  # Slack's own rule: older timestamps are replays
SOCKET_KEYS = ("gunicorn.socket", "aprity.socket")  # where each server puts the client socket
_CHUNK = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refused(Exception):
    """The request is answered here with ``status``; ``reason`` is for the log, never the body."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def signature_ok(secret: bytes, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's v0 signature over the raw bytes (Bolt's verifier would decode them first)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", signature)


_this_connection = threading.local()  # the per-connection watchdog of the thread serving it


class Watchdog:
    """Cuts a socket's read side at a deadline, so a request trickled byte by byte frees its thread.

    Used for the body here, and (``connection=True``) around each whole connection by both
    servers, since a client that stalls in its headers never reaches this middleware."""

    def __init__(self, sock: socket.socket | None, seconds: float, *, connection: bool = False) -> None:
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(seconds, self._fire) if sock is not None else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        self._connection = connection
        if connection:
            _this_connection.watchdog = self

    @staticmethod
    def connection_cut() -> bool:
        """Whether this thread's connection was cut (its body then ends early: that is a timeout)."""
        current = getattr(_this_connection, "watchdog", None)
        return bool(current and current.fired)

    def _fire(self) -> None:
        self.fired = True
        try:
            assert self._sock is not None
            self._sock.shutdown(socket.SHUT_RD)  # the blocked recv() returns at once
        except OSError:
            pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._connection and getattr(_this_connection, "watchdog", None) is self:
            _this_connection.watchdog = None


class HttpGuard:
    """WSGI middleware around Bolt's ``SlackRequestHandler`` (see the module docstring)."""

    def __init__(self, inner: WSGIApp, signing_secret: str, *, path: str = "/slack/events",
                 max_body: int = MAX_BODY, deadline: float = BODY_DEADLINE,
                 clock: Callable[[], float] = time.time, health: Health | None = None) -> None:
        self.inner, self.path, self.health = inner, path, health
        self._secret = signing_secret.encode()
        self._max_body, self._deadline, self._clock = max_body, deadline, clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            if environ.get("PATH_INFO") == HEALTH_PATH and self.health is not None:
                # Unsigned on purpose: load balancers and Docker have no Slack secret; the body holds no data.
                if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
                    raise Refused("405 Method Not Allowed", "")
                return self.health.answer(start_response, head_only=environ.get("REQUEST_METHOD") == "HEAD")
            if environ.get("PATH_INFO") != self.path:
                raise Refused("404 Not Found", "")
            if environ.get("REQUEST_METHOD") != "POST":
                raise Refused("405 Method Not Allowed", "")
            body = self._read_body(environ)
            if not signature_ok(self._secret, body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                                environ.get("HTTP_X_SLACK_SIGNATURE", ""), self._clock()):
                raise Refused("401 Unauthorized", f"invalid or stale signature ({len(body)} bytes)")
            problem = shape_problem(body, environ.get("CONTENT_TYPE", ""))
            if problem:
                raise Refused("400 Bad Request", problem)
        except Refused as r:
            if r.reason:
                log.warning("refused a request: %s", r.reason)
            return _answer(start_response, r.status)
        inner_env = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        try:
            return self.inner(inner_env, start_response)
        except Exception as exc:  # noqa: BLE001 - a shape Bolt chokes on: one line, no traceback, no body
            log.warning("refused a request Bolt could not handle: %s", exc.__class__.__name__)
            log.debug("Bolt's error", exc_info=True)
            return _answer(start_response, "400 Bad Request", sys.exc_info())

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        if length:
            if not length.isdigit():
                raise Refused("400 Bad Request", "Content-Length is not a number")
            if int(length) > self._max_body:
                raise Refused("413 Content Too Large", f"body of {int(length)} bytes is over the limit")
            expected: int | None = int(length)
        elif environ.get("wsgi.input_terminated"):  # chunked: the server marks the end of the body
            expected = None
        else:
            raise Refused("411 Length Required", "no Content-Length")
        sock = next((environ[k] for k in SOCKET_KEYS if k in environ), None)
        watchdog = Watchdog(sock, self._deadline)
        started = time.monotonic()
        buf = bytearray()
        try:
            stream = environ["wsgi.input"]
            while expected is None or len(buf) < expected:
                want = _CHUNK if expected is None else min(_CHUNK, expected - len(buf))
                chunk = stream.read(want)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > self._max_body:
                    raise Refused("413 Content Too Large", "chunked body is over the limit")
                if time.monotonic() - started > self._deadline:
                    raise Refused("408 Request Timeout", "body still arriving at the deadline")
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - cut by the watchdog, a timeout, or the client went away
            raise Refused("408 Request Timeout", f"body not received ({exc.__class__.__name__})") from None
        finally:
            watchdog.cancel()
        if watchdog.fired or Watchdog.connection_cut():
            raise Refused("408 Request Timeout", "body still arriving at the deadline")
        if expected is not None and len(buf) < expected:
            raise Refused("400 Bad Request", "body shorter than its Content-Length")
        return bytes(buf)


def _answer(start_response: Callable[..., Any], status: str, exc_info: Any = None) -> list[bytes]:
    text = status.split(" ", 1)[1].encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text)))]
    if exc_info is not None:
        start_response(status, headers, exc_info)
    else:
        start_response(status, headers)
    return [text]


_BODY_MARKERS = ("body:", "Unhandled request (", "for the request (")


class WithholdBodies(logging.Filter):
    """Bolt puts whole request bodies in some log lines (bad signature at INFO, unhandled request
    at WARNING); keep the line, drop the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(marker in message for marker in _BODY_MARKERS):
            record.msg, record.args = message.split("(", 1)[0].strip() + " (request body withheld)", None
        return True


def quiet_bolt_bodies() -> None:
    """Attach :class:`WithholdBodies` to every Bolt logger (call after the App is built: Bolt
    makes its loggers then). Filters on a logger see only its own records, hence each one."""
    names = [n for n in logging.root.manager.loggerDict if n.startswith("slack_bolt")]
    for name in {*names, "slack_bolt", "slack_bolt.App", "slack_bolt.RequestVerification"}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithholdBodies) for f in logger.filters):
            logger.addFilter(WithholdBodies())
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
