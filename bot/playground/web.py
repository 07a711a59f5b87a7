"""The playground's HTTP face: the page, its small JSON API, and the bot at ``/slack/events``.

Plain WSGI served by the standard library. ``/slack/events`` is the production
adapter (:func:`bot.serve.runners.wsgi_app`), so the bot verifies every request's signature
exactly as it does behind Slack. The JSON API only accepts posts whose media type is
exactly ``application/json``, addressed to a loopback host name, from the page's own
origin (``Origin`` and ``Sec-Fetch-Site``, when the browser sends them): another web
site open in the same browser can neither send them (no simple request carries that
type; a cross-site one is refused) nor rebind a name onto them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any, Protocol
from urllib.parse import quote

from bot.serve.runners import wsgi_app


log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]


class _Stub(Protocol):
    def close_view(self, view_id: str) -> None: ...
    def file_content(self, file_id: str) -> Any: ...


class Playground(Protocol):
    """What the page needs of :class:`bot.playground.core.Playground` (which imports this module)."""

    bot: Any
    stub: _Stub

    def settings(self) -> Any: ...
    def command(self, text: str, channel: str = ...) -> dict[str, Any]: ...
    def click(self, channel: str, ts: str, action_id: str, value: str | None = None) -> dict[str, Any]: ...
    def submit_view(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]: ...
    def open_home(self) -> dict[str, Any]: ...
    def apply_fix(self, connection: str, fix_id: str) -> dict[str, Any]: ...
    def state(self) -> dict[str, Any]: ...
_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/static/app.css": ("app.css", "text/css; charset=utf-8"),
           "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/static/blocks.js": ("blocks.js", "text/javascript; charset=utf-8")}
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_BODY = 64_000


class BadRequest(Exception):
    pass


def _static(name: str) -> bytes:
    return (resources.files("bot.playground") / "static" / name).read_bytes()


def application(pg: "Playground") -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    assert pg.bot is not None, "the bot is built before the page is served"
    bot_handler = wsgi_app(pg.bot, pg.settings().signing_secret or "")

    def api(path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path == "/api/command":
            text = str(body.get("text", "")).strip()
            if text.startswith("/aprity-diagnose"):
                text = text[len("/aprity-diagnose"):].strip()
            return pg.command(text, str(body.get("channel") or "C0PLAYHELP"))
        if path == "/api/click":
            try:
                return pg.click(str(body["channel"]), str(body["ts"]), str(body["action_id"]), body.get("value"))
            except KeyError as exc:
                raise BadRequest(f"no such button: {exc}") from None
        if path == "/api/view":
            return pg.submit_view(str(body.get("view_id", "")), body.get("values") or {})
        if path == "/api/view/close":
            pg.stub.close_view(str(body.get("view_id", "")))
            return {}
        if path == "/api/home":
            return pg.open_home()
        if path == "/api/fix":
            try:
                return pg.apply_fix(str(body.get("connection", "")), str(body.get("fix", "")))
            except KeyError as exc:
                raise BadRequest(str(exc)) from None
        raise BadRequest("unknown endpoint")

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/slack/"):
            return bot_handler(environ, start_response)
        host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0]
        if host not in _LOOPBACK_NAMES:
            return _send(start_response, 403, b"loopback only", "text/plain")
        if method == "GET" and path in _STATIC:
            name, ctype = _STATIC[path]
            return _send(start_response, 200, _static(name), ctype)
        if method == "GET" and path == "/api/state":
            return _json(start_response, 200, pg.state())
        if method == "GET" and path.startswith("/files/"):
            found = pg.stub.file_content(path.split("/")[2])
            if found is None:
                return _send(start_response, 404, b"no such file", "text/plain")
            info, content = found
            return _send(start_response, 200, content, "application/octet-stream",
                         [("Content-Disposition", f"attachment; filename*=UTF-8''{quote(info['name'])}")])
        if method == "POST" and path.startswith("/api/"):
            if not same_origin(environ):
                return _json(start_response, 403, {"error": "only the playground's own page may call its API"})
            if not is_json(environ.get("CONTENT_TYPE", "")):
                return _json(start_response, 415, {"error": "send Content-Type: application/json"})
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                if length > MAX_BODY:
                    raise BadRequest("request too large")
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(body, dict):
                    raise BadRequest("send a JSON object")
                return _json(start_response, 200, api(path, body))
            except (BadRequest, ValueError) as exc:
                return _json(start_response, 400, {"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - the page shows a short line, the log has the rest
                log.exception("playground request %s failed", path)
                return _json(start_response, 500, {"error": f"the playground failed: {type(exc).__name__}"})
        return _send(start_response, 404, b"not found", "text/plain")

    return app


def is_json(content_type: str) -> bool:
    """Exactly ``application/json`` (what the page's fetch sends): never a type a cross-site page may post.

    A substring test would let ``text/plain; charset=application/json`` through, which a page
    on another site may send without asking (a CORS "simple" request). No parameters either.
    """
    return content_type.strip().lower() == "application/json"


def same_origin(environ: dict[str, Any]) -> bool:
    """The request comes from the page itself, or from no browser at all (the tour, curl).

    Browsers send ``Sec-Fetch-Site`` and, on every POST, ``Origin``: either must name this
    very origin. A client that sends neither is not a browser a web page could drive.
    """
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return True
    return origin == f"http://{environ.get('HTTP_HOST', '')}"


def _send(start_response: StartResponse, status: int, body: bytes, ctype: str,
          extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 415: "Unsupported Media Type",
              500: "Internal Server Error"}
    start_response(f"{status} {reason.get(status, 'Error')}",
                   [("Content-Type", ctype), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"),
                    *(extra or [])])
    return [body]


def _json(start_response: StartResponse, status: int, data: Any) -> list[bytes]:
    return _send(start_response, status, json.dumps(data).encode(), "application/json")
