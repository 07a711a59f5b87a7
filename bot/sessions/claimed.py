"""A claimed session's job on a lane: run only while the claim is ours, renewed only while the job lives.

The session is claimed in SQLite first (:mod:`bot.store.leases`); :func:`submit` then queues its job.
The claim's lease is renewed (``hold``) from the moment it is queued until the job ends (``drop``).
A worker starts the run only if the claim is still ours (``begin_run``): one handed back while the
process stops, or adopted by another process, is not run here. A job that fails before it could let
go of its session is logged, and its claim lapses for a poll to adopt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.sessions.executor import RunExecutor
from bot.store.leases import Claims

log = logging.getLogger(__name__)


def submit(claims: Claims, lane: RunExecutor, sid: str, fn: Callable[[], None]) -> int:
    """Queue ``fn`` for the claimed session ``sid`` on ``lane``; returns its place (QueueFull when full)."""
    def job() -> None:
        try:
            if not claims.begin_run(sid):
                log.info("run of %s not started here: another process holds it now", sid)
                return
            fn()
        except Exception:  # noqa: BLE001 - e.g. SQLite failed under it: the claim lapses, a poll adopts it
            log.exception("run of session %s failed before it could let go; it runs again after its lease", sid)
        finally:
            claims.drop(sid)

    claims.hold(sid)
    try:
        future, waiting = lane.submit(job)
    except BaseException:
        claims.drop(sid)
        raise
    if future.cancelled():  # stopping: another process (or the next start) takes it at once
        claims.drop(sid)
        claims.hand_back(sid)
    return waiting
