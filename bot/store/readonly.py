"""Reading the bot's SQLite session log read-only, for ``aprity-diagnose history``.

The command never creates a table, a ``-wal`` or a ``-shm`` file, and a file that is not the
bot's session log is one line, not a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from bot.store.db import Store


class HistoryError(Exception):
    """The file cannot be read as a session log; the message is one line."""


class _ReadOnlyStore(Store):
    """The store's own queries over one read-only connection (no schema, no writes)."""

    def __init__(self, path: str) -> None:  # deliberately skips Store.__init__: it creates the schema
        self.path = path
        # With no -wal file no bot has the database open, and even a read-only connection would
        # leave -wal/-shm behind: read the file as it stands (immutable) instead.
        flags = "mode=ro" if Path(path + "-wal").exists() else "mode=ro&immutable=1"
        self._conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?{flags}", uri=True)

    def _db(self) -> Database:
        return Database(self._conn, execute_plugins=False)

    def disconnect(self) -> None:
        self._conn.close()


def read_sessions(path: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` sessions in the bot's SQLite file at ``path``."""
    if not Path(path).is_file():
        raise HistoryError(f"no session log at {path} (set APRITY_DB)")
    try:
        store = _ReadOnlyStore(path)
        try:
            return store.recent_sessions(limit)
        finally:
            store.disconnect()
    except sqlite3.DatabaseError as exc:  # not SQLite at all, or SQLite without the bot's tables
        reason = "not a SQLite database" if "not a database" in str(exc) else "not the bot's session log"
        raise HistoryError(f"{path} is {reason} (set APRITY_DB to the bot's database)") from None
