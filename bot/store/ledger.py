"""What the bot still owes its users, kept in SQLite so a crash or a Slack outage loses none of it.

* Sessions claimed for a run (``busy``) when the process died: :func:`interrupted`
  finds them at start-up, with the trigger of the run they were waiting for.
* Slack messages that could not be delivered (a parent post or update, a thread
  reply): the latest rendering is stored in ``owed`` and replayed by
  :mod:`bot.sessions.repair` when Slack answers again.
* The slash command's ``response_url`` with its limits (30 minutes, 5 uses), so the
  requester can be told the outcome even when the parent message cannot be posted.

The columns are added by :func:`migrate`, which works on databases made by older
versions of the bot as well as new ones.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any, Protocol

from bot.redact import redact
from bot.store.columns import add_columns
from bot.store.leases import Claims


class Store(Protocol):
    """What the ledger needs of :class:`bot.store.db.Store` (which imports this module for migrate())."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
    def query(self, sql: str, params: Any = ...) -> list[dict[str, Any]]: ...
    def session(self, session_id: str) -> dict[str, Any] | None: ...
    def now(self) -> float: ...

# Slack accepts a response_url for 30 minutes, and at most five times.
REPLY_URL_LIFETIME = 30 * 60
REPLY_URL_USES = 5

_SESSION_COLUMNS = {
    "run_trigger": "TEXT",  # what the claimed run was for: command, button or scheduled
    "restarted_at": "REAL",  # set when a restart interrupted the session's run and it ran again
    "reply_url": "TEXT",
    "reply_url_expires": "REAL",
    "reply_url_uses": "INTEGER NOT NULL DEFAULT 0",
    # Runs begun and not ended in this process since the last release: 2 at start-up means the run
    # stopped the process twice (bot.sessions.recovery ends the session instead of resuming it again).
    "run_starts": "INTEGER NOT NULL DEFAULT 0",
}


def migrate(conn: sqlite3.Connection) -> None:
    """Add the columns and table this module needs; a no-op when they exist."""
    add_columns(conn, "sessions", _SESSION_COLUMNS)
    with conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS owed (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " session_id TEXT NOT NULL REFERENCES sessions(id), kind TEXT NOT NULL,"
            " payload TEXT NOT NULL, since REAL NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS owed_session ON owed(session_id)")


class Ledger:
    """Owed messages, interrupted runs and reply URLs over a :class:`~bot.store.db.Store`."""

    def __init__(self, store: "Store") -> None:
        self.store = store
        self._lock = threading.Lock()
        self._owing = self.count_owed() > 0  # cheap check for "is a repair pass worth it?"

    # -- owed Slack messages ------------------------------------------------------------

    def owe_parent(self, session_id: str, message: dict[str, Any]) -> None:
        """The parent should show ``message``; it replaces any older owed rendering."""
        payload = redact(json.dumps(message))
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM owed WHERE session_id = ? AND kind = 'parent'", (session_id,))
            conn.execute("INSERT INTO owed (session_id, kind, payload, since) VALUES (?, 'parent', ?, ?)",
                         (session_id, payload, self.store.now()))
        with self._lock:
            self._owing = True

    def owe_reply(self, session_id: str, message: dict[str, Any]) -> None:
        """A thread reply that could not be posted; replies are replayed in order."""
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO owed (session_id, kind, payload, since) VALUES (?, 'reply', ?, ?)",
                         (session_id, redact(json.dumps(message)), self.store.now()))
        with self._lock:
            self._owing = True

    @property
    def owing(self) -> bool:
        with self._lock:
            return self._owing

    def count_owed(self) -> int:
        return int(self.store.query("SELECT COUNT(*) AS n FROM owed")[0]["n"])

    def owed(self) -> list[dict[str, Any]]:
        """Every owed message, oldest first, ``message`` decoded."""
        rows = self.store.query("SELECT * FROM owed ORDER BY id")
        with self._lock:
            self._owing = bool(rows)
        for row in rows:
            row["message"] = json.loads(row.pop("payload"))
        return rows

    def owes(self, session_id: str, kind: str) -> bool:
        """Whether a ``parent`` rendering or ``reply`` of this session waits for Slack."""
        return bool(self.store.query("SELECT 1 FROM owed WHERE session_id = ? AND kind = ? LIMIT 1",
                                     (session_id, kind)))

    def settle(self, owed_id: int) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM owed WHERE id = ?", (owed_id,))

    def settle_parent(self, session_id: str) -> None:
        """The parent now shows the latest state: drop its owed rendering."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM owed WHERE session_id = ? AND kind = 'parent'", (session_id,))

    # -- runs interrupted by a crash -------------------------------------------------------

    def interrupted(self) -> list[dict[str, Any]]:
        """Sessions whose run nobody holds any more, oldest first: a claim whose lease lapsed (its
        process died or handed it back), or a session still ``running`` with no run and no claim.
        A claim a live process renews is not one (:mod:`bot.store.leases`)."""
        ids = Claims(self.store).adoptable(limit=1000)  # type: ignore[arg-type]
        return [s for s in (self.store.session(sid) for sid in ids) if s is not None]

    def run_begins(self, session_id: str) -> None:
        """A run of the session starts now: counted until the run lets go of the session (release)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE sessions SET run_starts = run_starts + 1 WHERE id = ?", (session_id,))

    def mark_restarted(self, session_id: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE sessions SET restarted_at = ?, busy = 1 WHERE id = ?",
                         (self.store.now(), session_id))

    # -- the requester's response_url ------------------------------------------------------

    def take_reply_url(self, session_id: str) -> str | None:
        """The session's response_url if Slack still accepts it, counting this use."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT reply_url, reply_url_expires, reply_url_uses FROM sessions WHERE id = ?",
                               (session_id,)).fetchone()
            if row is None or not row[0]:
                return None
            url, expires, uses = row
            if (expires or 0) <= self.store.now() or (uses or 0) >= REPLY_URL_USES:
                conn.execute("UPDATE sessions SET reply_url = NULL WHERE id = ?", (session_id,))
                return None
            conn.execute("UPDATE sessions SET reply_url_uses = reply_url_uses + 1 WHERE id = ?", (session_id,))
            return str(url)
