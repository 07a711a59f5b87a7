"""Shared pieces of the bot.store.db tests: a ticking clock, a Store on a temporary file, sample diagnoses.

Fixtures are imported by name into the test modules that use them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.store.db import Store
from checks.model import (
    Candidate,
    CauseId,
    Confidence,
    ConnectionSummary,
    Diagnosis,
    OrgInfo,
    Status,
    StepId,
    StepResult,
    TokenError,
)

ORG_ID = "00D5g000004AbCdEAA"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0  # strictly increasing, so ordering by time is testable
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "aprity.db"


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path, clock=FakeClock())


def conn_summary(name: str | None = "acme-prod", **kw: Any) -> ConnectionSummary:
    base: dict[str, Any] = dict(
        name=name, username="integration@acme.com", login_url="https://login.salesforce.com",
        consumer_key="3MVG9public.consumer.key", environment="production",
    )
    return ConnectionSummary(**{**base, **kw})


def failing(finding: str = "Certificate does not match the key", description: str = "invalid assertion") -> Diagnosis:
    return Diagnosis(
        ok=False,
        connection=conn_summary(),
        steps=[
            StepResult(StepId.PRIVATE_KEY, Status.PASS, "RSA 2048 key loads"),
            StepResult(StepId.CERTIFICATE, Status.FAIL, finding),
            StepResult(StepId.TOKEN_EXCHANGE, Status.FAIL, "Salesforce refused the assertion"),
        ],
        candidates=[Candidate(CauseId.CERTIFICATE_MISMATCH, Confidence.HIGH)],
        error=TokenError(400, "invalid_grant", description),
        duration_ms=812,
    )


def passing(org_id: str | None = ORG_ID) -> Diagnosis:
    return Diagnosis(
        ok=True,
        connection=conn_summary(),
        steps=[
            StepResult(StepId.PRIVATE_KEY, Status.PASS, "RSA 2048 key loads"),
            StepResult(StepId.TOKEN_EXCHANGE, Status.PASS, "Token issued"),
            StepResult(StepId.VERIFICATION, Status.PASS, "Org and metadata readable"),
        ],
        org=OrgInfo(id=org_id, name="Acme") if org_id else None,
        duration_ms=640,
    )


def new_session(store: Store, **kw: Any) -> str:
    return store.create_session(channel="C1", requester="U1", connection=conn_summary(**kw))


def raw(db_path: Path) -> sqlite3.Connection:
    """A connection outside the Store, to see exactly what reached the file."""
    return sqlite3.connect(db_path)


def not_session_logs(folder: Path) -> list[tuple[Path, str]]:
    """Files a read-only command may be pointed at by mistake, each with the words its refusal must use."""
    junk = folder / "notes.txt"
    junk.write_text("just some notes, not a database\n" * 50)
    other = folder / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    empty = folder / "empty.db"
    empty.write_bytes(b"")
    return [(junk, "not a SQLite database"), (other, "not the bot's session log"),
            (empty, "not the bot's session log"), (folder / "missing.db", "no session log at"),
            (folder, "no session log at")]
