"""Model objects from stored session rows: the connection summary, and the latest
:class:`Diagnosis` after a restart.

What the store keeps comes back: step statuses and findings, the cause, the error,
and (:mod:`bot.store.run_detail`) the tie, evidence, advice, the org's proven environment
and the certificate's fingerprint, so the parent message and an escalation after a
restart say what they said before. The certificate's PEM is not kept.
"""

from __future__ import annotations

from typing import Any

from checks.model import (Candidate, CauseId, Confidence, ConnectionSummary, Diagnosis, OrgInfo, Status, StepId,
                          StepResult, TokenError)

from bot.store import run_detail


def summary_of(sess: dict[str, Any]) -> ConnectionSummary:
    """The shown-to-support view of a stored session's connection."""
    return ConnectionSummary(name=sess.get("connection_name"), username=sess["username"],
                             login_url=sess["login_url"], consumer_key=sess["consumer_key"],
                             environment=sess["environment"], connected_app=sess.get("connected_app"),
                             org_id=sess.get("org_id"))


def diagnosis_from_rows(sess: dict[str, Any], run: dict[str, Any], steps: list[dict[str, Any]]) -> Diagnosis:
    summary = summary_of(sess)
    results = []
    for row in steps:
        try:
            results.append(StepResult(StepId(row["step_id"]), Status(row["status"]), row.get("finding") or ""))
        except ValueError:  # a step id from another version of the bot: skip it rather than fail
            continue
    candidates = []
    if run.get("cause_id"):
        try:
            candidates.append(Candidate(CauseId(run["cause_id"]), Confidence(run.get("confidence") or "low")))
        except ValueError:
            candidates.append(Candidate(CauseId.UNKNOWN, Confidence.LOW))
    error = None
    if run.get("error_code"):
        error = TokenError(run.get("error_status"), run["error_code"], run.get("error_description") or "")
    org = OrgInfo(id=sess["org_id"]) if sess.get("org_id") else None
    d = Diagnosis(ok=bool(run.get("ok")), connection=summary, steps=results, candidates=candidates,
                  error=error, org=org, duration_ms=int(run.get("duration_ms") or 0))
    return run_detail.apply(d, run.get("detail"))
