"""What the bot keeps at rest, and for how long.

The SQLite file names customers' integration users, consumer keys and Org IDs, so
it is created readable by its owner only, and sessions are deleted
``APRITY_RETENTION_DAYS`` after their last activity (daily, and once at start-up).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol


class Store(Protocol):
    """What retention needs of :class:`bot.store.db.Store` (which imports this module)."""

    def purge_before(self, cutoff: float) -> int: ...

log = logging.getLogger(__name__)
DAY = 86_400.0
JOB_ID = "retention"


def owner_only(path: str, *suffixes: str) -> None:
    """Mode 0600 for ``path`` (created empty if missing), or for ``path + suffix`` where those exist."""
    if path == ":memory:" or path.startswith("file:"):
        return
    if not suffixes:
        # Open the file only to create it: closing any descriptor of a database file drops every POSIX
        # lock this process holds on it, SQLite's included, and another process sharing the file would
        # then take the last connection's exclusive lock and delete the WAL from under this one.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
        except FileExistsError:
            pass
        os.chmod(path, 0o600)
    for suffix in suffixes:
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


class Retention:
    """Deletes sessions (with runs, steps, escalations) idle for more than ``days``."""

    def __init__(self, store: "Store", days: int, *, clock: Callable[[], float] = time.time) -> None:
        self.store, self.days, self._clock = store, days, clock

    def run(self) -> int:
        """One pass; returns how many sessions were deleted. Never raises (it runs on the scheduler)."""
        try:
            deleted = self.store.purge_before(self._clock() - self.days * DAY)
        except Exception as exc:  # noqa: BLE001 - a locked file today is retried tomorrow
            log.warning("retention pass failed: %s", exc.__class__.__name__)
            return 0
        if deleted:
            log.info("retention: deleted %d session(s) idle for more than %d days", deleted, self.days)
        return deleted
