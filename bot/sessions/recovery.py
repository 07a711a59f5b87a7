"""Start-up after a crash or a kill -9: every interrupted check runs again.

A session claimed for a run (running, or queued on the pool) when the process died
is still marked busy in SQLite. :func:`recover` marks it restarted — its parent then
says "the bot restarted during this check; checked again" — and queues the run
again; an acked command whose parent was never posted gets its parent first.
"""

from __future__ import annotations

import logging

from bot.sessions.executor import QueueFull
from bot.sessions.service import SessionService

log = logging.getLogger(__name__)


def recover(service: SessionService) -> int:
    """Queue every interrupted session again; returns how many were queued."""
    count = 0
    for sess in service.ledger.interrupted():
        sid = sess["id"]
        service.ledger.mark_restarted(sid)
        try:
            service.resume(sid)
        except QueueFull:  # more interrupted runs than the queue takes: the next start tries again
            log.warning("interrupted session %s left for the next start: the run queue is full", sid)
            continue
        count += 1
    return count
