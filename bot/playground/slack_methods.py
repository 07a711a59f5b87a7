"""The Slack Web API methods the stub answers, and the checks Slack makes on their arguments.

:class:`SlackMethods` is mixed into :class:`bot.playground.slack_stub.SlackStub`, which owns the state
these handlers read and write and calls them with its lock held. A handler is found by
name: ``chat.postMessage`` → ``_m_chat_postMessage``; it returns the answer without
``ok`` or raises :class:`ApiError` for an ``ok: false`` answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = "U0APRITY"
BOT_ID = "B0APRITY"
TEAM_ID = "T0EXAMPLE"
_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{2,}$")


@dataclass
class Msg:
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


@dataclass(frozen=True)
class Hook:
    """Where a response_url delivers: the channel (and user, for ephemeral answers) it came from."""

    channel: str
    user: str
    message_ts: str | None = None  # the message a button was on (replace_original edits it)
    ts: str | None = None  # the place in the channel a reply takes (a command's answer: where it was typed)


class ApiError(Exception):
    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error, self.extra = error, extra


class SlackMethods:
    """Slack method handlers over the stub's state (called with the lock held)."""

    team_domain: str
    _messages: dict[str, dict[str, Msg]]
    _ephemeral: list[dict[str, Any]]
    _views: dict[str, dict[str, Any]]
    _expired_triggers: set[str]
    _users: dict[str, dict[str, Any]]
    _channels: dict[str, dict[str, Any]]
    _hooks: dict[str, Hook]
    _members: dict[str, set[str]]
    _next_ts: int
    _seq: int
    _clock: Any

    def _new_ts(self) -> str:
        if self._clock is not None:  # real times when a person reads them (the playground)
            self._next_ts = max(self._next_ts, int(self._clock() * 1_000_000))
        us, self._next_ts = self._next_ts, self._next_ts + 100
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _deliver(self, hook_id: str, a: dict) -> None:
        """A response_url post, shown as Slack shows it (only for hooks registered with a channel)."""
        hook = self._hooks.get(hook_id)
        if hook is None or not isinstance(a, dict):
            return
        blocks = a.get("blocks")
        text = str(a.get("text") or "")
        original = self._messages.get(hook.channel, {}).get(hook.message_ts or "")
        # A button on an ephemeral reply: Slack replaces or deletes that reply, for that person only.
        mine = next((e for e in self._ephemeral if hook.message_ts and e["message_ts"] == hook.message_ts
                     and e["channel"] == hook.channel and e["user"] == hook.user), None)
        if _truthy(a.get("delete_original")) and original is not None:
            del self._messages[hook.channel][original.ts]
        elif _truthy(a.get("replace_original")) and original is not None:
            original.text, original.blocks = text, blocks
            original.updates += 1
        elif _truthy(a.get("delete_original")) and mine is not None:
            self._ephemeral.remove(mine)
        elif _truthy(a.get("replace_original")) and mine is not None:
            mine["text"], mine["blocks"] = text, blocks
        elif a.get("response_type") == "in_channel":
            ts = self._new_ts()
            self._messages[hook.channel][ts] = Msg(hook.channel, ts, text, blocks, a.get("thread_ts") or None)
        else:  # Slack's default for response_url answers: only the person who acted sees it
            self._ephemeral.append({"channel": hook.channel, "user": hook.user, "text": text, "blocks": blocks,
                                    "thread_ts": a.get("thread_ts"), "message_ts": hook.ts or self._new_ts()})

    def _m_auth_test(self, a: dict) -> dict:
        return {"url": f"https://{self.team_domain}.slack.com/", "team": "Example", "user": "aprity-diagnose",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _m_chat_postMessage(self, a: dict) -> dict:  # noqa: N802
        channel = _require(a, "channel")
        text, blocks = _content(a)
        thread_ts = a.get("thread_ts") or None
        ts = self._new_ts()
        extra = {"reply_broadcast": True} if _truthy(a.get("reply_broadcast")) else {}
        msg = Msg(channel, ts, text, blocks, thread_ts, extra=extra)
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

    def _m_views_publish(self, a: dict) -> dict:
        user = _require(a, "user_id")
        view = _view_arg(a)
        if view.get("type") != "home":
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] view type must be home"]})
        self._seq += 1
        stored = {**view, "id": f"VH{user}", "team_id": TEAM_ID, "hash": f"{self._seq}.h", "user": user}
        self._views[stored["id"]] = stored
        return {"view": stored}

    def _m_users_conversations(self, a: dict) -> dict:
        """Channels the user is in that the bot can see: public ones, and private ones the bot is in."""
        user = _require(a, "user")
        types = set(str(a.get("types") or "public_channel").split(","))
        found = [dict(c) for cid, c in sorted(self._channels.items()) if user in self._members.get(cid, ())
                 and ("private_channel" if c["is_private"] else "public_channel") in types
                 and (c["is_member"] or not c["is_private"])]
        return {"channels": found, "response_metadata": {"next_cursor": ""}}

    def _m_users_info(self, a: dict) -> dict:
        user = _require(a, "user")
        if user in self._users:
            return {"user": dict(self._users[user])}
        if not _ID_RE.match(user) or user[0] not in "UW":
            raise ApiError("user_not_found")
        return {"user": user_record(user, f"Test User {user}")}  # any well-formed id exists

    def _m_conversations_history(self, a: dict) -> dict:
        """Top-level messages, newest first, from ``oldest`` on (inclusive), at most ``limit``."""
        channel = _require(a, "channel")
        oldest = float(a.get("oldest") or 0)
        msgs = [m for m in self._messages.get(channel, {}).values() if not m.thread_ts and float(m.ts) >= oldest]
        msgs.sort(key=lambda m: float(m.ts), reverse=True)
        limit = int(a.get("limit") or 100)
        return {"messages": [m.as_dict() for m in msgs[:limit]], "has_more": len(msgs) > limit}

    def _m_conversations_info(self, a: dict) -> dict:
        channel = _require(a, "channel")
        if channel in self._channels:
            return {"channel": dict(self._channels[channel])}
        if not _ID_RE.match(channel) or channel[0] not in "CDG":
            raise ApiError("channel_not_found")
        return {"channel": {"id": channel, "name": f"channel-{channel.lower()}", "is_channel": True,
                            "is_private": False, "is_member": True, "is_archived": False}}


# ---- helpers ---------------------------------------------------------------------------
def user_record(user_id: str, real_name: str) -> dict[str, Any]:
    return {"id": user_id, "name": real_name.lower().replace(" ", "."), "real_name": real_name,
            "team_id": TEAM_ID, "deleted": False, "is_bot": False, "tz": "Europe/Paris",
            "profile": {"real_name": real_name, "display_name": real_name}}


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
