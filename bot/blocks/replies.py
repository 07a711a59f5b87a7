"""Short thread replies and ephemeral notices: retest outcomes, escalation acks, help, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from checks.model import CauseId, Diagnosis

from bot.ids import ActionId
from bot.blocks.kit import actions, button, context, finish, line_sections, section
from bot.blocks.session import diff_line, outcome_text
from bot.blocks.text import (AUTOMATIC_WATCH, cause_title, code, duration_label, field, hhmm, minutes_label, mention,
                             one_line)

TRIGGER_LABELS = {"command": "requested", "button": "after “I fixed it”", "scheduled": "automatic"}


def trigger_label(trigger: str, *, after_ok: bool = False) -> str:
    """``after_ok``: the run before worked, so the button read "Check again", not "I fixed it"."""
    if trigger == "button" and after_ok:
        return "after “Check again”"
    return TRIGGER_LABELS.get(trigger, field(one_line(trigger), 40) or "unknown")


def retest_result_message(d: Diagnosis, *, at: datetime, trigger: str,
                          previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """One reply summing up a retest: when, why, outcome, and what changed since the run before."""
    head = f"🔁 *Retest at {hhmm(at)}* ({trigger_label(trigger, after_ok=bool(previous and previous.get('ok')))})"
    change = diff_line(previous, d)
    fallback = f"Retest at {hhmm(at)}: " + ("the connection works" if d.ok else "still failing")
    return finish(fallback, [section(f"{head}\n{outcome_text(d)}"), context([change]) if change else None])


def success_message(requester: str, seconds: float) -> dict[str, Any]:
    """Posted once the connection works again; ``seconds`` since the session's first failing run."""
    who = "" if requester == AUTOMATIC_WATCH else f"{mention(requester)} "  # a watch has no one to notify
    text = (f"🎉 {who}the connection works now "
            f"(fixed {duration_label(seconds)} after the first failing check). Automatic retests have stopped.")
    return finish(text, [section(text)])


def still_failing_message(minutes: float, cause: CauseId | str | None, fix: Sequence[str],
                          session_id: str, *, escalated: bool = False,
                          tied: Sequence[CauseId | str] = (),
                          links: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Sent when retests keep failing: the cause (both, when two tie), how to fix it, a way to reach support.

    ``links``: (label, URL) into the org's own Setup (checks.rules.setup_links builds only those)."""
    title = cause_title(cause)
    if len(tied) >= 2:
        title = " — or — ".join(cause_title(c) for c in tied)
        head = f"⌛ Still failing after {minutes_label(minutes)}. Two causes tie: *{title}*."
    else:
        head = f"⌛ Still failing after {minutes_label(minutes)}. Likely cause: *{title}*."
    blocks: list = [section(head)]
    if fix:
        blocks += line_sections([f"{i}. {field(one_line(s), 1500)}" for i, s in enumerate(fix, 1)],
                                title="*How to fix*", max_sections=4)
    if links:  # fixed page names on a validated My Domain: nothing in them can break the link syntax
        blocks.append(context(["*In your org's Setup:* " + " · ".join(
            f"<{url}|{field(label, 60)}>" for label, url in links[:7])]))
    if escalated:
        blocks.append(context(["Support already has this one."]))
    else:
        blocks.append(section("If the steps above do not help, hand it to support."))
        blocks.append(actions([button("Escalate to support", ActionId.ESCALATE, session_id)]))
    return finish(f"Still failing after {minutes_label(minutes)}: {title}", blocks)


def escalation_ack(by: str, at: datetime) -> dict[str, Any]:
    text = (f"🆘 Escalated to support by {mention(by)} at {hhmm(at)}. "
            "They have the latest result, the exact error and the run history.")
    return finish(text, [section(text)])


def already_escalated(by: str, at: datetime) -> dict[str, Any]:
    text = (f"This session was already escalated by {mention(by)} at {hhmm(at)}; "
            "no second escalation was sent.")
    return finish(text, [section(text)])


def usage_message(*, adhoc: bool = True) -> dict[str, Any]:
    """Ephemeral help for the slash command; ``adhoc=False`` (customer channels) leaves out inline fields."""
    lines = [
        "*How to use* `/aprity-diagnose`",
        "• `/aprity-diagnose NAME` — check a saved connection by its name",
        *(["• `/aprity-diagnose username=USER consumer_key=KEY login_url=URL [app=NAME] "
           "[app_type=eca|connected_app]` — "
           "check a connection described inline"] if adhoc else []),
        "• `/aprity-diagnose explain &lt;error&gt;` — read a pasted Salesforce error and say what it likely means "
        "(only you see the answer)",
        "• `/aprity-diagnose` alone — open a form",
        "Results appear in a thread under one status message; press *I fixed it, retest* after a change.",
    ]
    return finish("How to use /aprity-diagnose", [section("\n".join(lines))])


def queued_message(position: int) -> dict[str, Any]:
    """``position`` is 1 for the next check to start."""
    pos = max(1, int(position))
    ahead = "it is next" if pos == 1 else f"{pos - 1} check(s) ahead of it"
    text = f"⏳ Your check is queued ({ahead}). It starts on its own; this message will be updated."
    return finish(text, [section(text)])


def internal_error_message(reference: str) -> dict[str, Any]:
    """No stack trace: just a reference that finds the log line."""
    ref = code(reference, 80)
    text = (f"⚠️ Something went wrong on our side and the check did not finish. "
            f"Reference: {ref} — share it with the maintainers of this bot so they can find the log entry.")
    return finish(text, [section(text)])


def crash_loop_message(session_id: str) -> dict[str, Any]:
    """For a session whose run stopped the bot twice: it is not run again by itself."""
    text = ("⛔ This check stopped the bot twice while it ran, so the bot will not run it again by itself. "
            f"Whoever runs aprity can find what happened in the bot's logs (session {code(session_id, 80)}). "
            "Press *I fixed it, retest* to try once more, or run /aprity-diagnose again.")
    return finish(text, [section(text)])


def moved_message(permalink: str | None) -> dict[str, Any]:
    """For a parent posted twice (Slack's answer to the first post was lost): point to the live one."""
    where = f"<{permalink}|the newer status message>" if permalink else "the newer status message below"
    text = f"↪️ This check continues in {where}; this copy is no longer updated."
    return finish(text, [section(text)])
