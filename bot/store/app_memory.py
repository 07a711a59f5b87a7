"""What earlier runs proved about a connection's org: the app's kind and its My Domain.

One small table, added in place when missing. A proven kind (Salesforce answered as only an
External Client App does) and a My Domain Salesforce answered on are kept per connection, so
the next run's fixes name the right screens and carry Setup links even when that run proves
nothing. Only public facts: no key, no token.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

TABLE = "app_memory"


def migrate(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, app_type TEXT, my_domain TEXT, "
                     "at REAL NOT NULL)")


def key_of(name: str | None, username: str, consumer_key: str) -> str:
    """A connection by its name (if saved), user and consumer key, hashed: short and stable.

    A connection pointed at another user or app starts afresh, so an old org's My Domain is never
    linked for a new one; a corrected login URL keeps what was learned (same user, same app)."""
    ident = f"{name or ''}\n{username.lower()}\n{consumer_key}"
    return ("name:" if name else "adhoc:") + hashlib.sha256(ident.encode()).hexdigest()[:32]


def recall(query: Callable[..., list[dict]], key: str) -> tuple[str | None, str | None]:
    rows = query(f"SELECT app_type, my_domain FROM {TABLE} WHERE key = ?", (key,))
    return (rows[0]["app_type"], rows[0]["my_domain"]) if rows else (None, None)


def remember(transaction: Callable[[], AbstractContextManager[sqlite3.Connection]], key: str,
             app_type: str | None, my_domain: str | None, at: float) -> None:
    """Keep what this run proved; a value it did not learn keeps the earlier one."""
    if not app_type and not my_domain:
        return
    with transaction() as conn:
        conn.execute(f"INSERT INTO {TABLE} (key, app_type, my_domain, at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO "
                     "UPDATE SET app_type = COALESCE(excluded.app_type, app_type), "
                     "my_domain = COALESCE(excluded.my_domain, my_domain), at = excluded.at",
                     (key, app_type, my_domain, at))
