"""``aprity-diagnose playground --script``: the whole Slack flow, played without a browser.

A command, its verdict, a fix in the simulated org, the automatic retest turning
the session green, then a second case escalated to support; the channels are
printed as text. Every step waits on what the bot really did (its store, the
stand-in's messages) and a step that does not happen fails the tour.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any, TextIO

from bot.ids import ActionId
from bot.playground.core import CHANNELS, ESCALATION_CHANNEL, SUPPORT_CHANNEL, Playground, Timing

# Fast enough to finish in seconds, slow enough that the fix visibly has to propagate first.
SCRIPT_TIMING = Timing(propagation_delay=1.5, retest_delays=(2.0, 4.0, 8.0, 16.0), post_interval=0.0)
FIXED_CASE, FIX = "not-preauthorized", "preauthorize"
ESCALATED_CASE = "no-metadata"


def mrkdwn_text(text: str, users: dict[str, str]) -> str:
    """Slack mrkdwn → plain terminal text: mentions by name, links as ``label (url)``."""
    def token(m: re.Match[str]) -> str:
        target, _, label = m.group(1).partition("|")
        if target.startswith("@"):
            return "@" + users.get(target[1:], label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label and label != target else target
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)  # bold reads fine without its stars
    return html.unescape(re.sub(r"<([^<>\n]+)>", token, text))


def block_lines(blocks: list[dict[str, Any]], users: dict[str, str]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind in ("section", "header"):
            if b.get("text"):
                text = mrkdwn_text(b["text"].get("text", ""), users)
                out += [f"== {text} ==" if kind == "header" else text]
            out += [mrkdwn_text(f.get("text", ""), users) for f in b.get("fields", [])]
        elif kind == "context":
            out.append("  " + "  ·  ".join(mrkdwn_text(e.get("text", ""), users) for e in b.get("elements", [])
                                          if isinstance(e.get("text"), str)))
        elif kind == "actions":
            out.append("  ".join(f"[ {e.get('text', {}).get('text', '')} ]" for e in b.get("elements", [])))
        elif kind == "divider":
            out.append("─" * 20)
    return [line for chunk in out for line in chunk.splitlines()]


def message_lines(m: dict[str, Any], users: dict[str, str]) -> list[str]:
    lines = block_lines(m["blocks"], users) if m.get("blocks") else mrkdwn_text(m.get("text", ""), users).splitlines()
    lines += [f"📄 {f.get('title') or f.get('name')} ({f.get('size')} bytes)" for f in m.get("files") or []]
    return lines


def channel_text(pg: Playground, channel: str) -> str:
    users = pg.state()["users"]
    out = [f"#{CHANNELS[channel]}"]
    for m in pg.stub.channel_messages(channel):
        out.append("┃ aprity-diagnose APP")
        out += [f"┃   {line}" for line in message_lines(m, users)]
        replies = pg.stub.thread(channel, m["ts"])
        if replies:
            out.append(f"┃   └ {len(replies)} replies in the thread (first line of each):")
            out += [f"┃       • {(message_lines(r, users) or [''])[0]}" for r in replies]
    return "\n".join(out)


class TourNetworkError(Exception):
    """The playground's own loopback request was not answered by the bot (a proxy or firewall in the way)."""


def _sent(pg: Playground, what: str, answer: dict[str, Any]) -> None:
    status = answer.get("status")
    if status != 200:
        raise TourNetworkError(f"network problem on 127.0.0.1: {what} got HTTP {status} instead of the bot's "
                               f"answer at {pg.url}/slack/events")


def _session(pg: Playground, name: str) -> dict[str, Any] | None:
    return next((s for s in pg.sessions() if s.get("connection_name") == name), None)


def _verdict(pg: Playground, name: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        s = _session(pg, name)
        return s if s and s.get("run_count") and not s.get("busy") else None
    return check


def _green(pg: Playground, name: str) -> bool:
    """The verdict is stored before the parent is edited: "ok" and no longer busy means the edit is done too."""
    s = _session(pg, name) or {}
    return s.get("status") == "ok" and not s.get("busy")


def run_tour(pg: Playground, out: TextIO, *, timeout: float = 60.0) -> None:
    """Play the tour on a started playground; raises TimeoutError or AssertionError when a step fails."""
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    say(f"1. /aprity-diagnose {FIXED_CASE}")
    _sent(pg, "the command", pg.command(FIXED_CASE))
    first = pg.wait(f"the verdict on {FIXED_CASE}", _verdict(pg, FIXED_CASE), timeout)
    parent = pg.stub.message(SUPPORT_CHANNEL, first["thread_ts"]) or {}
    assert not first.get("last_ok"), f"{FIXED_CASE} was expected to fail first"
    say(f"   verdict: {parent.get('text')}")
    entry = pg.apply_fix(FIXED_CASE, FIX)
    say(f"2. Salesforce admin: {entry['label']} (Salesforce sees it in {SCRIPT_TIMING.propagation_delay:g} s)")
    say("3. waiting for the automatic retest…")
    pg.wait(f"{FIXED_CASE} to turn green", lambda: _green(pg, FIXED_CASE), timeout)
    parent = pg.stub.message(SUPPORT_CHANNEL, first["thread_ts"]) or {}
    say(f"   parent now: {parent.get('text')}")

    say(f"4. /aprity-diagnose {ESCALATED_CASE}")
    _sent(pg, "the command", pg.command(ESCALATED_CASE))
    second = pg.wait(f"the verdict on {ESCALATED_CASE}", _verdict(pg, ESCALATED_CASE), timeout)
    parent = pg.stub.message(SUPPORT_CHANNEL, second["thread_ts"]) or {}
    say(f"   verdict: {parent.get('text')}")
    say("5. Escalate to support")
    _sent(pg, "the button", pg.click(SUPPORT_CHANNEL, second["thread_ts"], ActionId.ESCALATE.value, second["id"]))
    pg.wait("the escalation in the support channel", lambda: pg.stub.channel_messages(ESCALATION_CHANNEL), timeout)
    # The bot then confirms in the thread and marks the parent: wait for that last edit too.
    pg.wait("the parent marked as escalated", lambda: "Escalated to support" in json.dumps(
        (pg.stub.message(SUPPORT_CHANNEL, second["thread_ts"]) or {}).get("blocks"), ensure_ascii=False), timeout)
    say("")
    say(channel_text(pg, SUPPORT_CHANNEL))
    say("")
    say(channel_text(pg, ESCALATION_CHANNEL))
