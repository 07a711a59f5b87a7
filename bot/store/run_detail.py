"""What a restart must not lose of a diagnosis, kept as JSON beside its run.

The ``runs`` and ``steps`` rows hold the outcome (status, cause, error); the parent
message and an escalation also need the tie and its separating check, the evidence
lines, each step's advice, the org's proven environment, which call the last error
came from and the certificate's fingerprint. Only public, non-secret fields; the
certificate's PEM is not kept (the escalation shows its fingerprint and expiry).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import replace
from typing import Any

from checks.model import Candidate, CauseId, CertificateInfo, Confidence, Diagnosis, OrgInfo

from bot.redact import redact
from bot.store.columns import add_columns

log = logging.getLogger(__name__)

COLUMN = "detail"


def migrate(conn: sqlite3.Connection) -> None:
    """Add the column to ``runs`` when missing; older rows keep NULL and restore as before."""
    add_columns(conn, "runs", {COLUMN: "TEXT"})


def encode(d: Diagnosis) -> str:
    last = d.last_error
    body: dict[str, Any] = {
        "candidates": [[str(c.id), str(c.confidence), c.reason] for c in d.candidates],
        "evidence": list(d.evidence),
        "steps": [{"verify": list(s.verify), "fix": list(s.fix), "detail": list(s.detail),
                   "links": [list(x) for x in s.links]} for s in d.steps],
        "app_type": [str(d.app_type), str(d.app_type_source)],
        "my_domain_url": d.my_domain_url,
        "org_environment": d.org_environment,
        "org_environment_proof": d.org_environment_proof,
        "separating_check": d.separating_check,
        "retryable": d.retryable,
        "error_call": last.call if last is not None else None,
        "org": {"name": d.org.name, "is_sandbox": d.org.is_sandbox} if d.org else None,
        "certificate": d.certificate.to_dict() if d.certificate else None,
    }
    return redact(json.dumps(body))


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in value) if isinstance(value, list) else ()


def _cause(value: Any) -> CauseId:
    """A stored cause id; one this build does not know (a newer bot's) reads as unknown, not as a failure."""
    try:
        return CauseId(value)
    except ValueError:
        return CauseId.UNKNOWN


def apply(d: Diagnosis, text: str | None) -> Diagnosis:
    """``d`` (rebuilt from the rows) completed with the stored detail; unchanged when there is none."""
    if not text:
        return d
    try:
        body = json.loads(text)
        candidates = [Candidate(_cause(i), Confidence(c), str(r or "")) for i, c, r in body.get("candidates") or []]
        steps = list(d.steps)
        for i, extra in enumerate(body.get("steps") or []):
            if i < len(steps) and isinstance(extra, dict):
                links = tuple((str(a), str(b)) for a, b in extra.get("links") or [])  # none in older rows
                steps[i] = replace(steps[i], verify=_texts(extra.get("verify")), fix=_texts(extra.get("fix")),
                                   detail=_texts(extra.get("detail")), links=links)
        error, api_error = d.error, None
        if body.get("error_call") and d.error is not None:  # the stored error came from a call after the login
            api_error, error = replace(d.error, call=str(body["error_call"])), None
        org = d.org
        if isinstance(body.get("org"), dict):
            extra_org = body["org"]
            org = replace(org or OrgInfo(id=None), name=extra_org.get("name"), is_sandbox=extra_org.get("is_sandbox"))
        app_type, app_source = (body.get("app_type") or [d.app_type, d.app_type_source])[:2]
        cert = body.get("certificate")
        certificate = (CertificateInfo(pem=b"", fingerprint=str(cert["fingerprint"]), not_after=str(cert["not_after"]),
                                       source=str(cert.get("source") or "file")) if isinstance(cert, dict) else None)
    except (ValueError, TypeError, KeyError) as exc:  # a detail from another version: the rows still serve
        log.warning("run detail not restored: %s", exc.__class__.__name__)
        return d
    return replace(d, candidates=candidates or d.candidates, steps=steps, evidence=list(_texts(body.get("evidence"))),
                   org_environment=body.get("org_environment"), org_environment_proof=body.get("org_environment_proof"),
                   separating_check=body.get("separating_check"), retryable=bool(body.get("retryable", True)),
                   error=error, api_error=api_error, org=org, certificate=certificate,
                   app_type=app_type, app_type_source=app_source, my_domain_url=body.get("my_domain_url"))


def certificate_fingerprint(run: dict[str, Any] | None) -> str | None:
    """The fingerprint of the certificate matching aprity's key when ``run`` (a stored row) was made."""
    try:
        cert = json.loads((run or {}).get(COLUMN) or "{}").get("certificate")
    except (ValueError, AttributeError):
        return None
    return str(cert["fingerprint"]) if isinstance(cert, dict) and cert.get("fingerprint") else None
