"""The thread under the parent message: step results in the guide's order, then the verdict."""

from __future__ import annotations

from typing import Any

from bot.ids import ActionId
from checks.model import APP_TYPE_LABELS, Diagnosis, STEP_ORDER, Status, StepResult

from bot.blocks.kit import context, finish, header, line_sections, section
from bot.blocks.text import (ELLIPSIS, cause_title, code, code_block, confidence_label, environment_text, field, one_line,
                   short_cause)

_ICON = {Status.PASS: "✅", Status.SKIP: "⏭️", Status.FAIL: "❌", Status.WARN: "⚠️"}
_LIST_LINE = 1500  # one verify/fix step; several must share a section


def _order(step: StepResult) -> int:
    return STEP_ORDER.index(step.id) if step.id in STEP_ORDER else len(STEP_ORDER)


def _numbered(items: tuple[str, ...] | list[str]) -> list[str]:
    return [f"{i}. {field(one_line(t), _LIST_LINE)}" for i, t in enumerate(items, 1)]


def link_buttons(links: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, Any]:
    """One actions block of URL buttons into the org's own Setup (at most 25 elements per block)."""
    return {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": f"Open {label}"[:75], "emoji": False},
         "url": url, "action_id": f"{ActionId.SETUP_LINK.value}_{i}"} for i, (label, url) in enumerate(links[:25])]}


def _grouped(steps: list[StepResult], heading_blocks: list) -> dict[str, Any]:
    lines = [f"{_ICON[s.status]} *{s.title}* — {field(one_line(s.finding), 600)}" for s in steps]
    passed = sum(s.status == Status.PASS for s in steps)
    skipped = len(steps) - passed
    fallback = f"{passed} check(s) passed" + (f", {skipped} skipped" if skipped else "")
    return finish(fallback, [*heading_blocks, *line_sections(lines)])


def _problem(step: StepResult, heading_blocks: list) -> dict[str, Any]:
    icon = _ICON[step.status]
    word = "failed" if step.status == Status.FAIL else "warning"
    blocks = [*heading_blocks, section(f"{icon} *{step.title}* — {word}"),
              section(field(step.finding, 3000) or "No details were given.")]
    if step.verify:
        blocks += line_sections(_numbered(step.verify), title="*How to verify*", max_sections=4)
    if step.fix:
        blocks += line_sections(_numbered(step.fix), title="*How to fix*", max_sections=4)
    if step.links:
        blocks.append(link_buttons(step.links))
    if step.detail:
        blocks.append(context([field(one_line(x), 500) for x in step.detail[:9]]
                              + ([f"{ELLIPSIS} {len(step.detail) - 9} more"] if len(step.detail) > 9 else [])))
    return finish(f"{icon} {step.title}: {field(one_line(step.finding), 500)}", blocks)


def error_lines(d: Diagnosis) -> list[str]:
    """Salesforce's exact answer, verbatim in code, with the HTTP status."""
    e = d.last_error
    if e is None:
        return []
    status = f"HTTP {e.status}" if e.status is not None else "no HTTP answer"
    if e.error == "unreachable":  # our label for "no usable answer", not a Salesforce error code
        return [f"*No usable answer from Salesforce* ({status}):", code_block(e.error_description, 2000)]
    call = f", {field(e.call, 40)} call" if e.call else ""
    return [f"*Salesforce answered* ({status}{call}): {code(e.error, 300)}",
            code_block(e.error_description, 2000) if e.error_description else ""]


def verdict_message(d: Diagnosis) -> dict[str, Any]:
    blocks: list = []
    if d.ok:
        org = d.org
        facts = []
        if org is not None:
            facts = [f"*Org:* {field(org.name, 200)}" if org.name else "",
                     f"*Org ID:* {code(org.id, 40)}" if org.id else "",
                     ("*Environment:* sandbox" if org.is_sandbox else "*Environment:* production")
                     if org.is_sandbox is not None else ""]
        blocks.append(section("✅ *Verdict: the connection works.* A token was issued and the org answered."))
        if any(facts):
            blocks.append(section("\n".join(f for f in facts if f)))
        fallback = "Verdict: the connection works"
    else:
        cause = d.cause
        tied = d.tied
        if cause is None:
            head = "❌ *Verdict: the connection fails*, and no known cause fits the evidence."
            fallback = "Verdict: failing, cause not identified"
        elif tied:
            head = (f"⚠️ *Verdict — two causes tie* ({confidence_label(tied[0].confidence)}); Salesforce's answer "
                    "is the same for both: " + " — or — ".join(f"*{cause_title(c.id)}*" for c in tied)
                    + f".\n*The one check that tells them apart:* {field(one_line(d.separating_check), 500)}")
            fallback = "Verdict: tied — " + " or ".join(short_cause(c.id) for c in tied)
        else:
            mark = "❌" if cause.confidence == "high" else "⚠️"  # the cross only when the cause is sure
            head = f"{mark} *Verdict — likely cause:* {cause_title(cause.id)} ({confidence_label(cause.confidence)})"
            if cause.reason:
                head += f"\n{field(one_line(cause.reason), 1000)}"
            fallback = f"Verdict: {short_cause(cause.id)} ({cause.confidence} confidence)"
        blocks.append(section(head))
        others = [f"• {cause_title(c.id)} ({confidence_label(c.confidence)})"
                  + (f" — {field(one_line(c.reason), 400)}" if c.reason else "")
                  for c in d.candidates[max(1, len(tied)):]]
        if others:
            blocks += line_sections(others, title="*Also possible*", max_sections=2)
        err = [x for x in error_lines(d) if x]
        if err:
            blocks.append(section("\n".join(err)))
        if d.org_environment:
            env = environment_text(d.connection.environment, d.org_environment, d.org_environment_proof)
            blocks.append(context([f"*Org environment:* {field(env, 300)}"]))
        if d.app_type in APP_TYPE_LABELS:
            how = "proven by Salesforce's answers" if d.app_type_source == "proven" else "as configured"
            blocks.append(context([f"*App in Salesforce:* {APP_TYPE_LABELS[d.app_type]} ({how})"]))
        if not d.retryable:
            blocks.append(context(["Waiting will not fix this one: correct the setting, then press "
                                   "*I fixed it, retest*."]))
    if d.evidence:
        blocks += line_sections([f"• {field(one_line(x), 800)}" for x in d.evidence],
                                title="*Evidence*", max_sections=3)
    return finish(fallback, blocks)


def step_messages(d: Diagnosis, *, heading: str | None = None) -> list[dict[str, Any]]:
    """Thread replies: passed/skipped steps in one message, each failure or warning alone, verdict last.

    ``heading`` (ours or untrusted, it is escaped) labels the first message, e.g. "Retest at 14:05 UTC".
    """
    steps = sorted(d.steps, key=_order)
    quiet = [s for s in steps if s.status in (Status.PASS, Status.SKIP)]
    loud = [s for s in steps if s.status in (Status.FAIL, Status.WARN)]
    heading_blocks = [header(heading)] if heading else []
    messages: list[dict[str, Any]] = []
    if quiet:
        messages.append(_grouped(quiet, heading_blocks))
        heading_blocks = []
    for s in loud:
        messages.append(_problem(s, heading_blocks))
        heading_blocks = []
    verdict = verdict_message(d)
    if heading_blocks:
        verdict["blocks"][:0] = heading_blocks
    messages.append(verdict)
    return messages
