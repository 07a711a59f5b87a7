"""Running the bot: Socket Mode (one process) or HTTP (WSGI; gunicorn in production).

Both stop the same way at SIGTERM/SIGINT (see :mod:`bot.serve.lifecycle`): stop taking requests,
then :meth:`Bot.shutdown` with the grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.serve import health, lifecycle
from bot.serve.health import Health
from bot.slack.app import Bot, build, make_web_client
from bot.serve.http_guard import BODY_DEADLINE, HttpGuard, Watchdog, quiet_bolt_bodies
from bot.settings import DEFAULT_SHUTDOWN_GRACE, Settings, ephemeral_db

log = logging.getLogger(__name__)
EXIT_REJECTED, EXIT_UNREACHABLE = 2, 1
READ_DEADLINE = BODY_DEADLINE  # the development server's per-connection read deadline (see gunicorn_worker)
HEALTH_SLACK_TIMEOUT = 5  # seconds /healthz waits for Slack's auth.test in HTTP mode
HELLO_WAIT = 15.0  # seconds to wait for Slack's hello before saying we are still waiting


class BotApp(HttpGuard):
    """What the HTTP servers serve: Bolt behind the guard (and ``/healthz``), and the bot to stop on the way out."""

    def __init__(self, bot: Bot, signing_secret: str, grace: float = DEFAULT_SHUTDOWN_GRACE,
                 health: Health | None = None) -> None:
        super().__init__(SlackRequestHandler(bot.app, path="/slack/events"), signing_secret, health=health)
        self.bot, self.grace = bot, grace

    def stop(self, grace: float | None = None) -> bool:
        return self.bot.shutdown(self.grace if grace is None else grace)


def http_health(bot: Bot) -> Health:
    """HTTP mode's health: Slack is "up" when auth.test answers (a client of its own: short timeout, no retries)."""
    web = bot.app.client
    client = WebClient(token=web.token, base_url=web.base_url, timeout=HEALTH_SLACK_TIMEOUT, retry_handlers=[])
    return Health(health.probes(bot, health.SlackReachable(client.auth_test)))


def wsgi_app(bot: Bot, signing_secret: str, grace: float = DEFAULT_SHUTDOWN_GRACE) -> BotApp:
    app = BotApp(bot, signing_secret, grace, health=http_health(bot))
    quiet_bolt_bodies()  # after build(): Bolt has made its loggers by now
    return app


class _StopSignal:
    """Set by SIGTERM or SIGINT; installed before anything starts, so no signal kills a half-started bot.

    Not a threading.Event: the kernel hands a process's signal to any of its threads, and Python runs the
    handler only when the main thread next runs Python code, which a main thread blocked in Event.wait()
    never does (seen: SIGTERM ignored until the SIGKILL). So waits wake every WAKE seconds, and the handler
    only sets a flag: it runs between two bytecodes of the main thread, where taking a lock could deadlock.
    """

    WAKE = 0.2

    def __init__(self) -> None:
        self._received = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, *_: object) -> None:
        self._received = True

    def is_set(self) -> bool:
        return self._received

    def wait(self, timeout: float | None = None) -> bool:
        """Like Event.wait: True once a signal came, False when ``timeout`` passed first."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self._received:
            left = self.WAKE if end is None else min(self.WAKE, end - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self._received


def _stop_signal() -> _StopSignal:
    return _StopSignal()


def _say(line: str) -> None:
    print(f"aprity-diagnose: {line}", file=sys.stderr, flush=True)


def warn_if_ephemeral_db() -> None:
    """One warning line at start-up when the database's place will not outlive a deploy."""
    reason = ephemeral_db(os.environ)
    if reason:
        log.warning(reason)


def _check_tokens(settings: Settings) -> tuple[str, int] | None:
    """Ask Slack about both tokens before anything starts: (one line, exit code) when it says no."""
    client = make_web_client(settings.bot_token, settings.api_url)
    for name, call in (("SLACK_BOT_TOKEN", client.auth_test),
                       ("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=settings.app_token))):
        try:
            call()  # an unused Socket Mode URL simply expires
        except Exception as exc:  # noqa: BLE001 - one line, no traceback
            if isinstance(exc, SlackApiError):
                return f"Slack rejected {name} ({exc.response.get('error')})", EXIT_REJECTED
            return f"could not reach Slack to check {name} ({exc.__class__.__name__})", EXIT_UNREACHABLE
    return None


def run_socket_mode() -> int:
    settings = Settings.from_env(mode="socket")
    refused = _check_tokens(settings)
    if refused:
        _say(refused[0])
        return refused[1]
    warn_if_ephemeral_db()
    stop = _stop_signal()
    bot = build(settings, start_scheduler=False)
    handler = SocketModeHandler(bot.app, settings.app_token)
    hello = threading.Event()

    def on_hello(_client: Any, message: dict[str, Any], _raw: Any) -> None:
        if message.get("type") == "hello":  # Slack's hello: the connection really is open
            log.warning("aprity-diagnose connected in Socket Mode")
            hello.set()

    handler.client.message_listeners.append(on_hello)
    health_server = None
    if settings.health_port is not None:

        websocket = handler.client  # the WebSocket client (not a Web API one)

        def slack_up() -> str | None:
            if hello.is_set() and websocket.is_connected():
                return None
            return "Socket Mode connection not open" if hello.is_set() else "Socket Mode connection not open yet"

        try:
            health_server = health.serve(Health(health.probes(bot, slack_up)),
                                         os.environ.get("HOST", "127.0.0.1"), settings.health_port)
        except OSError as exc:  # the port is taken, or not ours to bind
            bot.shutdown()
            _say(f"cannot serve the health check on APRITY_HEALTH_PORT {settings.health_port} "
                 f"({exc.strerror or exc.__class__.__name__})")
            return EXIT_REJECTED
        log.info("health check on port %d, path %s", settings.health_port, health.PATH)
    try:
        handler.connect()  # apps.connections.open, then the WebSocket; Bolt reconnects by itself
    except Exception as exc:  # noqa: BLE001 - e.g. Slack changed its mind since _check_tokens
        handler.close()
        bot.shutdown()
        _say(f"could not open a Socket Mode connection ({exc.__class__.__name__})")
        return EXIT_UNREACHABLE
    bot.start_scheduler()
    try:
        if not stop.wait(HELLO_WAIT) and not hello.is_set():
            log.warning("Slack has not said hello yet; still trying to connect")
        stop.wait()
    finally:
        log.warning("stopping: no new events; runs in flight get %g s", settings.shutdown_grace)
        # slack_sdk's client logs a traceback when its ping thread meets the socket we just closed
        # on purpose; nothing is lost, so its complaints end here.
        for noisy in (handler.client.logger, logging.getLogger("slack_sdk.socket_mode")):
            noisy.setLevel(logging.CRITICAL)
        handler.close()
        if health_server is not None:
            health_server.shutdown()
            health_server.server_close()
        lifecycle.stop(bot, settings.shutdown_grace)
    return 0


def run_http(port: int) -> int:
    """Development server (wsgiref); production runs gunicorn as in the Procfile."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True  # one thread per connection: a slow client holds only its own
        block_on_close = False  # at shutdown, do not wait up to Handler.timeout for a stalled client

    class Handler(WSGIRequestHandler):
        timeout = 30  # per socket read or write; the guard's watchdog bounds the body sooner

        def handle(self) -> None:
            watchdog = Watchdog(self.connection, READ_DEADLINE, connection=True)  # a stalled request line or headers too
            try:
                super().handle()
            finally:
                watchdog.cancel()

        def get_environ(self) -> dict[str, Any]:
            env = super().get_environ()
            env["aprity.socket"] = self.connection  # lets the guard cut a body that trickles
            return env

    settings = Settings.from_env(mode="http")
    assert settings.signing_secret is not None
    stop = _stop_signal()
    bot = build(settings)
    app = wsgi_app(bot, settings.signing_secret, settings.shutdown_grace)
    httpd = make_server(os.environ.get("HOST", "127.0.0.1"), port, app, server_class=Server, handler_class=Handler)
    log.warning("aprity-diagnose listening on port %d, path /slack/events", port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        stop.wait()
    finally:
        log.warning("stopping: no new requests; runs in flight get %g s", settings.shutdown_grace)
        httpd.shutdown()
        httpd.server_close()
        lifecycle.stop(bot, settings.shutdown_grace)
    return 0
