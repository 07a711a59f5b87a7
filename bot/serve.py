"""Running the bot: Socket Mode (one process) or HTTP (WSGI; gunicorn in production)."""

from __future__ import annotations

import logging
import os
import signal
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from .app import Bot, build
from .settings import Settings

log = logging.getLogger(__name__)


def _wait_for_stop() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def run_socket_mode() -> int:
    settings = Settings.from_env(mode="socket")
    bot = build(settings)
    handler = SocketModeHandler(bot.app, settings.app_token)
    handler.connect()  # returns at once; Bolt reconnects by itself
    log.warning("aprity-diagnose connected in Socket Mode")
    try:
        _wait_for_stop()
    finally:
        handler.close()
        bot.shutdown()
    return 0


def wsgi_app(bot: Bot) -> SlackRequestHandler:
    return SlackRequestHandler(bot.app, path="/slack/events")


def run_http(port: int) -> int:
    """Development server (wsgiref); production runs ``gunicorn 'bot.wsgi:create()'``."""
    from wsgiref.simple_server import WSGIServer, make_server
    from socketserver import ThreadingMixIn

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    settings = Settings.from_env(mode="http")
    bot = build(settings)
    httpd = make_server(os.environ.get("HOST", "127.0.0.1"), port, wsgi_app(bot), server_class=Server)
    log.warning("aprity-diagnose listening on port %d, path /slack/events", port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        _wait_for_stop()
    finally:
        httpd.shutdown()
        bot.shutdown()
    return 0
