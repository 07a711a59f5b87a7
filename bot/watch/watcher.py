"""Watched connections: checked on a schedule, an ordinary session opened when one breaks.

A connection with ``watch = true`` is checked every ``APRITY_WATCH_INTERVAL`` seconds at a
stable offset of its own (a hash of its name), so watched connections are spread over the
interval instead of all hitting Salesforce together. The next due time of each watch is kept
in SQLite (:mod:`bot.store.watch`), the only source of truth: every poll of the database
(:meth:`Watcher.poll`) claims due rows atomically under this process's lease, so with two
processes on one file each check runs once. A poll takes at most ``per_poll`` checks, so
checks that fell due while the bot was down are spread over the next polls instead of all
firing at once, and they run on the background lane, behind nobody's command. The due time
moves on only after the check is stored, so a crash mid-check repeats it.

A check runs the engine directly, with no Slack message. A connection that worked and
then fails on two consecutive checks (one blip alerts nobody) gets an ordinary session in
the alert channel, requested by the automatic watch, through :meth:`SessionService.start`:
same parent, thread, buttons and retests. While it stays broken nothing more is posted;
the first passing check closes that session ✅ with how long the connection was broken.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from checks.connections import ConfigError, Connection, load_all
from checks.model import Diagnosis

from bot.blocks.text import AUTOMATIC_WATCH
from bot.blocks.watch import recovered_message
from bot.sessions.executor import QueueFull
from bot.sessions.service import SessionService, slack_error
from bot.store.watch import WatchStore

log = logging.getLogger(__name__)

FAILS_BEFORE_ALERT = 2
BUSY_RETRY = 60.0  # seconds: a check skipped because the connection's session is running
STALE_RUNNING = 3600.0  # a session "running" for longer than this was left by a crash


def next_slot(name: str, interval: float, now: float) -> float:
    """The first time after ``now`` on this connection's own grid: offset + k × interval.

    The offset comes from the name, so it is the same after a restart and differs between
    connections: their checks are spread over the interval.
    """
    offset = int(hashlib.sha256(name.encode()).hexdigest()[:12], 16) % max(1, int(interval * 1000)) / 1000
    return offset + (math.floor((now - offset) / interval) + 1) * interval


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


class Watcher:
    """Schedules and runs the checks of watched connections; see the module docstring.

    ``allow_run(connection) -> bool`` is where the per-connection rule plugs in, as a
    try-acquire: answering True counts this check as one run of the connection and holds it
    (no other run of it starts) until ``run_done(connection)``; a check it refuses tries again
    in a minute, not a whole interval. The alert session's first run asks too; refused, the
    alert waits for the next failing check. ``may_alert(name)``: the access
    policy's word on posting that connection's alert session in the alert channel. ``on_sweep`` runs at
    start-up and once per interval (the certificate-expiry warnings).
    """

    def __init__(self, service: SessionService, store: WatchStore, *, alert_channel: str, interval: float,
                 connections_file: str | None, private_key_file: str | None,
                 allow_run: Callable[[Connection], bool] = lambda conn: True,
                 run_done: Callable[[Connection], None] = lambda conn: None,
                 may_alert: Callable[[str], bool] = lambda name: True,
                 on_sweep: Callable[[], object] | None = None,
                 clock: Callable[[], float] = time.time, per_poll: int = 2) -> None:
        self.service, self.store = service, store
        self.alert_channel, self.interval = alert_channel, float(interval)
        self.connections_file, self.private_key_file = connections_file, private_key_file
        self.allow_run, self.may_alert, self.on_sweep, self.clock = allow_run, may_alert, on_sweep, clock
        self.owner, self.lease, self.per_poll = service.store.owner, service.store.lease, per_poll
        self.run_done = run_done
        self._lock = threading.Lock()
        self._checking: set[str] = set()
        self._scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    # ----- scheduling

    def start(self) -> int:
        """Start: a row for every watched connection (their checks are found by :meth:`poll`); returns how many."""
        self._scheduler.start()
        pending = self.sync()
        if pending:
            log.info("watching %d connection(s); next check due at %s", len(pending),
                     ", ".join(f"{n} {_utc(d):%H:%M:%S}" for n, d in pending))
        if self.on_sweep is not None:
            self._scheduler.add_job(self._sweep, "interval", seconds=self.interval, id="watch-sweep",
                                    next_run_time=datetime.now(timezone.utc), replace_existing=True)
        return len(pending)

    def sync(self) -> list[tuple[str, float]]:
        """Watch rows for the connections marked ``watch = true``; rows of others are dropped.

        Returns ``(name, due_at)`` for each watched connection. A connections file that cannot
        be read changes nothing: the rows and their due times stay for the next start.
        """
        try:
            connections = load_all(self.connections_file)
        except ConfigError as exc:
            if not self.store.watches():
                return []
            log.warning("connections file unreadable, keeping the watch schedule: %s", exc)
            return [(r["name"], r["next_due_at"]) for r in self.store.watches()]
        watched = {name for name, c in connections.items() if c.watch}
        for row in self.store.watches():
            if row["name"] not in watched:
                self.store.forget(row["name"])
        now = self.clock()
        return [(name, self.store.ensure(name, next_slot(name, self.interval, now))["next_due_at"])
                for name in sorted(watched)]

    def next_run(self, name: str) -> datetime | None:
        row = self.store.watch(name)
        return _utc(row["next_due_at"]) if row else None

    def poll(self) -> int:
        """Claim due checks in the database (at most ``per_poll``) and queue them; returns how many."""
        queued = 0
        for name in self.store.due(self.clock(), self.per_poll, lease=self.lease):
            queued += self._fire(name)
        return queued

    def _fire(self, name: str) -> bool:
        """Claim the row (it must be due and free), then hand the check to the background lane."""
        try:
            if not self.store.claim(name, owner=self.owner, now=self.clock(), lease=self.lease):
                return False  # another process was first, or it is not due any more
            try:
                future, _ = self.service.lane(True).submit(lambda: self._guarded(name))
            except QueueFull:
                self.store.update(name, next_due_at=self.clock() + BUSY_RETRY)
                self.store.release(name, self.owner)
                return False
            if future.cancelled():  # this process is stopping: the check stays due for another
                self.store.release(name, self.owner)
                return False
            return True
        except Exception:  # noqa: BLE001 - a failing job must not kill the scheduler thread
            log.exception("watch check of %s could not be queued", name)
            return False

    def _guarded(self, name: str) -> None:
        try:
            outcome = self._checked(name)
            log.info("watch check of %s: %s", name, outcome)
        except Exception:  # noqa: BLE001 - logged; the next slot tries again
            log.exception("watch check of %s failed", name)
            row = self.store.watch(name)
            if row is not None:
                self.store.update(name, next_due_at=next_slot(name, self.interval, self.clock()))
        finally:
            self.store.release(name, self.owner)

    def _sweep(self) -> None:
        try:
            self.service.lane(True).submit(self.on_sweep)  # type: ignore[arg-type]
        except QueueFull:
            log.warning("certificate sweep skipped: the bot is busy; the next one comes in an interval")

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    # ----- one check

    def check(self, name: str) -> str:
        """Check one watched connection now, due or not; returns what happened, in a word, for the log."""
        if self.store.watch(name) is None:
            return "not watched"
        if not self.store.claim(name, owner=self.owner, now=self.clock(), lease=self.lease, force=True):
            return "checked by another process"
        try:
            return self._checked(name)
        finally:
            self.store.release(name, self.owner)

    def _checked(self, name: str) -> str:
        """The check itself, under this process's claim of the watch row."""
        with self._lock:
            if name in self._checking:
                return "already checking"
            self._checking.add(name)
        try:
            return self._check(name)
        finally:
            with self._lock:
                self._checking.discard(name)

    def _check(self, name: str) -> str:
        row = self.store.watch(name)
        if row is None:
            return "not watched"
        try:
            conn = load_all(self.connections_file).get(name)
        except ConfigError as exc:
            log.warning("watch of %s: %s", name, exc)
            return self._again(name, next_slot(name, self.interval, self.clock()), "connections file unreadable")
        if conn is None or not conn.watch:
            self.store.forget(name)
            return "not watched any more"
        conn = conn.with_default_key(self.private_key_file)
        now = self.clock()
        # The sessions table keeps its times on the session service's clock.
        stale_before = self.service.clock() - STALE_RUNNING
        if self.store.session_running(conn.username, conn.consumer_key, conn.login_url, since=stale_before):
            return self._again(name, now + min(BUSY_RETRY, self.interval), "skipped: its session is running")
        if not self.allow_run(conn):  # the limit frees a slot within a minute: not a whole interval later
            return self._again(name, now + min(BUSY_RETRY, self.interval), "skipped: run limit reached")
        try:
            row = self._settle_recovered_alert(row)
            started = self.clock()
            d = self.service.diagnose(conn, reader="support")  # the alert channel is staff's
        finally:
            self.run_done(conn)
        now = self.clock()
        if d.ok:
            outcome, fields = self._passed(row, d, started, now)
        else:
            outcome, fields = self._failed(row, conn, d, now)
        self.store.update(name, next_due_at=next_slot(name, self.interval, now), last_check_at=now, **fields)
        return outcome

    def _again(self, name: str, due: float, outcome: str) -> str:
        self.store.update(name, next_due_at=due)
        return outcome

    def _passed(self, row: dict[str, Any], d: Diagnosis, started: float, now: float) -> tuple[str, dict]:
        fresh = {"last_ok": 1, "last_cause": None, "worked": 1, "fails": 0, "broken_since": None,
                 "alert_session": None}
        sid = row["alert_session"]
        if not sid:
            return ("working", fresh)
        since = _utc(row["broken_since"]) if row["broken_since"] else None
        message = recovered_message(broken_since=since, back_at=_utc(now))
        try:
            closed = self.service.resolve(sid, d, started_at=started, message=message)
        except Exception as exc:  # noqa: BLE001 - Slack unreachable: keep the alert, the next check retries
            log.warning("could not close the alert session %s: %s", sid, slack_error(exc))
            return ("working, alert not closed yet", {"last_ok": 1, "last_cause": None})
        if not closed and (self.service.store.session(sid) or {}).get("status") not in ("ok", "closed"):
            return ("working, alert session busy", {"last_ok": 1, "last_cause": None})
        return ("working again", fresh)

    def _failed(self, row: dict[str, Any], conn: Connection, d: Diagnosis, now: float) -> tuple[str, dict]:
        fails = int(row["fails"] or 0) + 1
        fields: dict[str, Any] = {"last_ok": 0, "last_cause": str(d.cause.id) if d.cause else None,
                                  "fails": fails, "broken_since": row["broken_since"] or now}
        sid = row["alert_session"]
        if sid:
            sess = self.service.store.session(sid)
            if sess is not None and (sess["status"] != "closed" or sess.get("thread_ts")):
                return ("still failing", fields)
            sid = None  # the alert never reached Slack (the bot could not post): raise it again
            fields["alert_session"] = None
        if not row["worked"] or fails < FAILS_BEFORE_ALERT:
            return ("failing" if row["worked"] else "failing, never worked while watched", fields)
        if not self.may_alert(row["name"]):  # the session would show the connection where the policy does not
            return ("failing, no alert: the alert channel is not a staff channel", fields)
        # The alert session's first run is one more login of the customer's: it counts too.
        if not self.allow_run(conn):
            return ("failing, alert postponed: run limit reached", fields)
        try:
            sid, _ = self.service.start(channel=self.alert_channel, requester=AUTOMATIC_WATCH, connection=conn,
                                        background=True)
        except QueueFull:
            return ("failing, alert postponed: the bot is busy", fields)
        finally:
            self.run_done(conn)  # from here the session's busy flag holds the connection
        fields["alert_session"] = sid
        return ("alerted", fields)

    def _settle_recovered_alert(self, row: dict[str, Any]) -> dict[str, Any]:
        """The alert session passed a retest of its own: the outage ended then. Say how long it was."""
        sid = row["alert_session"]
        sess = self.service.store.session(sid) if sid else None
        if sess is None or sess["status"] != "ok":
            return row
        last = self.service.store.last_run(sid)
        back = last["finished_at"] if last else sess["updated_at"]
        since = _utc(row["broken_since"]) if row["broken_since"] else None
        try:
            self.service.client.chat_postMessage(channel=sess["channel"], thread_ts=sess["thread_ts"],
                                                 **recovered_message(broken_since=since, back_at=_utc(back)))
        except Exception as exc:  # noqa: BLE001 - the session already says it works; this is the extra line
            log.warning("could not post the outage length for %s: %s", sid, slack_error(exc))
        fields = {"worked": 1, "fails": 0, "broken_since": None, "alert_session": None}
        self.store.update(row["name"], **fields)
        return {**row, **fields}
