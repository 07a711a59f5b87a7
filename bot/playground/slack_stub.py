"""A local stand-in for the Slack Web API, served over real HTTP.

Point a real ``slack_sdk.WebClient`` at it (``WebClient(token="xoxb-…",
base_url=stub.url + "/")``) so tests exercise the SDK's serialisation, retry
handlers and error handling instead of mocks. The stub records every call
(including the ones it rejects), keeps a per-channel model of the messages it
accepted, and can inject rate limits, server errors and Slack ``ok: false``
errors. ``response_url`` posts (Bolt's ``respond()``) go to ``stub.response_url()``;
one registered with a channel is delivered there as Slack would (in the channel,
ephemerally, or replacing the message a button was on). ``files_upload_v2`` works
end to end: upload URL, the upload itself, and the file message it completes.
The playground (:mod:`bot.playground`) serves the same stand-in to a browser page.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from bot.playground.slack_files import SlackFiles
from bot.playground.slack_methods import (BOT_ID, BOT_USER_ID, TEAM_ID, ApiError, Hook, Msg, SlackMethods, check_blocks,
                            user_record)

__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "ApiError", "Call", "SlackStub", "check_blocks"]

_FIRST_TS_US = 1_700_000_000_000_100  # "1700000000.000100"


@dataclass
class Call:
    """One HTTP request the stub received."""

    method: str  # Web API method ("chat.postMessage") or "webhook" for response_url posts
    args: dict[str, Any]
    headers: dict[str, str]
    time: float  # time.time() on arrival
    status: int = 200  # HTTP status the stub answered with
    response: Any = None  # the JSON (or text) the stub answered with
    rejected: bool = False  # True for auth failures, injected faults and ok:false answers
    webhook_id: str | None = None

    @property
    def error(self) -> str | None:
        return self.response.get("error") if isinstance(self.response, dict) else None


@dataclass
class _Stall:
    seconds: float
    deliver: bool
    remaining: int


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int | None
    remaining: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 stalls bursts of concurrent posts by a SYN retry


class SlackStub(SlackMethods, SlackFiles):
    """See the module docstring. Thread-safe; use as a context manager or start()/close().

    Lifecycle, setup, recording and HTTP plumbing live here; the Slack methods themselves
    are in :mod:`bot.playground.slack_methods`.
    """

    def __init__(self, tokens: set[str] | None = None, team_domain: str = "example",
                 clock: Callable[[], float] | None = None):
        self._tokens = tokens  # None: any xoxb- token is valid
        self._clock = clock  # None: message ts count up from a fixed time (stable test output)
        self.team_domain = team_domain
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._stalls: dict[str, deque[_Stall]] = defaultdict(deque)
        self._messages: dict[str, dict[str, Msg]] = defaultdict(dict)
        self._ephemeral: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._expired_triggers: set[str] = set()
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._members: dict[str, set[str]] = defaultdict(set)  # channel → user ids (users.conversations)
        self._hooks: dict[str, Hook] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._next_ts = _FIRST_TS_US
        self._seq = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------
    def start(self) -> "SlackStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stall per answer

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                stub._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="slack-stub", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SlackStub":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "SlackStub not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Web API base URL without trailing slash; WebClient joins it with the method name."""
        return f"http://127.0.0.1:{self.port}/api"

    def response_url(self, webhook_id: str = "1", *, channel: str | None = None, user: str | None = None,
                     message_ts: str | None = None, ts: str | None = None) -> str:
        """A response_url; with ``channel`` (and ``user``), posts to it show up there (at ``ts``, if given)."""
        if channel:
            with self._lock:
                self._hooks[webhook_id] = Hook(channel, user or "", message_ts, ts)
        return f"http://127.0.0.1:{self.port}/webhook/{webhook_id}"

    def new_ts(self) -> str:
        """Take a place in the channel's order now, for a message that comes later."""
        with self._lock:
            return self._new_ts()

    # ---- setup -------------------------------------------------------------------
    def fail_next(self, method: str, error: str | None = None, status: int | None = None,
                  retry_after: int | None = 1, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        No error and no status: HTTP 429 ``ratelimited`` with ``Retry-After``. A status of
        500/503: server error. An error with no status (or 200): ``{"ok": false, "error": …}``.
        """
        if status is None:
            status = 200 if error else 429
        if error is None:
            error = "ratelimited" if status == 429 else ("internal_error" if status >= 500 else "fatal_error")
        with self._lock:
            self._faults[method].append(_Fault(error, status, retry_after if status == 429 else None, times))

    def stall_next(self, method: str, seconds: float, *, deliver: bool = True, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` answer only after ``seconds`` (a client timeout).

        ``deliver=True``: the call takes effect first (a posted message lands) and only the
        answer is late, as when Slack's response is lost. ``deliver=False``: nothing happens
        and the connection closes unanswered.
        """
        with self._lock:
            self._stalls[method].append(_Stall(seconds, deliver, times))

    def clear_faults(self) -> None:
        """Slack is healthy again: drop pending faults and stalls (messages stay)."""
        with self._lock:
            self._faults.clear()
            self._stalls.clear()

    def expire_trigger(self, trigger_id: str) -> None:
        with self._lock:
            self._expired_triggers.add(trigger_id)

    def add_user(self, user_id: str, real_name: str, **fields: Any) -> None:
        with self._lock:
            self._users[user_id] = {**user_record(user_id, real_name), **fields}

    def add_channel(self, channel_id: str, name: str, *, is_private: bool = False, is_member: bool = True) -> None:
        with self._lock:
            self._channels[channel_id] = {"id": channel_id, "name": name, "is_channel": not is_private,
                                          "is_group": is_private, "is_private": is_private,
                                          "is_member": is_member, "is_archived": False}

    def add_member(self, channel_id: str, *user_ids: str) -> None:
        """Put users in a channel (added with :meth:`add_channel`), as users.conversations reports."""
        with self._lock:
            self._members[channel_id].update(user_ids)

    def reset(self) -> None:
        """Forget calls, faults, messages and views (users and channels stay)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._stalls.clear()
            self._messages.clear()
            self._ephemeral.clear()
            self._views.clear()
            self._expired_triggers.clear()
            self._hooks.clear()
            self._files.clear()

    # ---- inspection ----------------------------------------------------------------
    def calls(self, method: str | None = None, *, rejected: bool | None = None) -> list[Call]:
        """Recorded calls, oldest first; ``rejected=False`` keeps only accepted ones."""
        with self._lock:
            return [c for c in self._calls if (method is None or c.method == method)
                    and (rejected is None or c.rejected == rejected)]

    def accepted(self, method: str | None = None) -> list[Call]:
        return self.calls(method, rejected=False)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, *,
                 rejected: bool | None = False) -> list[Call]:
        """Poll until at least ``count`` matching calls (accepted by default) arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, rejected=rejected)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = [(c.method, c.status, c.error) for c in self.calls()]
                raise AssertionError(f"expected {count} {method!r} call(s) within {timeout}s, "
                                     f"got {len(found)}; all calls seen: {seen}")
            time.sleep(0.01)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            m = self._messages.get(channel, {}).get(ts)
            return m.as_dict() if m else None

    def ephemeral_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A reply shown only to one person, by the ``message_ts`` it was given."""
        with self._lock:
            return next((dict(e) for e in self._ephemeral if e["channel"] == channel and e["message_ts"] == ts), None)

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies under ``thread_ts`` in ts order (the parent itself is not included)."""
        with self._lock:
            msgs = [m for m in self._messages.get(channel, {}).values() if m.thread_ts == thread_ts]
            return [m.as_dict() for m in sorted(msgs, key=lambda m: m.ts)]

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages (and broadcast replies) in ts order, like conversations.history."""
        with self._lock:
            msgs = [m for m in self._messages.get(channel, {}).values()
                    if not m.thread_ts or m.extra.get("reply_broadcast")]
            return [m.as_dict() for m in sorted(msgs, key=lambda m: m.ts)]

    def ephemeral_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._ephemeral if channel is None or e["channel"] == channel]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            return json.loads(json.dumps(self._views[view_id])) if view_id in self._views else None

    def views(self) -> list[dict[str, Any]]:
        """Every view opened or updated, oldest first (closed ones included)."""
        with self._lock:
            return json.loads(json.dumps(list(self._views.values())))

    def close_view(self, view_id: str) -> None:
        """The person closed the modal (or submitted it and the app answered with no errors)."""
        with self._lock:
            if view_id in self._views:
                self._views[view_id]["closed"] = True

    # ---- HTTP plumbing ---------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = parts.path.rstrip("/")
        headers = {k.lower(): v for k, v in h.headers.items()}
        raw = h.rfile.read(int(headers.get("content-length") or 0))
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        try:
            args.update(_parse_body(raw, headers.get("content-type", "")))
        except ValueError:
            args["_invalid_body"] = raw.decode("utf-8", "replace")
        call = Call(method="", args=args, headers=headers, time=time.time())

        hook = re.fullmatch(r"(?:/api)?/webhook/([^/]+)", path)
        if hook:
            call.method, call.webhook_id, call.response = "webhook", hook.group(1), "ok"
            with self._lock:
                self._deliver(call.webhook_id, args)
            self._record(call)
            return _send(h, 200, b"ok", "text/plain")
        upload = re.fullmatch(r"/upload/v1/([^/]+)", path)
        if upload:  # step 2 of files_upload_v2: the raw bytes, no token (the URL is the credential)
            call.method, call.args = "upload", {"file_id": upload.group(1), "length": len(raw)}
            with self._lock:
                ok = self._receive_upload(upload.group(1), raw)
            call.status, call.response, call.rejected = (200, "OK", False) if ok else (404, "not found", True)
            self._record(call)
            return _send(h, call.status, f"{call.response} - {len(raw)}".encode(), "text/plain")

        call.method = path.rsplit("/", 1)[-1]
        stall = self._take_stall(call.method)
        if stall is not None and not stall.deliver:
            call.status, call.response, call.rejected = 0, "stalled", True
            self._record(call)
            time.sleep(stall.seconds)
            h.close_connection = True
            return  # no answer at all
        status, body, extra_headers = self._answer(call, headers)
        call.status, call.response = status, body
        call.rejected = status != 200 or not body.get("ok", False)
        self._record(call)
        if stall is not None:
            time.sleep(stall.seconds)  # the call took effect; the answer comes too late
        try:
            _send(h, status, json.dumps(body).encode(), "application/json; charset=utf-8", extra_headers)
        except OSError:
            h.close_connection = True  # the client gave up waiting

    def _take_stall(self, method: str) -> _Stall | None:
        with self._lock:
            queue = self._stalls.get(method)
            stall = queue[0] if queue else None
            if stall:
                stall.remaining -= 1
                if stall.remaining <= 0:
                    queue.popleft()
            return stall

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _answer(self, call: Call, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if "_invalid_body" in call.args:
            return 200, {"ok": False, "error": "invalid_json"}, {}
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else call.args.get("token")
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if not token.startswith("xoxb-") or (self._tokens is not None and token not in self._tokens):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        with self._lock:
            queue = self._faults.get(call.method)
            fault = queue[0] if queue else None
            if fault:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
        if fault:
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, {"ok": False, "error": fault.error}, extra
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "_m_" + call.method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        try:
            with self._lock:
                return 200, {"ok": True, **handler(call.args)}, {}
        except ApiError as e:
            return 200, {"ok": False, "error": e.error, **e.extra}, {}
        except Exception as e:  # a stub bug must show up in the test, not as a dropped connection
            return 500, {"ok": False, "error": "stub_error", "detail": repr(e)}, {}


# ---- HTTP helpers ------------------------------------------------------------------------
def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
          extra: dict[str, str] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (extra or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def _parse_body(raw: bytes, ctype: str) -> dict[str, Any]:
    """JSON or urlencoded bodies → dict; JSON-looking form values are decoded (as Slack does)."""
    if not raw:
        return {}
    if "json" in ctype:
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {"_body": data}
    form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key, value in form.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                form[key] = json.loads(value)
            except ValueError:
                pass
    return form
