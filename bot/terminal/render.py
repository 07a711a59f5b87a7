"""Terminal output: flutter-doctor style ✔/✖ per step, advice under failures, a verdict."""

from __future__ import annotations

import re

from checks.checklist import is_aprity_side
from checks.model import APP_TYPE_LABELS, CAUSE_TITLES, Diagnosis, Status, StepResult

MARKS = {Status.PASS: "✔", Status.FAIL: "✖", Status.WARN: "!", Status.SKIP: "-"}
AGAIN = "run `aprity-diagnose check` again in a few minutes"
# The engine's texts are shared with Slack, where automatic retests follow a failure; the terminal has none.
_RETESTS = re.compile(r"(?P<cap>[Tt])he automatic retests will tell[^.]*")


def terminal_words(text: str) -> str:
    """A shared text for the terminal: what the automatic retests would tell, the reader runs ``check`` for."""
    return _RETESTS.sub(lambda m: (AGAIN[0].upper() + AGAIN[1:] if m["cap"] == "T" else AGAIN) +
                        " to see whether it has changed", text)


def _step(step: StepResult, verbose: bool) -> list[str]:
    lines = [f"  [{MARKS[step.status]}] {step.title}: {step.finding}"]
    if verbose or step.status in (Status.FAIL, Status.WARN):
        lines += [f"        {terminal_words(d)}" for d in step.detail]
    if step.status in (Status.FAIL, Status.WARN):
        if step.verify:
            lines.append("      How to verify:")
            lines += [f"        • {terminal_words(v)}" for v in step.verify]
        if step.fix:
            lines.append("      How to fix:")
            lines += [f"        • {terminal_words(f)}" for f in step.fix]
        if step.links:
            lines.append("      In your org's Setup:")
            lines += [f"        → {label}: {url}" for label, url in step.links]
    return lines


def diagnosis_text(d: Diagnosis, *, verbose: bool = False) -> str:
    c = d.connection
    head = f"Connection {c.name}" if c.name else "Ad-hoc connection"
    env = c.environment
    if d.org_environment and d.org_environment != c.environment:
        env = f"login URL: {c.environment} — {d.org_environment_proof or 'the evidence says'}: {d.org_environment}"
    lines = [f"{head}: {c.username} at {c.login_url} ({env})"]
    if d.app_type != "unknown" or c.app_type != "unknown":
        lines.append(f"App: {APP_TYPE_LABELS.get(d.app_type, d.app_type)} ({d.app_type_source})")
    lines.append("")
    for step in d.steps:
        lines += _step(step, verbose)
    lines.append("")
    if d.ok:
        org = d.org
        where = f" to org {org.id} ({org.name})" if org and org.id else ""
        lines.append(f"✔ The connection works{where}: token issued and metadata access confirmed.")
        lines += [f"  ! {s.title}: {s.finding}" for s in d.steps if s.status == Status.WARN]
    else:
        cause = d.cause
        tied = d.tied
        if tied:
            lines.append(f"! Tied (confidence {tied[0].confidence}): " + " — or — ".join(x.title for x in tied) + ".")
            lines.append(f"  The one check that tells them apart: {d.separating_check}")
        elif cause is not None:
            mark = "✖" if cause.confidence == "high" else "!"
            lines.append(f"{mark} Most likely: {cause.title} (confidence {cause.confidence}).")
        others = [f"{x.title} ({x.confidence})" for x in d.candidates[max(1, len(tied)):]]
        if others:
            lines.append("  Also possible: " + "; ".join(others) + ".")
        err = d.last_error
        if err is not None and err.error == "unreachable":
            lines.append(f"  No usable answer from Salesforce: {err.error_description}")
        elif err is not None:
            status = f"HTTP {err.status} " if err.status else ""
            call = f" ({err.call})" if err.call else ""
            lines.append(f"  Salesforce said{call}: {status}{_code_and_text(err.error, err.error_description)}")
        if is_aprity_side(d):
            lines.append("  This is fixed on aprity's side (its connection settings or server): nothing to ask of "
                         "the customer's admin.")
        if not d.retryable:
            lines.append("  Waiting will not fix this: change the configuration first, then run `aprity-diagnose "
                         "check` again.")
        else:
            lines.append("  After a change in Salesforce, run `aprity-diagnose check` again in about 10 minutes "
                         "(Salesforce can take that long to apply it).")
    if d.evidence:
        lines.append("  How we know:")
        lines += [f"    - {terminal_words(e)}" for e in d.evidence]
    lines.append(f"  ({len(d.steps)} checks in {d.duration_ms} ms)")
    return "\n".join(lines)


def explanation_text(expl: object, fixes: dict) -> str:  # explain.Explanation, advice per cause
    """Human output for ``aprity-diagnose explain``."""
    lines: list[str] = []
    warnings = getattr(expl, "warnings", [])
    for w in warnings:
        lines.append(f"! {w}")
    if not getattr(expl, "found", False):
        lines.append("No Salesforce login error found in that text.")
        lines += [f"  {c}" for c in getattr(expl, "clues", [])]
        return "\n".join(lines)
    err = getattr(expl, "error", None)
    source = getattr(expl, "source", "salesforce")
    if err is not None and source == "local":
        # A library or network error on the caller's side: Salesforce never said it.
        lines.append(f"Local error (it never reached Salesforce): {err.error_description}")
    elif err is not None and source == "hidden":
        lines.append(f"A wrapper hid Salesforce's answer: {err.error_description}")
    elif err is not None and source == "unavailable":
        status = f"HTTP {err.status}, " if err.status else ""
        lines.append(f"Salesforce is unavailable ({status}a page instead of a login answer): {err.error_description}")
    elif err is not None:
        status = f"HTTP {err.status} " if err.status else ""
        lines.append(f"Salesforce said: {status}{_code_and_text(err.error, err.error_description)}")
    cands = getattr(expl, "candidates", [])
    for i, cand in enumerate(cands):
        lines.append(f"{'Most likely' if i == 0 else 'Also possible'}: {CAUSE_TITLES[cand.id]} "
                     f"(confidence {cand.confidence})")
    next_check = getattr(expl, "next_check", None)
    if next_check:
        lines.append(f"Next check: {next_check}")
    clues = getattr(expl, "clues", [])
    if clues:
        lines.append("Clues:")
        lines += [f"  - {c}" for c in clues]
    if cands and cands[0].id in fixes:
        lines.append("How to fix:")
        lines += [f"  • {terminal_words(f)}" for f in fixes[cands[0].id]]
    return "\n".join(lines)


def _code_and_text(code: str | None, text: str | None) -> str:
    """``code: text``, once: SOAP faults already start their text with the code, some wrappings have no code."""
    if not text or not code or text.startswith(code):
        return text or code or ""
    return f"{code}: {text}"
