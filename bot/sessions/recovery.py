"""Adopting runs nobody holds any more: at start-up and on every poll of the database.

A session claimed for a run keeps ``busy`` with its owner's lease (:mod:`bot.store.leases`).
When that lease lapses — the owner was killed, or stopped and handed back what it had only
queued — :func:`adopt` takes the claim over atomically (of two processes polling, one wins)
and queues the run again. A run whose process died is marked restarted, so its parent says "the
bot restarted during this check; checked again"; one handed back by a process that stopped
cleanly runs as if nothing happened. An acked command whose parent was never posted gets its parent first.

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


def adopt(service: SessionService, limit: int = 50) -> int:
    """Take over and queue every lapsed claim (at most ``limit``), or end the ones that crashed twice;
    returns how many were queued."""
    claims, count = service.claims, 0
    for sid in claims.adoptable(limit):
        if not claims.adopt(sid):  # another process was first
            continue
        sess = service.store.session(sid) or {}
        if int(sess.get("run_starts") or 0) >= MAX_CRASHES:
            log.error("session %s: its run stopped the bot %d times; ending it instead of running it again",
                      sid, sess["run_starts"])
            service.abandon(sid)
            continue
        try:
            service.resume(sid)
        except QueueFull:  # our lanes are full: hand it back for the next poll, here or elsewhere
            claims.hand_back(sid)
            log.warning("lapsed session %s left for a later poll: the run queue is full", sid)
            continue
        count += 1
    return count


recover = adopt  # the start-up pass is the first poll
