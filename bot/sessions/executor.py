"""The bot's own bounded pools (lanes) for diagnoses and background work, and per-channel pacing.

Bolt's listener pool has five threads and every ack runs there, so slow work
never runs on it: listeners ack, then hand the work to a :class:`RunExecutor`.
People first: commands, buttons and forms have their own lane; retests, watch
checks, expiry warnings and App Home builds share a second, bounded one, so no
amount of background work can hold a person's run. Background workers are marked
``fail_fast``: a Slack call made on one is not retried after a sleep (a 429's
Retry-After, a 5xx back-off) — it fails at once and the work is tried again later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """More runs are waiting than the bot accepts; the caller says "try later"."""


_lane = threading.local()


def on_background_thread() -> bool:
    """True on a worker of a ``fail_fast`` lane: Slack calls here must not sleep before a retry."""
    return bool(getattr(_lane, "fail_fast", False))


def _mark(fail_fast: bool) -> None:
    _lane.fail_fast = fail_fast


class RunExecutor:
    def __init__(self, max_workers: int = 4, max_waiting: int = 100, *, name: str = "diagnose",
                 fail_fast: bool = False) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name,
                                        initializer=_mark, initargs=(fail_fast,))
        self.name = name
        self._max_workers = max_workers
        self._max_waiting = max_waiting
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._stopping = False
        self._queued: set[Future] = set()

    def submit(self, fn: Callable[[], object]) -> tuple[Future, int]:
        """Run ``fn``; returns its future and its place in the queue (0: starts now, 1: next, …).

        Every worker busy means the run waits, even when nothing else does: with four
        workers, the fifth run is told it is next rather than "starting".
        """
        with self._lock:
            waiting = max(0, self._in_flight - self._max_workers)
            if self._stopping:
                # Shutting down: the run never starts here. Its session stays as SQLite has it
                # (claimed, running), which the next start picks up and runs.
                log.info("shutting down: a new run is left for the next start")
                never: Future = Future()
                never.cancel()
                return never, waiting
            if waiting >= self._max_waiting:
                raise QueueFull(f"{waiting} runs are already waiting")
            position = waiting + 1 if self._in_flight >= self._max_workers else 0
            self._in_flight += 1
            future = self._pool.submit(fn)
            self._queued.add(future)
        future.add_done_callback(self._done)
        return future, position

    def _done(self, future: Future) -> None:
        with self._lock:
            self._in_flight -= 1
            self._queued.discard(future)
            self._idle.notify_all()
        if not future.cancelled() and future.exception() is not None:
            # Jobs guard themselves; this catches what slipped through, without a trace in Slack.
            log.error("background job failed: %s", future.exception().__class__.__name__,
                      exc_info=future.exception())

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def stop_accepting(self) -> int:
        """From now on :meth:`submit` starts nothing; runs queued but not started are dropped
        (their sessions stay claimed in SQLite for the next start). Returns how many were dropped."""
        with self._lock:
            self._stopping = True
            queued = list(self._queued)
        return sum(1 for f in queued if f.cancel())  # cancel() fails for runs already going

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the runs in flight; True when none is left."""
        with self._lock:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=max(0.0, timeout))

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class ChannelPacer:
    """Keeps posts to one channel at least ``interval`` seconds apart (Slack: ~1/s/channel)."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
