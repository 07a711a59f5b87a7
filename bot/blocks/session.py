"""The one live status message of a diagnosis session, and the "what changed" line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checks.checklist import is_aprity_side
from checks.model import ConnectionSummary, Diagnosis, OrgInfo, STEP_ORDER, STEP_TITLES, StepId

from bot.ids import PARENT_BLOCK_PREFIX, ActionId
from bot.store import run_detail, ties
from bot.blocks.kit import actions, button, context, finish, section
from bot.blocks.text import (ELLIPSIS, cause_title, code, confidence_label, environment_text, field, hhmm, login_host,
                   mention, one_line, short_cause)


@dataclass(frozen=True)
class ParentView:
    """What the parent message shows. ``diagnosis`` is the latest finished run (None before the first)."""

    session_id: str
    requester_id: str
    connection: ConnectionSummary
    revision: int
    running: bool = False
    step: StepId | None = None  # the step being run, while running
    step_index: int = 0  # 1-based
    step_total: int = len(STEP_ORDER)
    diagnosis: Diagnosis | None = None
    previous_run: dict[str, Any] | None = None  # the run before ``diagnosis`` (ok, cause_id, fingerprint)
    next_retest_at: datetime | None = None
    retests_stopped: str | None = None  # why automatic retests ended, in plain words
    escalated_by: str | None = None
    escalated_at: datetime | None = None
    run_number: int | None = None
    restarted: bool = False  # a restart interrupted this session's run and it ran again
    header_org: OrgInfo | None = None  # the org of the latest run, shown in the header also while running


def connection_line(c: ConnectionSummary, d: Diagnosis | None = None, org: OrgInfo | None = None) -> str:
    """The connection at a glance; the environment is the org's as proven, and the login URL's if they differ."""
    name = field(one_line(c.name), 150) if c.name else "_unnamed_"
    env = environment_text(c.environment, d.org_environment if d else None, d.org_environment_proof if d else None)
    org = org or (d.org if d else None)
    org_id = (org.id if org else None) or c.org_id
    who = " ".join(p for p in (field(one_line(org.name), 150) if org and org.name else "",
                               code(org_id, 40) if org_id else "") if p)
    return (f"*Connection:* {name}  ·  *User:* {field(one_line(c.username), 200)}  ·  "
            f"*Login host:* {login_host(c.login_url)}  ·  *Environment:* {field(env, 300)}"
            + (f"  ·  *Org:* {who}" if who else ""))


def outcome_note(d: Diagnosis) -> str:
    """For the requester when the parent cannot be posted: the verdict, and where the rest will go."""
    return (f"{outcome_text(d)}\nSlack did not accept the status message in the channel; it will appear there, "
            "with the step-by-step results, as soon as Slack does.")


def outcome_text(d: Diagnosis) -> str:
    """One line: ✅ works (org) or ❌ likely cause with confidence, plus the other candidates."""
    if d.ok:
        org = d.org
        if org and (org.name or org.id):
            who = " ".join(p for p in (f"*{field(org.name, 200)}*" if org.name else "",
                                       code(org.id, 40) if org.id else "") if p)
            text = f"✅ *Connection works* — org {who}"
        else:
            text = "✅ *Connection works*"
        warnings = [f"⚠️ {s.title}: {field(one_line(s.finding), 300)}" for s in d.steps if s.status.value == "warn"]
        return "\n".join([text, *warnings[:3]])
    cause = d.cause
    if cause is None:
        return "❌ *Connection fails* — the cause could not be identified"
    tied = d.tied
    if tied:
        text = (f"⚠️ *Tied* ({confidence_label(tied[0].confidence)}): "
                + " — or — ".join(f"*{cause_title(c.id)}*" for c in tied)
                + f"\nThe one check that tells them apart: {field(one_line(d.separating_check), 300)}")
    else:  # the cross only when the cause is sure, as in the terminal (✖ high, ! otherwise)
        mark = "❌" if cause.confidence == "high" else "⚠️"
        text = f"{mark} *{cause_title(cause.id)}* ({confidence_label(cause.confidence)})"
    others = [f"{short_cause(c.id)} ({confidence_label(c.confidence)})" for c in d.candidates[max(1, len(tied)):6]]
    if others:
        text += "\nAlso possible: " + "; ".join(others)
        if len(d.candidates) > 6:
            text += f"; {ELLIPSIS}"
    return text


def _fallback_outcome(d: Diagnosis) -> str:
    if d.ok:
        return "works"
    if d.tied:
        return "failing — tied: " + " or ".join(short_cause(c.id) for c in d.tied)
    return f"failing — {short_cause(d.cause.id)}" if d.cause else "failing"


def parent_message(p: ParentView) -> dict[str, Any]:
    """The session's status message; block ids carry ``revision`` so each update replaces them."""
    bid = f"{PARENT_BLOCK_PREFIX}_r{int(p.revision)}"
    name = field(one_line(p.connection.name or p.connection.username), 150)
    d = p.diagnosis

    if p.running:
        if p.step is not None and p.step_total:
            state = (f"⏳ Running step {p.step_index} of {p.step_total}: "
                     f"*{STEP_TITLES[p.step]}*{ELLIPSIS}")
        else:
            state = f"⏳ Running the checks{ELLIPSIS}"
        fallback = f"Connection check for {name}: running"
    elif d is not None:
        state = outcome_text(d) + "\nStep-by-step results are in the thread."
        if not d.ok and is_aprity_side(d):
            state += "\n🛠️ This is fixed on aprity's side (its connection settings or server): nothing to ask of " \
                     "the customer."
        fallback = f"Connection check for {name}: {_fallback_outcome(d)}"
    else:
        state = "No result yet."
        fallback = f"Connection check for {name}"

    notes: list[str] = []
    change = diff_line(p.previous_run, d) if d is not None and not p.running else None
    if change:
        notes.append(change)
    if p.retests_stopped:
        notes.append(f"⏹️ Automatic retests stopped: {field(one_line(p.retests_stopped), 300)}")
    elif p.next_retest_at is not None and not p.running:
        notes.append(f"⏰ Next automatic retest at {hhmm(p.next_retest_at)}")
    if p.restarted:
        notes.append("♻️ The bot restarted during this check; " + ("checking again" if p.running else "checked again"))
    escalated = p.escalated_by is not None
    if escalated:
        when = f" at {hhmm(p.escalated_at)}" if p.escalated_at else ""
        notes.append(f"🆘 Escalated to support by {mention(p.escalated_by)}{when}")

    buttons = []
    if not p.running:
        # A working connection has nothing to fix: offer a plain re-run.
        label = "Check again" if d is not None and d.ok else "I fixed it, retest"
        buttons.append(button(label, ActionId.RETEST, p.session_id, style="primary"))
    if not escalated and not (d is not None and d.ok and not p.running):
        buttons.append(button("Escalate to support", ActionId.ESCALATE, p.session_id, confirm=_ESCALATE_CONFIRM))
    if d is not None and not d.ok and not p.running:  # the admin's checklist, in their words (private first)
        buttons.append(button("For the customer", ActionId.FOR_CUSTOMER, p.session_id))

    run = f"Run {int(p.run_number)}  ·  " if p.run_number else ""
    return finish(fallback, [
        section(f"🔎 *Salesforce connection check* requested by {mention(p.requester_id)}", f"{bid}_head"),
        context([connection_line(p.connection, d, p.header_org)], f"{bid}_conn"),
        section(state, f"{bid}_state"),
        context(notes, f"{bid}_notes") if notes else None,
        context([f"{run}Session {code(p.session_id, 80)}"], f"{bid}_meta"),
        actions(buttons, f"{bid}_actions"),
    ])


_ESCALATE_CONFIRM = {
    "title": {"type": "plain_text", "text": "Escalate to support?"},
    "text": {"type": "plain_text", "text": "The latest result, the error and the run history go to the support "
                                           "channel. No keys or secrets are sent."},
    "confirm": {"type": "plain_text", "text": "Escalate"},
    "deny": {"type": "plain_text", "text": "Cancel"},
}


def _state_of(ok: bool, cause: object) -> str:
    return "working" if ok else short_cause(cause or None)


APPLYING = ("🕒 aprity's key or certificate changed since the previous run: Salesforce may still be applying the "
            "new certificate (it can take up to 10 minutes), so this verdict may change on its own. Wait for the next "
            "retest before changing anything else.")


def still_applying(prev: dict[str, Any] | None, d: Diagnosis | None) -> bool:
    """A failure right after the certificate matching aprity's key changed: likely Salesforce catching up."""
    before = run_detail.certificate_fingerprint(prev)
    now = d.certificate.fingerprint if d is not None and d.certificate else None
    return bool(d is not None and not d.ok and before and now and before != now)


def diff_line(prev: dict[str, Any] | None, d: Diagnosis | None) -> str | None:
    """"was: X → now: Y" (escaped mrkdwn) between the previous run and ``d``; None if nothing changed."""
    if not prev or d is None:
        return None
    if still_applying(prev, d):  # not a new fault of the admin's: the change is still on its way
        return APPLYING
    prev_ok = bool(prev.get("ok"))
    prev_cause = ties.key_of(prev)  # what was really diagnosed: both causes of a tie
    now_cause = ties.key_of_diagnosis(d)
    if prev_ok != d.ok or (not d.ok and prev_cause != now_cause):
        return (f"🔄 Since the previous run — was: *{_state_of(prev_ok, prev_cause)}* "
                f"→ now: *{_state_of(d.ok, now_cause)}*")
    if d.ok:
        return None
    prev_fp = one_line(prev.get("fingerprint") or "")
    now_fp = one_line(d.last_error.fingerprint()) if d.last_error else ""
    if prev_fp == now_fp:
        return None
    return (f"🔄 Same likely cause, but Salesforce's answer changed — was: {code(prev_fp, 300)} "
            f"→ now: {code(now_fp, 300)}")

