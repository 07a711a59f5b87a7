"""Start-up after a crash or a kill -9: every interrupted check runs again — once.

A session claimed for a run (running, or queued on the pool) when the process died
is still marked busy in SQLite. :func:`recover` marks it restarted — its parent then
says "the bot restarted during this check; checked again" — and queues the run
again; an acked command whose parent was never posted gets its parent first.

A run that itself stops the process (say an answer that exhausts memory) would be
resumed at every start, a crash loop. Each run that begins is counted in SQLite
(``run_starts``) until it lets go of its session; a session found with two runs begun
and never ended stopped the process twice, and is ended with a clear message instead.
A run only queued when the process died has begun nothing, so it is not blamed.
"""

from __future__ import annotations

import logging

from bot.sessions.executor import QueueFull
from bot.sessions.service import SessionService

log = logging.getLogger(__name__)

MAX_CRASHES = 2  # runs begun and never ended before a session is given up


def recover(service: SessionService) -> int:
    """Queue every interrupted session again (or end the ones that crashed twice); returns how many were queued."""
    count = 0
    for sess in service.ledger.interrupted():
        sid = sess["id"]
        if int(sess.get("run_starts") or 0) >= MAX_CRASHES:
            log.error("session %s: its run stopped the bot %d times; ending it instead of running it again",
                      sid, sess["run_starts"])
            service.abandon(sid)
            continue
        service.ledger.mark_restarted(sid)
        try:
            service.resume(sid)
        except QueueFull:  # more interrupted runs than the queue takes: the next start tries again
            log.warning("interrupted session %s left for the next start: the run queue is full", sid)
            continue
        count += 1
    return count
