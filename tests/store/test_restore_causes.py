"""A stored cause id this build does not know (written by a newer bot) restores as "unknown", not as a failure,
and the new causes `explain` names survive the store."""

from __future__ import annotations

import json

from bot.store.restore import diagnosis_from_rows
from checks.model import CauseId, Confidence

SESS = {"connection_name": "acme", "username": "integration@acme.com", "login_url": "https://login.salesforce.com",
        "consumer_key": "3MVG9x", "environment": "production", "connected_app": None, "org_id": None}


def _run(cause: str, candidates: list[list[str]]) -> dict:
    detail = json.dumps({"candidates": candidates, "separating_check": "Look at Login History."})
    return {"cause_id": cause, "confidence": "medium", "ok": 0, "duration_ms": 5, "detail": detail}


def test_new_cause_ids_survive_the_store() -> None:
    d = diagnosis_from_rows(SESS, _run("proxy_auth_required", [["proxy_auth_required", "high", "407"],
                                                                ["tls_interception", "low", ""]]), [])
    assert [(c.id, c.confidence) for c in d.candidates] == [(CauseId.PROXY_AUTH_REQUIRED, Confidence.HIGH),
                                                           (CauseId.TLS_INTERCEPTION, Confidence.LOW)]
    assert d.separating_check == "Look at Login History."


def test_a_cause_from_a_newer_build_reads_as_unknown_and_keeps_the_rest() -> None:
    d = diagnosis_from_rows(SESS, _run("cause_from_a_newer_bot", [["cause_from_a_newer_bot", "medium", "r"],
                                                                    ["username_or_login_url", "low", "u"]]), [])
    assert [c.id for c in d.candidates] == [CauseId.UNKNOWN, CauseId.USERNAME_OR_LOGIN_URL]
    assert d.separating_check == "Look at Login History."  # the detail was not thrown away
    rows_only = diagnosis_from_rows(SESS, {**_run("cause_from_a_newer_bot", []), "detail": None}, [])
    assert [c.id for c in rows_only.candidates] == [CauseId.UNKNOWN]
