"""Answer to ``/aprity-diagnose explain <pasted text>``: a reading of the text, no live check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field as dc_field
from typing import Any

from checks.model import Candidate, CauseId, TokenError

from bot.ids import ActionId
from bot.blocks.kit import actions, button, context, finish, header, line_sections, section
from bot.blocks.text import cause_title, code, code_block, confidence_label, field, mention, one_line, short_cause


@dataclass(frozen=True)
class ExplainView:
    """What was read from the pasted text; ``fixes`` holds the fix steps per cause."""

    found: bool
    error: TokenError | None = None
    candidates: Sequence[Candidate] = ()
    clues: Sequence[str] = ()
    warnings: Sequence[str] = ()
    fixes: Mapping[CauseId, Sequence[str]] = dc_field(default_factory=dict)
    source: str = "salesforce"  # "local": a library/network error on the caller's side; "unavailable": maintenance;
    # "hidden": a wrapper reported the failure without Salesforce's answer
    next_check: str | None = None  # what separates the reading when the text does not decide it


def explain_message(expl: ExplainView,
                    advice_by_cause: Mapping[CauseId, Sequence[str]] | None = None) -> dict[str, Any]:
    """``advice_by_cause`` (optional) adds to or overrides ``expl.fixes``."""
    fixes = {**expl.fixes, **(advice_by_cause or {})}
    blocks: list = [header("Reading of the pasted error")]
    if expl.found and expl.error is not None:
        e = expl.error
        status = f" (HTTP {e.status})" if e.status is not None else ""
        if expl.source == "local":
            text = "*Local error — it never reached Salesforce:*"
        elif expl.source == "hidden":
            text = "*A wrapper hid Salesforce's answer:*"
        elif expl.source == "unavailable":
            text = f"*Salesforce is unavailable{status}* — it answered with a page, not a login error:"
        else:
            text = f"*Salesforce error found{status}:*" + (f" {code(e.error, 300)}" if e.error else "")
        if e.error_description:
            text += f"\n{code_block(e.error_description, 2000)}"
        blocks.append(section(text))
    else:
        blocks.append(section("No Salesforce error found in that text — paste the exact message, for example "
                              "the JSON with `error` and `error_description`."))
    for w in list(expl.warnings)[:5]:
        blocks.append(context([f"⚠️ {field(one_line(w), 1000)}"]))

    top = expl.candidates[0] if expl.candidates else None
    if expl.candidates:
        lines = [f"{i}. *{cause_title(c.id)}* ({confidence_label(c.confidence)})"
                 + (f" — {field(one_line(c.reason), 500)}" if c.reason else "")
                 for i, c in enumerate(expl.candidates, 1)]
        blocks += line_sections(lines, title="*Possible causes*", max_sections=3)
    if expl.next_check:
        blocks.append(section(f"*Next check:* {field(one_line(expl.next_check), 1500)}"))
    if expl.clues:
        blocks += line_sections([f"• {field(one_line(c), 500)}" for c in expl.clues],
                                title="*Clues in the text*", max_sections=2)
    if top is not None and fixes.get(top.id):
        steps = [f"{i}. {field(one_line(s), 1500)}" for i, s in enumerate(fixes[top.id], 1)]
        blocks += line_sections(steps, title=f"*How to fix: {cause_title(top.id)}*", max_sections=4)
    blocks.append(context(["This reads the text only. Run `/aprity-diagnose NAME` to test the connection itself."]))

    if top is not None:
        fallback = f"Likely cause: {short_cause(top.id)} ({top.confidence} confidence)"
    elif expl.found:
        fallback = "Salesforce error found, but no known cause fits it"
    else:
        fallback = "No Salesforce error found in the pasted text"
    return finish(fallback, blocks)


def private_explain_message(shared: dict[str, Any], *, share_key: str, secret_notice: str | None) -> dict[str, Any]:
    """The requester's own copy: ``secret_notice`` on top (what was pasted, rotate it), a share button below."""
    top = [section(f"🔐 {field(secret_notice, 2500)}")] if secret_notice else []
    note = context(["Only you can see this answer. *Share in channel* posts this reading (never your paste)."])
    share = actions([button("Share in channel", ActionId.SHARE_EXPLAIN, share_key)])
    return finish(shared["text"], top + list(shared["blocks"]) + [note, share])


def shared_explain_message(shared: dict[str, Any], *, by: str) -> dict[str, Any]:
    """The reading as posted in the channel, saying who shared it."""
    return finish(shared["text"], list(shared["blocks"]) + [context([f"Shared by {mention(by)}."])])
