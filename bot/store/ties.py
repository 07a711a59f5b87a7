"""Ties, stored as ties: the leading causes Salesforce's answers could not tell apart.

``runs.tied`` and ``sessions.tied`` hold them comma-separated in ranked order (NULL when one
cause leads), beside ``cause_id`` (the first of them, kept for older readers). History, the
Home tab, ``stats`` and the "was: X → now: Y" line read them through :func:`causes_of`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from checks.model import Diagnosis

from bot.store.columns import add_columns

COLUMN = "tied"


def migrate(conn: sqlite3.Connection) -> None:
    """Add the column to ``runs`` and ``sessions`` when missing; older rows keep NULL (no tie known)."""
    for table in ("runs", "sessions"):
        add_columns(conn, table, {COLUMN: "TEXT"})


def encode(d: Diagnosis) -> str | None:
    return ",".join(str(c.id) for c in d.tied) or None


def causes_of(row: Mapping[str, Any] | None) -> list[str]:
    """The causes a stored run or session names: both of a tie, else its one cause, else none."""
    if not row:
        return []
    tied = [c for c in str(row.get(COLUMN) or "").split(",") if c]
    if len(tied) >= 2:
        return tied
    return [str(row["cause_id"])] if row.get("cause_id") else []


def key_of(row: Mapping[str, Any] | None) -> str | None:
    """What a stored run or session was diagnosed as: "a,b" for a tie, else its cause id (None if none)."""
    return ",".join(causes_of(row)) or None


def key_of_diagnosis(d: Diagnosis) -> str | None:
    return None if d.ok else (encode(d) or (str(d.cause.id) if d.cause else None))
