"""Figures over the session log in SQLite: what is open, what breaks most, how long fixes take.

Read-only queries over the tables of :mod:`bot.store.db`, shared by the App Home and
``aprity-diagnose stats``. ``channels`` restricts every figure to sessions in those
channels (what a viewer may see); None means all.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

from checks.model import CAUSE_TITLES, CauseId

from bot.durations import duration_label
from bot.store import ties

DAY = 86400.0
OPEN_STATUSES = ("running", "failing")


@dataclass(frozen=True)
class Stats:
    days: int
    since: float
    sessions: int  # started in the window
    open: int  # still running or failing now, whenever they started
    fixed: int  # sessions in the window that went from a failing run to a passing one
    median_fix_seconds: float | None  # first failing run → first passing run, over ``fixed``
    escalations: int  # escalated in the window
    # (cause id, or "a,b" for a tie whose fix is not known, sessions), most first
    top_causes: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["top_causes"] = [{"cause": c, "title": cause_name(c), "sessions": n, **({"tied": c.split(",")} if "," in c
                                                                                else {})} for c, n in self.top_causes]
        return d


def cause_name(cause: str) -> str:
    if "," in cause:  # a tie, counted apart from either of its causes
        return "Tied: " + " or ".join(cause_name(c) for c in cause.split(",") if c)
    try:
        return CAUSE_TITLES[CauseId(cause)]
    except ValueError:
        return cause


class StatsError(Exception):
    """The file cannot be read as the bot's session log; the message is one line."""


@contextmanager
def _connect(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    # Read-only: the CLI must not create an empty database where none is. With no -wal file no bot
    # has it open, and even a read-only connection would leave -wal/-shm behind: read it as it stands.
    path = os.fspath(path)
    flags = "mode=ro" if os.path.exists(path + "-wal") else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?{flags}", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def read(path: str | os.PathLike[str], *, now: float, days: int = 30) -> Stats:
    """:func:`compute` for the terminal: a missing file or one that is not the bot's log is a :class:`StatsError`."""
    if not os.path.isfile(path):
        raise StatsError(f"no session log at {os.fspath(path)} (set APRITY_DB)")
    try:
        return compute(path, now=now, days=days)
    except sqlite3.DatabaseError as exc:  # not SQLite at all (or empty), or SQLite without the bot's tables
        reason = "not a SQLite database" if "not a database" in str(exc) else "not the bot's session log"
        raise StatsError(f"{os.fspath(path)} is {reason} (set APRITY_DB to the bot's database)") from None


def _where(channels: Collection[str] | None, alias: str = "s", *, by_channel: bool = False) -> tuple[str, list[Any]]:
    """The viewer's scope as SQL. Unless ``by_channel``, the unary ``+`` keeps SQLite from reading through the
    channel index: a viewer's channel holds most of the log, the status or time index only the few rows asked."""
    if channels is None:
        return "1 = 1", []
    plus = "" if by_channel else "+"
    return f"{plus}{alias}.channel IN ({','.join('?' * len(channels)) or 'NULL'})", list(channels)


def compute(path: str | os.PathLike[str], *, now: float, days: int = 30,
            channels: Collection[str] | None = None) -> Stats:
    """The figures for the ``days`` before ``now``."""
    since = now - days * DAY
    scope, params = _where(channels)
    with _connect(path) as conn:
        tied = _has_ties(conn)
        started = conn.execute(
            f"SELECT COUNT(*) FROM sessions s WHERE s.created_at >= ? AND {_where(channels, by_channel=True)[0]}",
            [since, *params]).fetchone()[0]
        # Only sessions that failed at all, found from their failing runs (a session's runs start after it
        # does, so its first failing run started in the window too): the partial index runs_failed holds
        # failing runs only, so this reads a few thousand rows, not every session of the month.
        rows = conn.execute(
            "SELECT g.session_id, fr.cause_id, fr.finished_at AS failed_at, "
            + ("fr.tied" if tied == "tied" else "NULL") + " AS tied, fx.id AS fixed_id, fx.finished_at AS fixed_at"
            " FROM (SELECT f.session_id, f.fail_id,"
            "  (SELECT r2.id FROM runs r2 WHERE r2.session_id = f.session_id AND r2.ok = 1"
            "   AND r2.id > f.fail_id ORDER BY r2.id LIMIT 1) AS fixed_id"
            "  FROM (SELECT r.session_id, MIN(r.id) AS fail_id FROM runs r JOIN sessions s ON s.id = r.session_id"
            f"        WHERE r.ok = 0 AND r.started_at >= ? AND +s.created_at >= ? AND {scope}"
            "        GROUP BY +r.session_id) f) g"
            " JOIN runs fr ON fr.id = g.fail_id LEFT JOIN runs fx ON fx.id = g.fixed_id",
            [since, since, *params]).fetchall()
        causes: Counter[str] = Counter()
        fixes: list[float] = []
        for row in rows:
            fail = {"cause_id": row["cause_id"], "tied": row["tied"]}
            cause = _credited(conn, row["session_id"], fail, row["fixed_id"], tied)
            if cause:
                causes[cause] += 1
            if row["fixed_at"] is not None:
                fixes.append(max(0.0, row["fixed_at"] - row["failed_at"]))
        open_count = conn.execute(f"SELECT COUNT(*) FROM sessions s WHERE s.status IN {OPEN_STATUSES} AND {scope}",
                                  params).fetchone()[0]
        escalations = conn.execute(
            f"SELECT COUNT(*) FROM escalations e JOIN sessions s ON s.id = e.session_id WHERE e.at >= ? AND {scope}",
            [since, *params]).fetchone()[0]
    return Stats(days=days, since=since, sessions=started, open=open_count, fixed=len(fixes),
                 median_fix_seconds=statistics.median(fixes) if fixes else None, escalations=escalations,
                 top_causes=causes.most_common(5))


def _has_ties(conn: sqlite3.Connection) -> str:
    """The ``tied`` column, or NULL for a log written before ties were stored (read-only: no migration here)."""
    return "tied" if any(r[1] == "tied" for r in conn.execute("PRAGMA table_info(runs)")) else "NULL"


def _credited(conn: sqlite3.Connection, session_id: str, first_fail: dict[str, Any], fixed_id: int | None,
              tied: str) -> str | None:
    """The cause a session counts for: its first failing run's; for a tie, the one whose fix preceded the pass.

    That one is known when the last failing run before the pass named a single cause of the tie; otherwise
    the tie is counted as a tie ("a,b"), apart from either cause.
    """
    causes = ties.causes_of(first_fail)
    if len(causes) < 2 or fixed_id is None:
        return ",".join(causes) or None
    last = conn.execute(f"SELECT cause_id, {tied} AS tied FROM runs WHERE session_id = ? AND ok = 0 AND id < ?"
                        " ORDER BY id DESC LIMIT 1", (session_id, fixed_id)).fetchone()
    narrowed = ties.causes_of(dict(last)) if last is not None else []
    return narrowed[0] if len(narrowed) == 1 and narrowed[0] in causes else ",".join(causes)


def open_sessions(path: str | os.PathLike[str], *, channels: Collection[str] | None = None,
                  limit: int = 20) -> list[dict[str, Any]]:
    """Open sessions, newest first, each with ``escalated`` and its pending ``retest_due_at``."""
    scope, params = _where(channels)
    with _connect(path) as conn:
        rows = conn.execute(
            "SELECT s.id, s.channel, s.thread_ts, s.connection_name, s.username, s.status, s.cause_id, s.tied,"
            " s.created_at, s.retest_due_at, s.requester, (e.session_id IS NOT NULL) AS escalated"
            " FROM sessions s LEFT JOIN escalations e ON e.session_id = s.id"
            f" WHERE s.status IN {OPEN_STATUSES} AND {scope} ORDER BY s.created_at DESC LIMIT ?",
            [*params, limit]).fetchall()
    return [{**dict(r), "escalated": bool(r["escalated"])} for r in rows]


def as_text(s: Stats) -> str:
    """The figures for a terminal."""
    median = duration_label(s.median_fix_seconds) if s.median_fix_seconds is not None else "no fix yet"
    lines = [
        f"Last {s.days} days",
        f"  sessions:            {s.sessions}",
        f"  open now:            {s.open}",
        f"  escalations:         {s.escalations}",
        f"  median time to fix:  {median} (over {s.fixed} fixed session(s); first failing run → first passing run)",
        "  top causes:" + ("" if s.top_causes else "         none"),
    ]
    lines += [f"    {n:>4}  {cause_name(c)}" for c, n in s.top_causes]
    return "\n".join(lines)
