"""bot.store.db against a real SQLite file: schema, life cycle, atomicity, retests, redaction, history.

Concurrency (threads and separate Store objects on one file): test_store_concurrency.py.
"""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import string
from pathlib import Path

import pytest

from bot.terminal.history import format_history
from bot.store.db import Store, redact

from store_helpers import ORG_ID, failing, new_session, passing, raw
from store_helpers import db_path, store  # noqa: F401 - fixtures, found by name


# -- schema ------------------------------------------------------------------------------


def test_schema_is_idempotent_and_file_is_in_wal_mode(db_path: Path) -> None:
    first = Store(db_path)
    sid = new_session(first)
    second = Store(db_path)  # opening again must neither fail nor wipe data
    second.ensure_schema()
    assert second.session(sid) is not None

    with raw(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        fks = {(r[2], r[3]) for r in conn.execute("PRAGMA foreign_key_list(runs)")}
        pk = [r[1] for r in sorted(conn.execute("PRAGMA table_info(steps)"), key=lambda r: r[5]) if r[5]]
    assert {"sessions", "runs", "steps", "escalations"} <= tables
    assert {"idx_runs_session_id", "idx_sessions_created_at"} <= indexes
    assert fks == {("sessions", "session_id")}
    assert pk == ["run_id", "position"]


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.record_escalation("no-such-session", by_user="U9", channel="C9")


# -- sessions and runs --------------------------------------------------------------------


def test_session_life_cycle(store: Store) -> None:
    sid = new_session(store, connected_app="Aprity JWT")
    s = store.session(sid)
    assert s is not None
    assert (s["status"], s["busy"], s["retest_plan"], s["thread_ts"]) == ("running", False, [], None)
    assert (s["connection_name"], s["connected_app"], s["requester"]) == ("acme-prod", "Aprity JWT", "U1")
    assert store.session("missing") is None

    store.set_thread(sid, "1700000000.000100")
    assert store.session_by_thread("C1", "1700000000.000100")["id"] == sid
    assert store.session_by_thread("C2", "1700000000.000100") is None

    assert store.claim(sid) is True
    assert store.claim(sid) is False  # a run is in progress
    run1 = store.record_run(sid, trigger="command", diagnosis=failing(), started_at=10.0)
    s = store.session(sid)
    # The claim outlives the stored run: the caller still posts and schedules, then releases.
    assert (s["status"], s["cause_id"], s["busy"], s["org_id"]) == (
        "failing", "certificate_mismatch", True, None)
    assert store.claim(sid) is False
    store.release(sid)

    assert store.claim(sid) is True
    run2 = store.record_run(sid, trigger="button", diagnosis=passing(), started_at=20.0)
    store.release(sid)
    s = store.session(sid)
    assert (s["status"], s["cause_id"], s["busy"], s["org_id"]) == ("ok", None, False, ORG_ID)

    # A later run without org info must not forget the org id learned earlier.
    store.record_run(sid, trigger="scheduled", diagnosis=failing(), started_at=30.0)
    assert store.session(sid)["org_id"] == ORG_ID

    runs = store.runs(sid)
    assert [r["id"] for r in runs][:2] == [run1, run2]
    assert [r["trigger"] for r in runs] == ["command", "button", "scheduled"]
    first = runs[0]
    assert (first["ok"], first["cause_id"], first["confidence"], first["error_status"]) == (
        False, "certificate_mismatch", "high", 400)
    assert (first["error_code"], first["fingerprint"], first["duration_ms"]) == (
        "invalid_grant", "invalid_grant: invalid assertion", 812)
    assert first["started_at"] == 10.0 and first["finished_at"] > first["started_at"]
    assert runs[1]["ok"] is True and runs[1]["error_code"] is None
    assert store.last_run(sid)["id"] == runs[-1]["id"]
    assert [(st["position"], st["step_id"], st["status"]) for st in store.steps(run1)] == [
        (0, "private_key", "pass"), (1, "certificate", "fail"), (2, "token_exchange", "fail")]

    store.set_retest_plan(sid, [500.0], started_at=400.0)
    store.close(sid)
    s = store.session(sid)
    assert (s["status"], s["retest_due_at"], s["retest_plan"]) == ("closed", None, [])
    # A run finishing after the user closed the session must not reopen it.
    store.record_run(sid, trigger="scheduled", diagnosis=failing(), started_at=40.0)
    assert store.session(sid)["status"] == "closed"


def test_unknown_session_and_bad_arguments(store: Store) -> None:
    with pytest.raises(KeyError):
        store.claim("missing")
    with pytest.raises(KeyError):
        store.record_run("missing", trigger="command", diagnosis=failing(), started_at=1.0)
    with pytest.raises(KeyError):
        store.set_thread("missing", "1.2")
    store.release("missing")  # called from finally blocks: must not raise
    sid = new_session(store)
    with pytest.raises(ValueError):
        store.record_run(sid, trigger="cron", diagnosis=failing(), started_at=1.0)
    with pytest.raises(ValueError):
        store.close(sid, status="done")
    assert store.runs(sid) == [] and store.last_run(sid) is None


def test_record_run_failure_leaves_nothing_behind(store: Store, db_path: Path) -> None:
    sid = new_session(store)
    assert store.claim(sid)
    before = store.session(sid)
    # Fail the insert of the second step: the run row and first step are already
    # written inside the transaction at that point, so only a rollback removes them.
    with raw(db_path) as conn:
        conn.execute(
            "CREATE TRIGGER fail_second_step BEFORE INSERT ON steps WHEN NEW.position = 1"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="disk on fire"):
        store.record_run(sid, trigger="command", diagnosis=passing(), started_at=5.0)

    with raw(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 0
    assert store.session(sid) == before  # still running, still busy, no org id

    # Control: the same call succeeds once the fault is gone, so the test above can fail.
    with raw(db_path) as conn:
        conn.execute("DROP TRIGGER fail_second_step")
    run_id = store.record_run(sid, trigger="command", diagnosis=passing(), started_at=5.0)
    assert len(store.steps(run_id)) == 3
    assert store.session(sid)["org_id"] == ORG_ID


# -- retests -------------------------------------------------------------------------------


def test_retest_plan_pop_order_and_pending(store: Store) -> None:
    a, b, idle = new_session(store), new_session(store), new_session(store)
    store.set_retest_plan(a, [300.0, 100.0, 200.0], started_at=50.0)
    store.set_retest_plan(b, [150.0], started_at=60.0)
    s = store.session(a)
    assert (s["retest_plan"], s["retest_due_at"], s["retest_started_at"]) == (
        [100.0, 200.0, 300.0], 100.0, 50.0)
    assert store.pending_retests() == [(a, 100.0), (b, 150.0)]
    assert idle not in {sid for sid, _ in store.pending_retests()}

    assert store.pop_retest(a) == 100.0
    assert store.pending_retests() == [(b, 150.0), (a, 200.0)]
    assert store.pop_retest(a) == 200.0
    assert store.pop_retest(a) == 300.0
    assert store.pop_retest(a) is None
    s = store.session(a)
    assert (s["retest_plan"], s["retest_due_at"], s["retest_started_at"]) == ([], None, 50.0)
    assert store.pending_retests() == [(b, 150.0)]

    store.clear_retests(b)
    s = store.session(b)
    assert (s["retest_plan"], s["retest_due_at"], s["retest_started_at"]) == ([], None, None)
    store.set_retest_plan(b, [], started_at=None)
    assert store.pending_retests() == []


# -- secrets -------------------------------------------------------------------------------


def fake_pem(body: str) -> str:
    label = "PRIVATE KEY"  # built at run time: no PEM block lives in the repository
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def fake_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return ORG_ID + "!" + "".join(secrets.choice(alphabet) for _ in range(60))


def test_redact_leaves_ordinary_text() -> None:
    assert redact("plain finding") == "plain finding"
    assert redact(f"org {ORG_ID} is active") == f"org {ORG_ID} is active"  # an org id is no secret
    assert redact(None) is None


def test_redact_removes_pem_blocks_and_tokens() -> None:
    body = base64.b64encode(os.urandom(96)).decode()
    token = fake_token()
    out = redact(f"key was {fake_pem(body)} then token {token} end")
    assert out == "key was [redacted] then token [redacted] end"
    # A truncated block (no END line) is redacted to the end of the text.
    assert redact("pasted: -----BEGIN RSA " + "PRIVATE" + " KEY-----\nMIIEow") == "pasted: [redacted]"


def test_record_run_never_writes_key_or_token_text(store: Store, db_path: Path) -> None:
    body = base64.b64encode(os.urandom(96)).decode()
    token = fake_token()
    sid = new_session(store)
    diagnosis = failing(
        finding=f"Certificate mismatch; file held {fake_pem(body)}",
        description=f"session {token} rejected",
    )
    run_id = store.record_run(sid, trigger="command", diagnosis=diagnosis, started_at=1.0)

    run = store.last_run(sid)
    assert run["error_description"] == "session [redacted] rejected"
    assert run["fingerprint"] == "invalid_grant: session [redacted] rejected"
    assert store.steps(run_id)[1]["finding"] == "Certificate mismatch; file held [redacted]"
    # Nothing recognisable anywhere in the database files, WAL included.
    for suffix in ("", "-wal"):
        f = Path(str(db_path) + suffix)
        if f.exists():
            data = f.read_bytes()
            assert body[:40].encode() not in data
            assert token.split("!")[1].encode() not in data
            assert b"-----BEGIN" not in data


# -- history -------------------------------------------------------------------------------


def test_recent_sessions_and_format_history(store: Store) -> None:
    old = new_session(store)
    store.record_run(old, trigger="command", diagnosis=failing(), started_at=1.0)
    store.record_run(old, trigger="button", diagnosis=failing(), started_at=2.0)
    new = new_session(store, name=None, username="bot@acme.com.uat", environment="sandbox")
    rows = store.recent_sessions()
    assert [r["id"] for r in rows] == [new, old]
    assert [(r["run_count"], r["last_ok"]) for r in rows] == [(0, None), (2, False)]
    assert store.recent_sessions(limit=1)[0]["id"] == new

    table = format_history([
        {"created_at": 0.0, "connection_name": "acme-prod", "username": "int@acme.com",
         "environment": "production", "status": "failing", "cause_id": "certificate_mismatch",
         "run_count": 12},
        {"created_at": 86_400.0 + 3_600 * 13 + 60 * 5, "connection_name": None,
         "username": "bot@acme.com.uat", "environment": "sandbox", "status": "ok",
         "cause_id": None, "run_count": 1},
    ])
    assert table.splitlines() == [
        "Created (UTC)     Connection                Environment  Status   Cause                 Runs",
        "----------------  ------------------------  -----------  -------  --------------------  ----",
        "1970-01-01 00:00  acme-prod (int@acme.com)  production   failing  certificate_mismatch    12",
        "1970-01-02 13:05  bot@acme.com.uat          sandbox      ok       -                        1",
    ]
    assert format_history([]) == "No diagnosis sessions yet."


def test_format_history_keeps_cells_on_one_bounded_line() -> None:
    row = {"created_at": 0.0, "connection_name": "evil\nname" + "x" * 80, "username": "u",
           "environment": "production", "status": "ok", "cause_id": None, "run_count": 0}
    lines = format_history([row]).splitlines()
    assert len(lines) == 3
    assert "evil namexxx" in lines[2] and "…" in lines[2] and len(lines[2]) < 140
