"""Automatic retests with APScheduler 3.x for timing in this process; SQLite is the source of truth.

Why due times in SQLite instead of APScheduler's SQLAlchemy job store: the
sessions table already has to know the retest plan (the parent message shows the
next one), a second copy of the same fact in pickled jobs could disagree with it,
and pickled jobs tie the schedule to importable callables and an extra dependency.
So jobs live in APScheduler's memory store: a job is only a hint that fires on time
in the process that planned the retest. Every process also polls the table (the bot's
``poll`` job, see :mod:`bot.slack.app`) and claims due retests atomically
(:mod:`bot.store.leases`), so a retest planned by another process, or by one that
stopped, is found and run exactly once. A due time leaves the table only after its run
is stored, so a crash mid-retest repeats it instead of losing it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def job_id(session_id: str) -> str:
    return f"retest:{session_id}"


class RetestScheduler:
    """One pending retest per session (stable job id); firing hands off to ``run_due``."""

    def __init__(self, run_due: Callable[[str], None], *, clock: Callable[[], float] = time.time) -> None:
        self._run_due = run_due
        self._clock = clock
        # misfire_grace_time=None: a retest due while the process was busy or down still runs.
        self._scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    def start(self, pending: Iterable[tuple[str, float]] = ()) -> int:
        """Start, re-adding retests recorded before a restart; returns how many were re-added."""
        self._scheduler.start()
        count = 0
        for session_id, due_at in pending:
            self.schedule(session_id, due_at)
            count += 1
        if count:
            log.info("re-added %d pending retest(s) from the session log", count)
        return count

    @property
    def running(self) -> bool:
        """Whether the scheduler thread is running (the health check asks)."""
        return bool(self._scheduler.running)

    def schedule(self, session_id: str, due_at: float) -> None:
        """Replace this session's pending retest with one at ``due_at`` (epoch seconds)."""
        when = datetime.fromtimestamp(max(due_at, self._clock()), timezone.utc)
        self._scheduler.add_job(self._fire, "date", run_date=when, args=[session_id], id=job_id(session_id),
                                replace_existing=True)

    def every(self, job: str, seconds: float, fn: Callable[[], object], *, first_in: float | None = None) -> None:
        """A housekeeping job (``job`` is its id) every ``seconds``, on the same scheduler thread;
        ``first_in``: the first run that many seconds from now instead of after a whole period."""
        first = {} if first_in is None else {
            "next_run_time": datetime.fromtimestamp(time.time() + first_in, timezone.utc)}
        self._scheduler.add_job(fn, "interval", seconds=seconds, id=job, replace_existing=True, **first)

    def fire(self, session_id: str) -> None:
        """A retest found due by the database poll: the same path as a job firing."""
        self._fire(session_id)

    def quiesce(self, keep: tuple[str, ...] = ()) -> None:
        """Stop firing (a shutdown's first step) but keep the jobs in ``keep`` (the lease heartbeat)."""
        for job in self._scheduler.get_jobs():
            if job.id not in keep:
                try:
                    job.remove()
                except JobLookupError:  # fired meanwhile
                    pass

    def cancel(self, session_id: str) -> None:
        try:
            self._scheduler.remove_job(job_id(session_id))
        except JobLookupError:
            pass

    def next_run(self, session_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id(session_id))
        return job.next_run_time if job else None

    def _fire(self, session_id: str) -> None:
        try:
            self._run_due(session_id)
        except Exception:  # noqa: BLE001 - a failing job must not kill the scheduler thread
            log.exception("scheduled retest of %s could not be queued", session_id)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
