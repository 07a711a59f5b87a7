"""The hand-over message posted in the support channel when someone escalates.

The view holds only what may be shown: there is no field for a key, a token or a
consumer secret, and every string still goes through the escaping/redaction helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from checks.model import APP_TYPE_LABELS, Candidate, CauseId, CertificateInfo, ConnectionSummary, Diagnosis, Status, TokenError

from bot.store import ties
from bot.blocks.kit import context, fields_section, finish, header, line_sections, section
from bot.blocks.replies import trigger_label
from bot.blocks.text import (ELLIPSIS, cause_title, code, code_block, confidence_label, environment_text, field, link,
                   mention, one_line, short_cause, stamp, utc)

MAX_HISTORY = 20  # most recent runs listed; older ones are counted


@dataclass(frozen=True)
class RunRecord:
    at: datetime  # when the run finished (UTC)
    trigger: str  # "command" | "button" | "scheduled" (others shown as given)
    ok: bool
    cause_id: CauseId | str | None = None
    fingerprint: str | None = None  # "error: description"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "RunRecord":
        """From a stored run row (``finished_at`` epoch seconds, ``trigger``, ``ok``, ``cause_id``, ``fingerprint``)."""
        ts = row.get("finished_at") or row.get("started_at") or 0
        return cls(at=datetime.fromtimestamp(float(ts), tz=timezone.utc), trigger=str(row.get("trigger") or ""),
                   ok=bool(row.get("ok")), cause_id=ties.key_of(row), fingerprint=row.get("fingerprint"))


@dataclass(frozen=True)
class EscalationView:
    session_id: str
    connection: ConnectionSummary
    requester_id: str
    escalated_by: str
    escalated_at: datetime
    last_error: TokenError | None = None
    cause: Candidate | None = None
    org_id: str | None = None
    environment: str | None = None  # overrides connection.environment when the org told us
    thread_url: str | None = None
    history: Sequence[RunRecord] = ()
    environment_proof: str | None = None  # how the org's environment was proven
    evidence: Sequence[str] = ()
    fix: Sequence[str] = ()
    certificate: CertificateInfo | None = None  # the certificate matching aprity's key
    separating_check: str | None = None
    app_type: str = "unknown"  # the app's kind as the last run knew it
    org_name: str | None = None  # the org's name, when a run reached its Organization record
    tied: Sequence[CauseId] = ()  # both causes, when the latest verdict is a tie

    @classmethod
    def from_diagnosis(cls, d: Diagnosis | None, *, session_id: str, connection: ConnectionSummary,
                       requester_id: str, escalated_by: str, escalated_at: datetime,
                       thread_url: str | None = None, history: Sequence[RunRecord] = (),
                       certificate: CertificateInfo | None = None) -> "EscalationView":
        org = d.org if d else None
        env, proof = (d.org_environment, d.org_environment_proof) if d else (None, None)
        if env is None and org is not None and org.is_sandbox is not None:
            env = "sandbox" if org.is_sandbox else "production"
        return cls(session_id=session_id, connection=connection, requester_id=requester_id,
                   escalated_by=escalated_by, escalated_at=escalated_at,
                   last_error=d.last_error if d else None, cause=d.cause if d else None,
                   org_id=(org.id if org and org.id else None) or connection.org_id,
                   environment=env, thread_url=thread_url, history=tuple(history), environment_proof=proof,
                   evidence=tuple(d.evidence) if d else (), fix=suggested_fix(d),
                   certificate=(d.certificate if d and d.certificate else certificate),
                   separating_check=d.separating_check if d else None, org_name=org.name if org else None,
                   tied=tuple(c.id for c in d.tied) if d else (),
                   app_type=str(d.app_type) if d else connection.app_type)




def suggested_fix(d: Diagnosis | None) -> tuple[str, ...]:
    """The fix of the step that carries the verdict's advice (a failure first, else a warning)."""
    if d is None:
        return ()
    for wanted in (Status.FAIL, Status.WARN):
        for step in d.steps:
            if step.status == wanted and step.fix and not step.fix[0].startswith("See \""):
                return tuple(step.fix)
    return ()


def suggested_links(d: Diagnosis | None) -> tuple[tuple[str, str], ...]:
    """The Setup links of the step :func:`suggested_fix` takes its fix from."""
    if d is None:
        return ()
    for wanted in (Status.FAIL, Status.WARN):
        for step in d.steps:
            if step.status == wanted and step.fix and not step.fix[0].startswith("See \""):
                return tuple(step.links)
    return ()


def runs_label(n: int) -> str:
    return "1 run" if n == 1 else f"{n} runs"


def _history_lines(runs: Sequence[RunRecord]) -> list[str]:
    ordered = sorted(runs, key=lambda r: utc(r.at))
    shown = ordered[-MAX_HISTORY:]
    lines = []
    first = len(ordered) - len(shown)
    for i, r in enumerate(shown, start=first):
        outcome = "✅ works" if r.ok else f"❌ {short_cause(r.cause_id)}"
        label = trigger_label(r.trigger, after_ok=i > 0 and ordered[i - 1].ok)
        lines.append(f"• {stamp(r.at)} — {label} — {outcome}")
    hidden = len(runs) - len(shown)
    if hidden:
        lines.insert(0, f"{ELLIPSIS} {hidden} earlier {'run' if hidden == 1 else 'runs'} not listed")
    return lines


def escalation_message(e: EscalationView) -> dict[str, Any]:
    c = e.connection
    who = field(one_line(c.name or c.username) + (f" ({one_line(e.org_name)})" if e.org_name else ""), 200)
    env = one_line(environment_text(c.environment or "unknown", e.environment, e.environment_proof))
    org = " ".join(p for p in (f"*{field(one_line(e.org_name), 150)}*" if e.org_name else "",
                               code(e.org_id, 40) if e.org_id else "") if p) \
        or field("unknown — ask the customer: Setup > Company Information", 200)
    cause = (f"{cause_title(','.join(e.tied) if e.tied else e.cause.id)} ({confidence_label(e.cause.confidence)})"
             if e.cause else "no cause identified")

    org_name = f" — {one_line(e.org_name)}" if e.org_name else ""  # the org by name when known
    blocks: list = [header(f"Escalation: {one_line(c.name or c.username)}{org_name}")]
    if e.last_error is not None:
        err = e.last_error
        status = f"HTTP {err.status}" if err.status is not None else "no HTTP answer"
        call = f", {field(err.call, 40)} call" if err.call else ""
        if err.error == "unreachable" and err.status is None:  # Salesforce said nothing: do not quote it as if
            blocks.append(section(f"*No answer from Salesforce* (no HTTP answer{call})\n"
                                  f"{code_block(err.error_description, 2000)}"))
        else:
            blocks.append(section(f"*Last error from Salesforce* ({status}{call})\n*error:* {code(err.error, 300)}\n"
                                  f"*error_description:*\n{code_block(err.error_description, 2000)}"))
    else:
        blocks.append(section("*Last error from Salesforce:* none recorded"))
    blocks.append(fields_section([
        f"*Org ID*\n{org}",
        f"*Environment*\n{field(env, 300)}",
        f"*App in Salesforce*\n{field(one_line(c.connected_app), 300) if c.connected_app else 'name unknown'}"
        f" — {APP_TYPE_LABELS.get(e.app_type, 'kind unknown')}",
        f"*Consumer key*\n{code(c.consumer_key, 300)}",
        f"*Username*\n{field(one_line(c.username), 300)}",
        f"*Login URL*\n{field(one_line(c.login_url), 500)}",
        f"*Diagnosed cause*\n{cause}",
        "*Certificate matching aprity's key*\n" + (
            f"SHA-256 {code(e.certificate.fingerprint, 120)}\nexpires {field(e.certificate.not_after, 20)}"
            if e.certificate else "unknown — the key could not be read"),
        f"*Asked by*\n{mention(e.requester_id)}",
        f"*Escalated by*\n{mention(e.escalated_by)} at {stamp(e.escalated_at)}",
    ]))
    if e.separating_check:
        blocks.append(section(f"*Tied causes — the one check that tells them apart:* "
                              f"{field(one_line(e.separating_check), 500)}"))
    if e.evidence:
        blocks += line_sections([f"• {field(one_line(x), 600)}" for x in e.evidence], title="*Evidence*",
                                max_sections=2)
    if e.fix:
        blocks += line_sections([f"{i}. {field(one_line(x), 600)}" for i, x in enumerate(e.fix, 1)],
                                title="*Suggested fix*", max_sections=2)
    if e.history:
        blocks += line_sections(_history_lines(e.history), title=f"*Run history* ({runs_label(len(e.history))})",
                                max_sections=2)
    blocks.append(section(f"🧵 {link(e.thread_url, 'Open the diagnosis thread')}"))
    blocks.append(context([f"Session {code(e.session_id, 80)}"]))
    fallback = f"Escalation for {who}: {cause}"
    return finish(fallback, blocks)
