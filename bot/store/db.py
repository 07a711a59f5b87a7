"""SQLite persistence for diagnosis sessions, their runs, retest plans and escalations.

One SQLite file in WAL mode, one connection per thread (Bolt listeners and
APScheduler jobs share a ``Store``). Every write runs in its own
``BEGIN IMMEDIATE`` transaction so a crash never leaves a half-written run.
Only what ``ConnectionSummary`` and ``Diagnosis`` expose is stored, and free text
is passed through :func:`redact` first as a last line of defence against secrets.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from checks.model import ConnectionSummary, Diagnosis

from bot.store import app_memory, leases, run_detail, ties
from bot.store import schema
from bot.store.ledger import REPLY_URL_LIFETIME
from bot.redact import redact as redact_text
from bot.store.escalations import Escalations
from bot.store.retention import owner_only
from bot.store.retests import RetestPlans

__all__ = ["Store", "redact", "SESSION_STATUSES", "RUN_TRIGGERS"]

SESSION_STATUSES = ("running", "failing", "ok", "closed")
RUN_TRIGGERS = ("command", "button", "scheduled")

_BUSY_TIMEOUT_MS = 5000
SCHEMA_TRIES = 8  # another process setting up the same file (see ensure_schema)
PURGE_BATCH = 100  # sessions per retention transaction: each holds the write lock for milliseconds


def redact(text: str | None) -> str | None:
    """The shared guard of :mod:`bot.redact`, letting NULLs through."""
    return text if not text else redact_text(text)


class Store(RetestPlans, Escalations):
    """Thread-safe access to the bot's SQLite file; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], float] = time.time, *,
                 owner: str | None = None, lease: float = leases.LEASE) -> None:
        self.path = os.fspath(path)
        self._clock = clock
        # Claims name this process and hold for ``lease`` seconds unless renewed (bot.store.leases).
        self.owner, self.lease = owner or leases.new_owner(), lease
        self._local = threading.local()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        owner_only(self.path)  # before SQLite opens it: its -wal and -shm copy the file's mode
        self.ensure_schema()
        owner_only(self.path, "-wal", "-shm")

    # -- connections and transactions -------------------------------------------------

    def _db(self) -> Database:
        """This thread's connection, opened on first use (sqlite3 objects are per thread)."""
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000)
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            # In WAL mode NORMAL skips the fsync on every commit (it happens at checkpoints):
            # a commit stays atomic and survives a process crash or kill -9; only a power
            # loss or OS crash may undo the last few commits. That fsync was most of an ack.
            conn.execute("PRAGMA synchronous=NORMAL")
            leases.register(conn)
            db = Database(conn, execute_plugins=False)
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: commit on success, roll back everything on error.

        IMMEDIATE takes the write lock up front, so a read-then-write sequence
        cannot fail with SQLITE_BUSY halfway (deferred transactions can in WAL).
        """
        conn = self._db().conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn

    transaction = _write  # public names for bot.store.ledger, which keeps its tables in this file

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return _dicts(self._db().execute(sql, params))

    def now(self) -> float:
        return self._clock()

    @contextmanager
    def busy_timeout(self, seconds: float) -> Iterator[None]:
        """Wait at most ``seconds`` for another writer on this thread (the ack path cannot wait 5 s)."""
        conn = self._db().conn
        conn.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")

    def disconnect(self) -> None:
        """Close the calling thread's connection (others close when their thread ends)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def ensure_schema(self) -> None:
        """Create tables and indexes if missing (see :mod:`bot.store.schema`); safe to call on every start.

        Two processes starting together on one file: a column both add is handled where columns are
        added (:func:`bot.store.columns.add_columns`); the switch to WAL or a schema change may find the
        other holding the lock without waiting for it ("database is locked"): then this tries again.
        """
        for attempt in range(SCHEMA_TRIES):
            try:
                schema.ensure(self._db())
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == SCHEMA_TRIES - 1:
                    raise
                self.disconnect()  # a fresh connection, after the other process is done
                time.sleep(0.05 * (attempt + 1))

    # -- what earlier runs proved about a connection ---------------------------------

    def recall_app(self, key: str) -> tuple[str | None, str | None]:
        """(proven app type, My Domain) remembered for a connection key (``app_memory.key_of``)."""
        return app_memory.recall(self.query, key)

    def remember_app(self, key: str, app_type: str | None, my_domain: str | None) -> None:
        app_memory.remember(self._write, key, app_type, my_domain, self._clock())

    # -- sessions --------------------------------------------------------------------

    def create_session(self, *, channel: str, requester: str, connection: ConnectionSummary,
                       claimed: bool = False, reply_url: str | None = None) -> str:
        """Insert a new ``running`` session and return its id; ``claimed``: busy for its first run
        in the same transaction (a crash cannot leave an acked session nobody runs)."""
        session_id = uuid.uuid4().hex
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, channel, requester, connection_name, username,"
                " login_url, consumer_key, connected_app, environment, org_id, status,"
                " created_at, updated_at, busy, retest_plan, run_trigger, reply_url, reply_url_expires,"
                " owner, lease_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, '[]', ?, ?, ?, ?, ?)",
                (session_id, channel, requester, connection.name, connection.username,
                 connection.login_url, connection.consumer_key, connection.connected_app,
                 connection.environment, connection.org_id, now, now, int(claimed),
                 "command" if claimed else None, reply_url, now + REPLY_URL_LIFETIME if reply_url else None,
                 self.owner if claimed else None, now + self.lease if claimed else None),
            )
        return session_id

    def _update(self, conn: sqlite3.Connection, session_id: str, sets: str, params: tuple[Any, ...]) -> None:
        cur = conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*params, session_id))
        if cur.rowcount == 0:
            raise KeyError(session_id)

    def set_thread(self, session_id: str, thread_ts: str) -> None:
        """Remember the ts of the parent message the session's replies thread under."""
        with self._write() as conn:
            self._update(conn, session_id, "thread_ts = ?, updated_at = ?", (thread_ts, self._clock()))

    def session(self, session_id: str) -> dict[str, Any] | None:
        """The session row, or None; ``retest_plan`` decoded, ``busy`` as bool."""
        cur = self._db().execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session_row(cur)

    def session_by_thread(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        """The session whose parent message is ``thread_ts`` in ``channel``."""
        cur = self._db().execute(
            "SELECT * FROM sessions WHERE channel = ? AND thread_ts = ?"
            " ORDER BY created_at DESC LIMIT 1",
            (channel, thread_ts),
        )
        return _session_row(cur)

    def claim(self, session_id: str, trigger: str | None = None, *, started: bool = False) -> bool:
        """Mark a run (for ``trigger``) in progress, owned by this process under a lease; False if one
        already is. ``started``: the run begins now on this thread (not queued). KeyError for an unknown session."""
        now = self._clock()
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE sessions SET busy = 1, updated_at = ?, run_trigger = COALESCE(?, run_trigger),"
                " owner = ?, lease_until = ?, run_started = ? WHERE id = ? AND busy = 0",
                (now, trigger, self.owner, now + self.lease, now if started else None, session_id),
            )
            if cur.rowcount == 1:
                return True
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                raise KeyError(session_id)
            return False

    def release(self, session_id: str) -> None:
        """Clear the busy flag (and the count of runs begun: this one ended without stopping the
        process). Never raises for an unknown id: it runs in ``finally`` blocks."""
        with self._write() as conn:
            # Only our own claim: one adopted by another process since (our lease lapsed) stays its.
            conn.execute("UPDATE sessions SET busy = 0, run_starts = 0, owner = NULL, lease_until = NULL,"
                         " run_started = NULL WHERE id = ? AND (owner IS NULL OR owner = ?)", (session_id, self.owner))

    def close(self, session_id: str, status: str = "closed") -> None:
        """Set the final status and drop any pending automatic retests."""
        if status not in SESSION_STATUSES:
            raise ValueError(f"unknown session status {status!r}")
        with self._write() as conn:
            self._update(
                conn, session_id,
                "status = ?, updated_at = ?, retest_due_at = NULL, retest_plan = '[]',"
                " retest_started_at = NULL",
                (status, self._clock()),
            )

    def recent_sessions(self, limit: int = 20) -> list[dict[str, Any]]:
        """Newest sessions first, each with ``run_count``, ``last_ok`` and ``last_run_at``."""
        cur = self._db().execute(
            "SELECT s.*,"
            " (SELECT COUNT(*) FROM runs r WHERE r.session_id = s.id) AS run_count,"
            " (SELECT r.ok FROM runs r WHERE r.session_id = s.id ORDER BY r.id DESC LIMIT 1) AS last_ok,"
            " (SELECT r.finished_at FROM runs r WHERE r.session_id = s.id ORDER BY r.id DESC LIMIT 1)"
            "   AS last_run_at"
            " FROM sessions s ORDER BY s.created_at DESC, s.rowid DESC LIMIT ?",
            (limit,),
        )
        rows = []
        for row in _dicts(cur):
            row = _decode_session(row)
            row["last_ok"] = None if row["last_ok"] is None else bool(row["last_ok"])
            rows.append(row)
        return rows

    # -- runs ------------------------------------------------------------------------

    def record_run(self, session_id: str, *, trigger: str, diagnosis: Diagnosis, started_at: float) -> int:
        """Store one finished run with its steps and update the session; returns the run id.

        All in one transaction: on any error nothing is written and the session
        keeps its state (including ``busy``, so callers ``release`` in ``finally``).
        A ``closed`` session stays closed: a late run must not reopen it.
        """
        if trigger not in RUN_TRIGGERS:
            raise ValueError(f"unknown run trigger {trigger!r}")
        finished_at = self._clock()
        cause = diagnosis.cause
        err = diagnosis.last_error  # any call's, so a restart keeps e.g. a metadata refusal
        org_id = diagnosis.org.id if diagnosis.org and diagnosis.org.id else None
        cause_id = str(cause.id) if cause else None
        tied = ties.encode(diagnosis)
        run = (
            session_id, trigger, started_at, finished_at, int(diagnosis.ok),
            cause_id, str(cause.confidence) if cause else None,
            err.status if err else None, redact(err.error) if err else None,
            redact(err.error_description) if err else None,
            redact(err.fingerprint()) if err else None, int(diagnosis.duration_ms), run_detail.encode(diagnosis), tied,
        )
        with self._write() as conn:
            self._update(
                conn, session_id,
                "status = CASE WHEN status = 'closed' THEN status ELSE ? END,"
                " cause_id = ?, tied = ?, org_id = COALESCE(?, org_id), updated_at = ?",
                ("ok" if diagnosis.ok else "failing", cause_id, tied, org_id, finished_at),
            )
            cur = conn.execute(
                "INSERT INTO runs (session_id, trigger, started_at, finished_at, ok, cause_id,"
                " confidence, error_status, error_code, error_description, fingerprint, duration_ms, detail, tied)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run,
            )
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO steps (run_id, position, step_id, status, finding) VALUES (?, ?, ?, ?, ?)",
                [(run_id, i, str(s.id), str(s.status), redact(s.finding))
                 for i, s in enumerate(diagnosis.steps)],
            )
        return run_id

    def set_connection(self, session_id: str, connection: ConnectionSummary) -> None:
        """The session's connection as its latest run used it (a fix on aprity's side changes it)."""
        with self._write() as conn:
            self._update(conn, session_id, "username = ?, login_url = ?, consumer_key = ?, environment = ?,"
                         " connected_app = COALESCE(?, connected_app)",
                         (connection.username, connection.login_url, connection.consumer_key,
                          connection.environment, connection.connected_app))

    def runs(self, session_id: str) -> list[dict[str, Any]]:
        """The session's runs, oldest first, ``ok`` as bool."""
        cur = self._db().execute("SELECT * FROM runs WHERE session_id = ? ORDER BY id", (session_id,))
        return [_run_row(r) for r in _dicts(cur)]

    def last_run(self, session_id: str) -> dict[str, Any] | None:
        """The most recent run of the session, or None."""
        cur = self._db().execute(
            "SELECT * FROM runs WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
        )
        rows = _dicts(cur)
        return _run_row(rows[0]) if rows else None

    def steps(self, run_id: int) -> list[dict[str, Any]]:
        """The run's steps in display order."""
        cur = self._db().execute("SELECT * FROM steps WHERE run_id = ? ORDER BY position", (run_id,))
        return _dicts(cur)

    def busy_sessions(self) -> list[dict[str, Any]]:
        """Sessions with a run queued or running, newest first.

        Read through the partial index ``sessions_busy`` (only busy rows): as cheap with 200,000
        sessions in the log as with ten. The throttle compares connections on these few rows.
        """
        cur = self._db().execute("SELECT * FROM sessions WHERE busy = 1 ORDER BY created_at DESC")
        return [_decode_session(r) for r in _dicts(cur)]

    def purge_before(self, cutoff: float, *, batch: int = PURGE_BATCH) -> int:
        """Delete up to ``batch`` sessions idle since before ``cutoff`` (not running) with all their rows.

        One short transaction per batch (callers loop until it returns less than ``batch``), so the
        write lock is never held long enough to delay an ack.
        """
        with self._write() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM sessions WHERE updated_at < ? AND busy = 0 ORDER BY updated_at LIMIT ?",
                (cutoff, batch))]
            if not ids:
                return 0
            marks = ",".join("?" * len(ids))
            conn.execute(f"DELETE FROM steps WHERE run_id IN (SELECT id FROM runs WHERE session_id IN ({marks}))",
                         ids)
            conn.execute(f"DELETE FROM runs WHERE session_id IN ({marks})", ids)
            conn.execute(f"DELETE FROM escalations WHERE session_id IN ({marks})", ids)
            # Owed Slack messages (bot.store.ledger) go too: their foreign key would otherwise fail the batch.
            conn.execute(f"DELETE FROM owed WHERE session_id IN ({marks})", ids)
            return conn.execute(f"DELETE FROM sessions WHERE id IN ({marks})", ids).rowcount



def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    keys = [d[0] for d in cur.description]
    return [dict(zip(keys, row)) for row in cur.fetchall()]


def _decode_session(row: dict[str, Any]) -> dict[str, Any]:
    row["retest_plan"] = [float(t) for t in json.loads(row.get("retest_plan") or "[]")]
    row["busy"] = bool(row["busy"])
    return row


def _session_row(cur: sqlite3.Cursor) -> dict[str, Any] | None:
    rows = _dicts(cur)
    return _decode_session(rows[0]) if rows else None


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    row["ok"] = bool(row["ok"])
    return row
