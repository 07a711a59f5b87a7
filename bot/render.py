"""Terminal output: flutter-doctor style ✔/✖ per step, advice under failures, a verdict."""

from __future__ import annotations

from checks.model import CAUSE_TITLES, Diagnosis, Status, StepResult

MARKS = {Status.PASS: "✔", Status.FAIL: "✖", Status.WARN: "!", Status.SKIP: "-"}


def _step(step: StepResult, verbose: bool) -> list[str]:
    lines = [f"  [{MARKS[step.status]}] {step.title}: {step.finding}"]
    if verbose or step.status in (Status.FAIL, Status.WARN):
        lines += [f"        {d}" for d in step.detail]
    if step.status in (Status.FAIL, Status.WARN):
        if step.verify:
            lines.append("      How to verify:")
            lines += [f"        • {v}" for v in step.verify]
        if step.fix:
            lines.append("      How to fix:")
            lines += [f"        • {f}" for f in step.fix]
    return lines


def diagnosis_text(d: Diagnosis, *, verbose: bool = False) -> str:
    c = d.connection
    head = f"Connection {c.name}" if c.name else "Ad-hoc connection"
    lines = [f"{head}: {c.username} at {c.login_url} ({c.environment})", ""]
    for step in d.steps:
        lines += _step(step, verbose)
    lines.append("")
    if d.ok:
        org = d.org
        where = f" to org {org.id} ({org.name})" if org and org.id else ""
        lines.append(f"✔ The connection works{where}: token issued and metadata access confirmed.")
    else:
        cause = d.cause
        if cause is not None:
            lines.append(f"✖ Most likely: {cause.title} (confidence {cause.confidence}).")
        others = [f"{x.title} ({x.confidence})" for x in d.candidates[1:]]
        if others:
            lines.append("  Also possible: " + "; ".join(others) + ".")
        if d.error is not None and d.error.error == "unreachable":
            lines.append(f"  No usable answer from Salesforce: {d.error.error_description}")
        elif d.error is not None:
            status = f"HTTP {d.error.status} " if d.error.status else ""
            lines.append(f"  Salesforce said: {status}{d.error.error}: {d.error.error_description}")
        if not d.retryable:
            lines.append("  Waiting will not fix this: change the configuration first.")
    if d.evidence:
        lines.append("  How we know:")
        lines += [f"    - {e}" for e in d.evidence]
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
    if err is not None:
        status = f"HTTP {err.status} " if err.status else ""
        code = f"{err.error}: " if err.error else ""  # some wrappings show only the description
        lines.append(f"Salesforce said: {status}{code}{err.error_description}")
    cands = getattr(expl, "candidates", [])
    for i, cand in enumerate(cands):
        lines.append(f"{'Most likely' if i == 0 else 'Also possible'}: {CAUSE_TITLES[cand.id]} "
                     f"(confidence {cand.confidence})")
    clues = getattr(expl, "clues", [])
    if clues:
        lines.append("Clues:")
        lines += [f"  - {c}" for c in clues]
    if cands and cands[0].id in fixes:
        lines.append("How to fix:")
        lines += [f"  • {f}" for f in fixes[cands[0].id]]
    return "\n".join(lines)
