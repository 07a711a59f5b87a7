"""The retest plan of a session (due times in SQLite): part of :class:`bot.store.db.Store`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any


class RetestPlans:
    """Pending automatic retests, kept on the session row so any process can find them."""

    _clock: Callable[[], float]

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by Store
        raise NotImplementedError

    def _db(self) -> Any:  # provided by Store (a sqlite_utils Database)
        raise NotImplementedError

    def _update(self, conn: sqlite3.Connection, session_id: str, sets: str, params: tuple[Any, ...]) -> None:
        raise NotImplementedError  # provided by Store

    def set_retest_plan(self, session_id: str, due_times: list[float], started_at: float | None) -> None:
        """Replace the pending retest times; ``retest_due_at`` becomes the earliest one."""
        plan = sorted(float(t) for t in due_times)
        with self._write() as conn:
            self._update(
                conn, session_id,
                "retest_plan = ?, retest_due_at = ?, retest_started_at = ?, updated_at = ?",
                (json.dumps(plan), plan[0] if plan else None, started_at, self._clock()),
            )

    def pop_retest(self, session_id: str) -> float | None:
        """Remove and return the earliest pending retest time (None when none is left)."""
        with self._write() as conn:
            row = conn.execute("SELECT retest_plan FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise KeyError(session_id)
            plan = sorted(json.loads(row[0] or "[]"))
            if not plan:
                return None
            due, rest = plan[0], plan[1:]
            self._update(
                conn, session_id, "retest_plan = ?, retest_due_at = ?",
                (json.dumps(rest), rest[0] if rest else None),
            )
            return float(due)

    def clear_retests(self, session_id: str) -> None:
        """Drop every pending retest and the current retest window."""
        with self._write() as conn:
            self._update(
                conn, session_id,
                "retest_plan = '[]', retest_due_at = NULL, retest_started_at = NULL", (),
            )

    def pending_retests(self) -> list[tuple[str, float]]:
        """``(session_id, due_at)`` for every scheduled retest, earliest first (to re-add jobs)."""
        cur = self._db().execute(
            "SELECT id, retest_due_at FROM sessions WHERE retest_due_at IS NOT NULL"
            " ORDER BY retest_due_at, created_at"
        )
        return [(sid, float(due)) for sid, due in cur.fetchall()]
