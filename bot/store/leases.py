"""Work claimed in SQLite with an owner and a lease, so several bot processes can share one file.

A deploy overlaps two processes on the same database (the new one boots while the old one
drains). Every claim — a session's run (``sessions.busy``) and a watch check (``watches``) —
names its ``owner`` (one per process) and holds until ``lease_until``; a live process renews
its leases with :meth:`Claims.heartbeat`. Another process adopts a claim only once its lease
has expired, or at once when its owner is provably gone (same machine and PID namespace, PID
no longer alive: a kill -9). A stopping process hands back what it queued but did not start
(``run_started`` still empty) so the other process runs it without waiting for the lease.

Rows written by a version without leases (``lease_until`` NULL) count as expired once they
have not been touched for a lease: an old process still running them keeps them briefly.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import uuid
from contextlib import AbstractContextManager
from typing import Any, Protocol

from bot.store.columns import add_columns

LEASE = 30.0  # seconds a claim holds without a heartbeat (APRITY_LEASE); a live process renews every third

_SESSION_COLUMNS = {"owner": "TEXT", "lease_until": "REAL", "run_started": "REAL"}
_WATCH_COLUMNS = {"owner": "TEXT", "lease_until": "REAL"}


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").rsplit("[", 1)[-1].rstrip("]")
    except OSError:
        return "-"


_LIVE: set[str] = set()  # the owners made by this process: never "gone" to it


def new_owner() -> str:
    """This process's name in claims: host, PID namespace and PID (to tell a dead owner), and a nonce."""
    owner = f"{socket.gethostname()}/{_pid_namespace()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
    _LIVE.add(owner)
    return owner


def owner_gone(owner: str | None) -> bool:
    """True only when ``owner`` provably no longer runs: a process on this machine whose PID is dead
    (or is ours under another nonce: an earlier life of this PID). Elsewhere, only the lease tells."""
    if not owner:
        return False
    try:
        host, ns, pid_text, _ = owner.split("/")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or ns != _pid_namespace():
        return False
    if pid == os.getpid():
        return owner not in _LIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, someone else's: alive
        return False
    try:  # a killed process not reaped yet (a zombie) is gone too
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def register(conn: sqlite3.Connection) -> None:
    """Make ``owner_gone(owner)`` callable from SQL on this connection."""
    conn.create_function("owner_gone", 1, lambda o: int(owner_gone(o)))


def migrate(conn: sqlite3.Connection) -> None:
    """Add the lease columns to ``sessions`` (and ``watches`` when it exists); a no-op when present."""
    add_columns(conn, "sessions", _SESSION_COLUMNS)
    add_columns(conn, "watches", _WATCH_COLUMNS)
    # The polls read through bot.store.indexes (created right after the migrations), never a scan.


def migrate_watches(conn: sqlite3.Connection) -> None:
    add_columns(conn, "watches", _WATCH_COLUMNS)


# A claim another process may take: handed back or lapsed, left by a dead owner, or written
# without a lease by an older version and untouched for a lease.
EXPIRED = ("(lease_until < :now OR owner_gone(owner)"
           " OR (lease_until IS NULL AND {touched} < :now - :lease))")


class Store(Protocol):
    """What claims need of :class:`bot.store.db.Store` (which imports this module)."""

    owner: str
    lease: float

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
    def query(self, sql: str, params: Any = ...) -> list[dict[str, Any]]: ...
    def now(self) -> float: ...


class Claims:
    """Leases on session runs over a :class:`~bot.store.db.Store`: heartbeat, adoption, hand-back, due retests.

    The heartbeat renews only the sessions this process has said it works on (:meth:`hold`, until
    :meth:`drop`): a claim whose job failed before it could let go (say SQLite failed under it) is not
    kept alive forever by a process that forgot it, but lapses and is adopted by the next poll.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}  # session id → how many jobs of this process hold it

    def hold(self, sid: str) -> None:
        with self._lock:
            self._held[sid] = self._held.get(sid, 0) + 1

    def drop(self, sid: str) -> None:
        with self._lock:
            left = self._held.get(sid, 0) - 1
            if left > 0:
                self._held[sid] = left
            else:
                self._held.pop(sid, None)

    def held(self) -> list[str]:
        with self._lock:
            return list(self._held)

    @property
    def owner(self) -> str:
        return self.store.owner

    def _p(self, **extra: Any) -> dict[str, Any]:
        now = self.store.now()
        return {"me": self.owner, "now": now, "lease": self.store.lease, "until": now + self.store.lease, **extra}

    def heartbeat(self) -> int:
        """Renew the leases of the runs this process holds (queued or going) and of its watch checks;
        returns how many."""
        p, held = self._p(), self.held()
        with self.store.transaction() as conn:
            n = 0
            for i in range(0, len(held), 500):  # by primary key, a few hundred at most
                chunk = held[i:i + 500]
                n += conn.execute(f"UPDATE sessions SET lease_until = ? WHERE owner = ? AND busy = 1"
                                  f" AND id IN ({','.join('?' * len(chunk))})",
                                  (p["until"], p["me"], *chunk)).rowcount
            if conn.execute("SELECT 1 FROM pragma_table_info('watches') WHERE name = 'owner'").fetchone():
                n += conn.execute("UPDATE watches SET lease_until = :until WHERE owner = :me", p).rowcount
        return n

    def begin_run(self, sid: str) -> bool:
        """A worker starts the queued run: False when the claim is no longer ours (handed back, adopted)."""
        with self.store.transaction() as conn:
            return conn.execute("UPDATE sessions SET run_started = :now WHERE id = :sid AND owner = :me"
                                " AND busy = 1", self._p(sid=sid)).rowcount == 1

    def adoptable(self, limit: int = 50) -> list[str]:
        """Sessions whose run nobody holds any more, oldest first: claims whose lease expired, and
        sessions acked but left without a run or claim."""
        # Two indexed reads (the busy rows, the running ones), never a scan: this runs on every poll.
        rows = self.store.query(
            "SELECT id, created_at FROM sessions WHERE busy = 1 AND " + EXPIRED.format(touched="updated_at") +
            " UNION ALL SELECT id, created_at FROM sessions WHERE status = 'running' AND busy = 0"
            " AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.session_id = sessions.id)"
            " ORDER BY created_at LIMIT :limit", self._p(limit=limit))
        return [r["id"] for r in rows]

    def adopt(self, sid: str) -> bool:
        """Take over a lapsed claim atomically. One whose process died is marked restarted (its parent
        says so); one handed back by a process that stopped cleanly is not: it simply runs here.
        False when another process was first."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE sessions SET owner = :me, lease_until = :until, busy = 1, run_started = NULL,"
                " restarted_at = CASE WHEN busy = 1 AND (owner IS NOT NULL OR lease_until IS NULL)"
                "   THEN :now ELSE restarted_at END"  # its process died (or kept no lease); not a hand-back
                " WHERE id = :sid AND ((busy = 1 AND " + EXPIRED.format(touched="updated_at") + ")"
                " OR (busy = 0 AND status = 'running'"
                "     AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.session_id = sessions.id)))",
                self._p(sid=sid))
            return cur.rowcount == 1

    def hand_back(self, sid: str) -> None:
        """Queued here but not started (the pool was full): any process may take it now."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE sessions SET owner = NULL, lease_until = 0 WHERE id = :sid AND owner = :me"
                         " AND run_started IS NULL", self._p(sid=sid))

    def hand_back_unstarted(self) -> int:
        """At shutdown: every run this process queued but did not start goes back, for another process."""
        with self.store.transaction() as conn:
            return conn.execute("UPDATE sessions SET owner = NULL, lease_until = 0 WHERE owner = :me AND busy = 1"
                                " AND run_started IS NULL", self._p()).rowcount

    def expire_mine(self) -> int:
        """Leaving with runs still going: their leases end now, so another process reruns them at once."""
        with self.store.transaction() as conn:
            n = conn.execute("UPDATE sessions SET lease_until = 0 WHERE owner = :me AND busy = 1", self._p()).rowcount
            if conn.execute("SELECT 1 FROM pragma_table_info('watches') WHERE name = 'owner'").fetchone():
                n += conn.execute("UPDATE watches SET owner = NULL, lease_until = 0 WHERE owner = :me",
                                  self._p()).rowcount
        return n

    # -- automatic retests found in the database ---------------------------------------------

    def due_retests(self, limit: int = 20, slack: float = 1.0) -> list[str]:
        """Sessions with a retest due (within ``slack`` seconds) and no run claimed, earliest first."""
        rows = self.store.query(
            "SELECT id FROM sessions WHERE retest_due_at IS NOT NULL AND retest_due_at <= :now + :slack"
            " AND busy = 0 ORDER BY retest_due_at LIMIT :limit", self._p(limit=limit, slack=slack))
        return [r["id"] for r in rows]

    def claim_due_retest(self, sid: str, slack: float = 1.0) -> bool:
        """Claim a retest that is due, atomically: of two processes polling, one wins."""
        with self.store.transaction() as conn:
            return conn.execute(
                "UPDATE sessions SET busy = 1, owner = :me, lease_until = :until, run_started = NULL,"
                " run_trigger = 'scheduled', updated_at = :now WHERE id = :sid AND busy = 0"
                " AND retest_due_at IS NOT NULL AND retest_due_at <= :now + :slack",
                self._p(sid=sid, slack=slack)).rowcount == 1

    def defer_retest(self, sid: str, at: float) -> None:
        """A due retest that may not run yet (limit reached, pool full): due again at ``at``, for any process."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE sessions SET retest_due_at = MAX(:at, COALESCE(retest_due_at, :at))"
                         " WHERE id = :sid AND retest_due_at IS NOT NULL", self._p(sid=sid, at=at))


def watch_claim_sql() -> str:
    """The atomic claim of one watch row (see :meth:`bot.store.watch.WatchStore.claim`)."""
    return ("UPDATE watches SET owner = :me, lease_until = :until WHERE name = :name"
            " AND (:force OR next_due_at <= :now + :slack)"
            " AND (owner IS NULL OR owner = :me OR " + EXPIRED.format(touched="COALESCE(last_check_at, 0)") + ")")

