"""A local stand-in for the Slack Web API, served over real HTTP.

Point a real ``slack_sdk.WebClient`` at it (``WebClient(token="xoxb-…",
base_url=stub.url + "/")``) so tests exercise the SDK's serialisation, retry
handlers and error handling instead of mocks. The stub records every call
(including the ones it rejects), keeps a per-channel model of the messages it
accepted, and can inject rate limits, server errors and Slack ``ok: false``
errors. ``response_url`` posts (Bolt's ``respond()``) go to ``stub.response_url()``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "U0APRITY"
BOT_ID = "B0APRITY"
TEAM_ID = "T0EXAMPLE"
_FIRST_TS_US = 1_700_000_000_000_100  # "1700000000.000100"
_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{2,}$")


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
class _Fault:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class _Msg:
    channel: str
    ts: str
    text: str
    blocks: list | None
    thread_ts: str | None
    user: str = BOT_USER_ID
    updates: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = {"type": "message", "channel": self.channel, "ts": self.ts, "text": self.text,
             "blocks": self.blocks, "user": self.user, "bot_id": BOT_ID, "updates": self.updates}
        if self.thread_ts:
            d["thread_ts"] = self.thread_ts
        d.update(self.extra)
        return d


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 stalls bursts of concurrent posts by a SYN retry


class ApiError(Exception):
    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error, self.extra = error, extra


class SlackStub:
    """See the module docstring. Thread-safe; use as a context manager or start()/close()."""

    def __init__(self, tokens: set[str] | None = None, team_domain: str = "example"):
        self._tokens = tokens  # None: any xoxb- token is valid
        self.team_domain = team_domain
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._messages: dict[str, dict[str, _Msg]] = defaultdict(dict)
        self._ephemeral: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._expired_triggers: set[str] = set()
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
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

    def response_url(self, webhook_id: str = "1") -> str:
        return f"http://127.0.0.1:{self.port}/webhook/{webhook_id}"

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

    def expire_trigger(self, trigger_id: str) -> None:
        with self._lock:
            self._expired_triggers.add(trigger_id)

    def add_user(self, user_id: str, real_name: str, **fields: Any) -> None:
        with self._lock:
            self._users[user_id] = {**_user(user_id, real_name), **fields}

    def add_channel(self, channel_id: str, name: str, *, is_private: bool = False, is_member: bool = True) -> None:
        with self._lock:
            self._channels[channel_id] = {"id": channel_id, "name": name, "is_channel": not is_private,
                                          "is_group": is_private, "is_private": is_private,
                                          "is_member": is_member, "is_archived": False}

    def reset(self) -> None:
        """Forget calls, faults, messages and views (users and channels stay)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._ephemeral.clear()
            self._views.clear()
            self._expired_triggers.clear()

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
            self._record(call)
            return _send(h, 200, b"ok", "text/plain")

        call.method = path.rsplit("/", 1)[-1]
        status, body, extra_headers = self._answer(call, headers)
        call.status, call.response = status, body
        call.rejected = status != 200 or not body.get("ok", False)
        self._record(call)
        _send(h, status, json.dumps(body).encode(), "application/json; charset=utf-8", extra_headers)

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

    # ---- methods (called with the lock held) ---------------------------------------------
    def _new_ts(self) -> str:
        us, self._next_ts = self._next_ts, self._next_ts + 100
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _m_auth_test(self, a: dict) -> dict:
        return {"url": f"https://{self.team_domain}.slack.com/", "team": "Example", "user": "aprity-diagnose",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _m_chat_postMessage(self, a: dict) -> dict:  # noqa: N802
        channel = _require(a, "channel")
        text, blocks = _content(a)
        thread_ts = a.get("thread_ts") or None
        ts = self._new_ts()
        extra = {"reply_broadcast": True} if _truthy(a.get("reply_broadcast")) else {}
        msg = _Msg(channel, ts, text, blocks, thread_ts, extra=extra)
        self._messages[channel][ts] = msg
        return {"channel": channel, "ts": ts, "message": msg.as_dict()}

    def _m_chat_update(self, a: dict) -> dict:
        channel, ts = _require(a, "channel"), _require(a, "ts")
        msg = self._messages.get(channel, {}).get(ts)
        if msg is None:
            raise ApiError("message_not_found")
        text, blocks = _content(a, allow_empty=True)
        if a.get("text") is not None:  # WebClient sends JSON nulls for omitted arguments
            msg.text = text
        if a.get("blocks") is not None:
            msg.blocks = blocks
        msg.updates += 1
        return {"channel": channel, "ts": ts, "text": msg.text, "message": msg.as_dict()}

    def _m_chat_postEphemeral(self, a: dict) -> dict:  # noqa: N802
        channel, user = _require(a, "channel"), _require(a, "user")
        text, blocks = _content(a)
        ts = self._new_ts()
        self._ephemeral.append({"channel": channel, "user": user, "text": text, "blocks": blocks,
                                "thread_ts": a.get("thread_ts"), "message_ts": ts})
        return {"message_ts": ts}

    def _m_chat_getPermalink(self, a: dict) -> dict:  # noqa: N802
        channel, ts = _require(a, "channel"), _require(a, "message_ts")
        msg = self._messages.get(channel, {}).get(ts)
        if msg is None:
            raise ApiError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _m_views_open(self, a: dict) -> dict:
        trigger = a.get("trigger_id") or a.get("interactivity_pointer")
        if not trigger:
            raise ApiError("invalid_arguments")
        if trigger in self._expired_triggers:
            raise ApiError("expired_trigger_id")
        view = _view_arg(a)
        self._seq += 1
        stored = {**view, "id": f"V{self._seq:08d}", "team_id": TEAM_ID, "hash": f"{self._seq}.h",
                  "state": {"values": {}}, "private_metadata": view.get("private_metadata", ""),
                  "callback_id": view.get("callback_id", ""), "external_id": view.get("external_id", "")}
        self._views[stored["id"]] = stored
        return {"view": stored}

    def _m_views_update(self, a: dict) -> dict:
        view_id = a.get("view_id") or next(
            (i for i, v in self._views.items() if a.get("external_id") and v["external_id"] == a["external_id"]), None)
        if view_id not in self._views:
            raise ApiError("not_found")
        old = self._views[view_id]
        if a.get("hash") and a["hash"] != old["hash"]:
            raise ApiError("hash_conflict")
        self._seq += 1
        new = {**old, **_view_arg(a), "id": view_id, "hash": f"{self._seq}.h"}
        self._views[view_id] = new
        return {"view": new}

    def _m_users_info(self, a: dict) -> dict:
        user = _require(a, "user")
        if user in self._users:
            return {"user": dict(self._users[user])}
        if not _ID_RE.match(user) or user[0] not in "UW":
            raise ApiError("user_not_found")
        return {"user": _user(user, f"Test User {user}")}  # any well-formed id exists

    def _m_conversations_info(self, a: dict) -> dict:
        channel = _require(a, "channel")
        if channel in self._channels:
            return {"channel": dict(self._channels[channel])}
        if not _ID_RE.match(channel) or channel[0] not in "CDG":
            raise ApiError("channel_not_found")
        return {"channel": {"id": channel, "name": f"channel-{channel.lower()}", "is_channel": True,
                            "is_private": False, "is_member": True, "is_archived": False}}


# ---- helpers ---------------------------------------------------------------------------
def _user(user_id: str, real_name: str) -> dict[str, Any]:
    return {"id": user_id, "name": real_name.lower().replace(" ", "."), "real_name": real_name,
            "team_id": TEAM_ID, "deleted": False, "is_bot": False, "tz": "Europe/Paris",
            "profile": {"real_name": real_name, "display_name": real_name}}


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


def _require(a: dict, key: str) -> str:
    value = a.get(key)
    if not value:
        raise ApiError("channel_not_found" if key == "channel" else "invalid_arguments",
                       response_metadata={"messages": [f"[ERROR] missing required field: {key}"]})
    return str(value)


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("1", "true")


def _content(a: dict, *, allow_empty: bool = False) -> tuple[str, list | None]:
    text = str(a.get("text") or "")
    blocks = a.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not text and not blocks and not a.get("attachments") and not allow_empty:
        raise ApiError("no_text")
    if blocks is not None:
        problems = check_blocks(blocks, max_blocks=50)
        if problems:
            raise ApiError("invalid_blocks", response_metadata={"messages": problems})
    if len(text) > 40_000:
        text = text[:40_000]  # Slack truncates rather than rejects
    return text, blocks


def _view_arg(a: dict) -> dict:
    view = a.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict) or "type" not in view:
        raise ApiError("invalid_arguments")
    problems = check_blocks(view.get("blocks", []), max_blocks=100)
    if view.get("type") == "modal" and len((view.get("title") or {}).get("text", "")) > 24:
        problems.append("[ERROR] must be less than 25 characters [json-pointer:/view/title/text]")
    if problems:
        raise ApiError("invalid_arguments", response_metadata={"messages": problems})
    return view


_TEXT_LIMITS = {"section": 3000, "header": 150}


def check_blocks(blocks: Any, *, max_blocks: int) -> list[str]:
    """The subset of Slack's block validation that catches our likely mistakes."""
    if not isinstance(blocks, list):
        return ["[ERROR] blocks must be an array"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:/blocks]")
    seen: set[str] = set()
    for i, b in enumerate(blocks):
        if not isinstance(b, dict) or "type" not in b:
            problems.append(f"[ERROR] missing required field: type [json-pointer:/blocks/{i}]")
            continue
        bid = b.get("block_id")
        if bid is not None:
            if bid in seen:
                problems.append(f"[ERROR] duplicate block_id {bid!r} [json-pointer:/blocks/{i}]")
            seen.add(bid)
            if len(bid) > 255:
                problems.append(f"[ERROR] block_id too long [json-pointer:/blocks/{i}]")
        limit = _TEXT_LIMITS.get(b["type"])
        text = (b.get("text") or {}).get("text") if isinstance(b.get("text"), dict) else None
        if limit and text is not None and not 1 <= len(text) <= limit:
            problems.append(f"[ERROR] text must be 1..{limit} characters [json-pointer:/blocks/{i}/text]")
        elements = b.get("elements") or []
        if b["type"] == "context" and len(elements) > 10:
            problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:/blocks/{i}/elements]")
        for j, el in enumerate(elements if b["type"] == "actions" else []):
            if len(el.get("action_id", "")) > 255 or len(str(el.get("value", ""))) > 2000 \
                    or len((el.get("text") or {}).get("text", "")) > 75:
                problems.append(f"[ERROR] element too long [json-pointer:/blocks/{i}/elements/{j}]")
    return problems
