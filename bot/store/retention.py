"""What the bot keeps at rest, and for how long.

The SQLite file names customers' integration users, consumer keys and Org IDs, so
it is created readable by its owner only, and sessions are deleted
``APRITY_RETENTION_DAYS`` after their last activity (daily, and once shortly after start-up).

A pass deletes in small batches, each its own short transaction with a pause between, so a
log with 200,000 expired sessions never holds SQLite's write lock for longer than a few
milliseconds: acks go on between batches. The start-up pass runs once the bot is serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Protocol


class Store(Protocol):
    """What retention needs of :class:`bot.store.db.Store` (which imports this module)."""

    def purge_before(self, cutoff: float, *, batch: int = ...) -> int: ...

log = logging.getLogger(__name__)
DAY = 86_400.0
JOB_ID = "retention"
FIRST_PASS_DELAY = 60.0  # seconds after start-up: the first commands are answered before any purge
BATCH = 100
PAUSE = 0.02  # seconds between batches: a waiting ack gets the write lock


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

    def __init__(self, store: "Store", days: int, *, clock: Callable[[], float] = time.time,
                 batch: int = BATCH, pause: Callable[[], object] | None = None) -> None:
        self.store, self.days, self._clock, self.batch = store, days, clock, batch
        self._pause = pause or (lambda: threading.Event().wait(PAUSE))

    def run(self) -> int:
        """One pass, batch after batch; returns how many sessions were deleted. Never raises (it runs
        on the scheduler): a failed batch keeps what earlier batches deleted, the next pass goes on."""
        cutoff = self._clock() - self.days * DAY
        deleted = 0
        try:
            while True:
                n = self.store.purge_before(cutoff, batch=self.batch)
                deleted += n
                if n < self.batch:
                    break
                self._pause()
        except Exception as exc:  # noqa: BLE001 - a locked file today is retried tomorrow
            log.warning("retention pass failed after %d session(s): %s", deleted, exc.__class__.__name__)
            return deleted
        if deleted:
            log.info("retention: deleted %d session(s) idle for more than %d days", deleted, self.days)
        return deleted
