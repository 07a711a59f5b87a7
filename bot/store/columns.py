"""Adding columns to a table of an older session log, in place: the one way every migration does it."""

from __future__ import annotations

import sqlite3


def add_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add each missing ``name: declaration`` to ``table``; a no-op for a table that does not exist yet.

    Two processes starting together on one file may both find a column missing: the second ALTER then
    fails with "duplicate column name", which means the column is there, as wanted."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    if not have:
        return
    for name, decl in columns.items():
        if name in have:
            continue
        try:
            with conn:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        except sqlite3.OperationalError as exc:
            if "duplicate column name" not in str(exc):
                raise
