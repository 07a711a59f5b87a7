"""SQLite tables of watched connections and of certificate-expiry warnings already sent.

They live in the bot's database file next to the sessions, under their own small schema
so :mod:`bot.store.db` does not grow. Like the retest plan, a watch's next due time is kept
here and APScheduler's jobs are rebuilt from it at start-up. Every write is one
``BEGIN IMMEDIATE`` transaction. Only names, times, states and public certificate
fingerprints are stored: nothing secret.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.store import leases
from bot.store.retention import owner_only

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY,          -- the connection's name in the connections file
    next_due_at REAL NOT NULL,      -- when the next check is due (epoch seconds)
    last_check_at REAL,
    last_ok INTEGER,                -- 1 working, 0 failing, NULL never checked
    last_cause TEXT,
    worked INTEGER NOT NULL DEFAULT 0,  -- passed at least once since watching began
    fails INTEGER NOT NULL DEFAULT 0,   -- consecutive failing checks
    broken_since REAL,              -- the first failing check of the current outage
    alert_session TEXT              -- the session opened for the current outage
);
CREATE TABLE IF NOT EXISTS cert_warnings (
    connection TEXT NOT NULL,
    fingerprint TEXT NOT NULL,      -- SHA-256 of the certificate: a new certificate starts over
    threshold INTEGER NOT NULL,     -- 30, 7 or 1 (days)
    at REAL NOT NULL,
    not_after REAL NOT NULL,
    PRIMARY KEY (connection, fingerprint, threshold)
);
"""

_FIELDS = ("next_due_at", "last_check_at", "last_ok", "last_cause", "worked", "fails", "broken_since",
           "alert_session")


class WatchStore:
    """Thread-safe access to the watch tables (one sqlite3 connection per thread)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        owner_only(self.path)  # the file names customers' connections: 0600, whoever creates it first
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: safe on every start
        leases.migrate_watches(self._conn())  # who is checking a watch, until when (bot.store.leases)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5)
            conn.execute("PRAGMA busy_timeout=5000")
            conn.row_factory = sqlite3.Row
            leases.register(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn

    # -- watches -------------------------------------------------------------------------

    def watch(self, name: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT * FROM watches WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def watches(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._conn().execute("SELECT * FROM watches ORDER BY name")]

    def ensure(self, name: str, due_at: float) -> dict[str, Any]:
        """The watch row, created with ``due_at`` if new (an existing due time is kept)."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO watches (name, next_due_at) VALUES (?, ?)", (name, due_at))
        row = self.watch(name)
        assert row is not None
        return row

    def update(self, name: str, **fields: Any) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown watch field(s): {', '.join(sorted(unknown))}")
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as conn:
            if conn.execute(f"UPDATE watches SET {sets} WHERE name = ?", (*fields.values(), name)).rowcount == 0:
                raise KeyError(name)

    def claim(self, name: str, *, owner: str, now: float, lease: float = leases.LEASE, force: bool = False,
              slack: float = 1.0) -> bool:
        """Claim the watch's next check for ``owner``, atomically: only when it is due (unless ``force``)
        and no live process holds it. A check runs only under its claim: two processes, one check."""
        with self._write() as conn:
            return conn.execute(leases.watch_claim_sql(), {
                "me": owner, "until": now + lease, "name": name, "force": int(force), "now": now,
                "slack": slack, "lease": lease}).rowcount == 1

    def release(self, name: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE watches SET owner = NULL, lease_until = NULL WHERE name = ? AND owner = ?",
                         (name, owner))

    def due(self, now: float, limit: int, slack: float = 1.0, lease: float = leases.LEASE) -> list[str]:
        """Watches whose check is due and that nobody holds (or whose holder's lease lapsed), most overdue first."""
        cur = self._conn().execute(
            "SELECT name FROM watches WHERE next_due_at <= :now + :slack AND (owner IS NULL OR "
            + leases.EXPIRED.format(touched="COALESCE(last_check_at, 0)") + ") ORDER BY next_due_at LIMIT :limit",
            {"now": now, "slack": slack, "limit": limit, "lease": lease})
        return [r[0] for r in cur]

    def forget(self, name: str) -> None:
        """A connection no longer watched: its state goes (watching it again starts afresh)."""
        with self._write() as conn:
            conn.execute("DELETE FROM watches WHERE name = ?", (name,))

    def session_running(self, username: str, consumer_key: str, login_url: str, *, since: float) -> bool:
        """Is a session of this connection running now (a run claimed, or its first run pending)?

        Reads the sessions table of :mod:`bot.store.db`. A session still "running" long after its
        last update was left by a crash and does not count (``since``).
        """
        row = self._conn().execute(
            # Two indexed reads (busy-only, by status): never a scan of the whole session log.
            "SELECT 1 FROM sessions WHERE busy = 1 AND username = ? AND consumer_key = ? AND login_url = ?"
            " AND updated_at >= ? UNION ALL"
            " SELECT 1 FROM sessions WHERE status = 'running' AND username = ? AND consumer_key = ?"
            " AND login_url = ? AND updated_at >= ? LIMIT 1",
            (username, consumer_key, login_url, since) * 2).fetchone()
        return row is not None

    # -- certificate warnings --------------------------------------------------------------

    def warned(self, connection: str, fingerprint: str) -> set[int]:
        """Thresholds already warned about for this certificate."""
        cur = self._conn().execute("SELECT threshold FROM cert_warnings WHERE connection = ? AND fingerprint = ?",
                                   (connection, fingerprint))
        return {int(r[0]) for r in cur}

    def mark_warned(self, connection: str, fingerprint: str, thresholds: set[int], *, at: float,
                    not_after: float) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO cert_warnings (connection, fingerprint, threshold, at, not_after)"
                " VALUES (?, ?, ?, ?, ?)", [(connection, fingerprint, t, at, not_after) for t in thresholds])

    def latest_certificates(self) -> dict[str, dict[str, Any]]:
        """Per connection, the most recent certificate warned about (fingerprint, not_after)."""
        cur = self._conn().execute(
            "SELECT connection, fingerprint, not_after, MIN(threshold) AS threshold, MAX(at) AS at"
            " FROM cert_warnings GROUP BY connection, fingerprint ORDER BY at")
        return {r["connection"]: dict(r) for r in cur}
