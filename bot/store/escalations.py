"""Escalations, once per session (the primary key guards it): part of :class:`bot.store.db.Store`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any


def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    keys = [d[0] for d in cur.description]
    return [dict(zip(keys, row)) for row in cur.fetchall()]


class Escalations:
    """Who escalated a session, when, and where the escalation was posted."""

    _clock: Callable[[], float]

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by Store
        raise NotImplementedError

    def _db(self) -> Any:  # provided by Store (a sqlite_utils Database)
        raise NotImplementedError

    def record_escalation(self, session_id: str, *, by_user: str, channel: str) -> tuple[bool, dict[str, Any]]:
        """Escalate once: ``(True, row)`` if created now, ``(False, existing row)`` otherwise."""
        with self._write() as conn:
            # The primary key makes the second escalation a no-op even across processes.
            cur = conn.execute(
                "INSERT OR IGNORE INTO escalations (session_id, by_user, at, channel) VALUES (?, ?, ?, ?)",
                (session_id, by_user, self._clock(), channel),
            )
            created = cur.rowcount == 1
            row = _dicts(conn.execute("SELECT * FROM escalations WHERE session_id = ?", (session_id,)))
        return created, row[0]

    def set_escalation_message(self, session_id: str, ts: str, permalink: str | None) -> None:
        """Remember where the escalation was posted."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE escalations SET ts = ?, permalink = ? WHERE session_id = ?",
                (ts, permalink, session_id),
            )
            if cur.rowcount == 0:
                raise KeyError(session_id)

    def delete_escalation(self, session_id: str) -> None:
        """Undo an escalation that never reached the support channel (no message ts yet)."""
        with self._write() as conn:
            conn.execute("DELETE FROM escalations WHERE session_id = ? AND ts IS NULL", (session_id,))

    def escalation(self, session_id: str) -> dict[str, Any] | None:
        """The session's escalation row, or None."""
        rows = _dicts(self._db().execute("SELECT * FROM escalations WHERE session_id = ?", (session_id,)))
        return rows[0] if rows else None
