"""The session log's tables: created if missing on every start, durability columns migrated in place.

Kept apart from :mod:`bot.store.db` so the shape of the data reads in one place.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.store import app_memory, indexes, leases, run_detail, ties
from bot.store.ledger import migrate


def ensure(db: Database) -> None:
    """Create tables and indexes if missing; safe to call on every start."""
    db.enable_wal()
    db["sessions"].create(
        {
            "id": str, "channel": str, "thread_ts": str, "requester": str,
            "connection_name": str, "username": str, "login_url": str,
            "consumer_key": str, "connected_app": str, "environment": str,
            "org_id": str, "status": str, "cause_id": str,
            "created_at": float, "updated_at": float, "busy": int,
            "retest_due_at": float, "retest_plan": str, "retest_started_at": float,
        },
        pk="id",
        not_null={"channel", "requester", "username", "login_url", "consumer_key",
                  "environment", "status", "created_at", "updated_at", "busy", "retest_plan"},
        defaults={"status": "running", "busy": 0, "retest_plan": "[]"},
        if_not_exists=True,
    )
    db["runs"].create(
        {
            "id": int, "session_id": str, "trigger": str, "started_at": float,
            "finished_at": float, "ok": int, "cause_id": str, "confidence": str,
            "error_status": int, "error_code": str, "error_description": str,
            "fingerprint": str, "duration_ms": int,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "trigger", "started_at", "finished_at", "ok", "duration_ms"},
        if_not_exists=True,
    )
    db["steps"].create(
        {"run_id": int, "position": int, "step_id": str, "status": str, "finding": str},
        pk=("run_id", "position"),
        foreign_keys=[("run_id", "runs", "id")],
        not_null={"run_id", "position", "step_id", "status"},
        if_not_exists=True,
    )
    db["escalations"].create(
        {"session_id": str, "by_user": str, "at": float, "channel": str,
         "ts": str, "permalink": str},
        pk="session_id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"by_user", "at", "channel"},
        if_not_exists=True,
    )
    db["runs"].create_index(["session_id"], if_not_exists=True)
    db["sessions"].create_index(["created_at"], if_not_exists=True)
    db["sessions"].create_index(["channel", "thread_ts"], if_not_exists=True)
    migrate(db.conn)  # the durability columns, defined with the code that uses them
    run_detail.migrate(db.conn)  # what a restart must not lose of a diagnosis
    ties.migrate(db.conn)  # a tie stays a tie in history and figures
    app_memory.migrate(db.conn)  # what earlier runs proved about a connection's app and My Domain
    leases.migrate(db.conn)  # who holds a claim, and until when (several processes, one file)
    indexes.ensure(db.conn)  # after the migrations: some index their columns
