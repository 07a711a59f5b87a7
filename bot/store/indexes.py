"""The indexes that keep the session log fast as it grows (200,000 sessions and more).

Every query on the ack path, at start-up and behind the Home tab reads through one of these,
never a scan of ``sessions``. Partial indexes hold only the few rows that matter: the busy
sessions (the throttle's "is this connection running?"), the sessions with a retest due.
Created if missing on every start (a few seconds once on a large old log, then nothing).
"""

from __future__ import annotations

import sqlite3

INDEXES = (
    # The throttle, under its lock, before every ack; recovery at start-up.
    "CREATE INDEX IF NOT EXISTS sessions_busy ON sessions(busy, created_at) WHERE busy = 1",
    # Open sessions (interrupted first runs, the Home tab, `stats`, the watcher's "is it running?").
    "CREATE INDEX IF NOT EXISTS sessions_status ON sessions(status, created_at)",
    # Retests to schedule at start-up.
    "CREATE INDEX IF NOT EXISTS sessions_retest_due ON sessions(retest_due_at) WHERE retest_due_at IS NOT NULL",
    # Retention's small batches, oldest first.
    "CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated_at)",
    "CREATE INDEX IF NOT EXISTS escalations_at ON escalations(at)",
    # `stats` and the Home tab's figures: a viewer's channels over a month; failing runs only.
    "CREATE INDEX IF NOT EXISTS sessions_channel_created ON sessions(channel, created_at)",
    "CREATE INDEX IF NOT EXISTS runs_failed ON runs(started_at, session_id) WHERE ok = 0",
)


def ensure(conn: sqlite3.Connection) -> None:
    with conn:
        for statement in INDEXES:
            conn.execute(statement)
