"""``GET /healthz``: is the database writable, is the scheduler running, is Slack's connection up?

200 with ``{"status": "ok", "checks": {...}}`` when all three are, else 503 naming what is down.
Unsigned by design (a load balancer or Docker's HEALTHCHECK has no Slack secret), so the body
says nothing of any session, connection or customer: only the three words and their state.

HTTP mode serves it on the same port as ``/slack/events`` (:class:`bot.serve.http_guard.HttpGuard`
answers it before any signature check); Socket Mode on ``APRITY_HEALTH_PORT`` (:func:`serve`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.store.backup import write_problem

log = logging.getLogger(__name__)

PATH = "/healthz"
DATABASE_RECHECK = 5.0  # seconds a successful test write is trusted (the endpoint is unsigned)
SLACK_RECHECK = 30.0  # seconds an answer from Slack's auth.test is trusted (HTTP mode)

Probe = Callable[[], "str | None"]  # None: up; otherwise a few words saying what is wrong


class Health:
    """Named probes, asked in order at each request; each answers None (up) or why it is down."""

    def __init__(self, probes: dict[str, Probe]) -> None:
        self.probes = probes

    def report(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, str] = {}
        for name, probe in self.probes.items():
            try:
                problem = probe()
            except Exception as exc:  # noqa: BLE001 - a probe that breaks means "down", not a 500
                problem = f"check failed ({exc.__class__.__name__})"
            checks[name] = "ok" if problem is None else problem
        down = [name for name, state in checks.items() if state != "ok"]
        body: dict[str, Any] = {"status": "ok" if not down else "down", "checks": checks}
        if down:
            body["down"] = down
        return not down, body

    def answer(self, start_response: Callable[..., Any], head_only: bool = False) -> Iterable[bytes]:
        ok, body = self.report()
        if not ok:
            log.warning("health check: down (%s)", ", ".join(body["down"]))
        data = json.dumps(body).encode()
        start_response("200 OK" if ok else "503 Service Unavailable",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                        ("Cache-Control", "no-store")])
        return [] if head_only else [data]


class GoodFor:
    """A probe whose good answer is trusted for ``seconds``: the endpoint is unsigned, so however often it
    is asked, the real check (a write to the database, a call to Slack) runs at most once per window."""

    def __init__(self, probe: Probe, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._probe, self._seconds, self._clock = probe, seconds, clock
        self._lock = threading.Lock()
        self._good_until = float("-inf")

    def __call__(self) -> str | None:
        with self._lock:
            if self._clock() < self._good_until:
                return None
            problem = self._probe()
            if problem is None:  # a failed answer is checked again at the next request
                self._good_until = self._clock() + self._seconds
            return problem


class SlackReachable(GoodFor):
    """HTTP mode has no standing connection to Slack: ``auth.test`` says whether Slack answers and
    still takes the bot token, at most once per :data:`SLACK_RECHECK` seconds."""

    def __init__(self, auth_test: Callable[[], object], *, clock: Callable[[], float] = time.monotonic,
                 recheck: float = SLACK_RECHECK) -> None:
        def reachable() -> str | None:
            try:
                auth_test()
            except Exception as exc:  # noqa: BLE001 - the class name is enough; never a token
                return f"Slack not reachable ({exc.__class__.__name__})"
            return None

        super().__init__(reachable, recheck, clock=clock)


def probes(bot: Any, slack: Probe) -> dict[str, Probe]:
    """The three checks for a built :class:`bot.slack.app.Bot` and a Slack probe of its mode."""
    def database() -> str | None:
        return write_problem(bot.store.path)  # a real write: at most once per DATABASE_RECHECK seconds

    def scheduler() -> str | None:
        return None if bot.scheduler.running else "scheduler not running"

    return {"database": GoodFor(database, DATABASE_RECHECK), "scheduler": scheduler, "slack": slack}


def serve(health: Health, host: str, port: int) -> Any:
    """A small threaded HTTP server answering only ``GET /healthz`` (Socket Mode's health port)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        timeout = 5

        def log_message(self, *args: Any) -> None:  # health checks every few seconds would flood the log
            pass

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Length", "0")])
            return []
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Content-Length", "0")])
            return []
        return health.answer(start_response, head_only=environ["REQUEST_METHOD"] == "HEAD")

    httpd = make_server(host, port, app, server_class=Server, handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, name="healthz", daemon=True).start()
    return httpd
