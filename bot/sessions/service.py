"""One diagnosis session in Slack: the parent message, its thread, runs, retests.

Listeners call :meth:`SessionService.start`, :meth:`retest` and (via the
scheduler or the database poll) :meth:`scheduled_retest`; the run itself happens on one of
the bot's :class:`~bot.sessions.executor.RunExecutor` lanes (people's: ``executor``;
automatic work: ``background``), never on Bolt's listener threads. Every run is claimed in
SQLite first, under this process's lease (:mod:`bot.store.leases`), so a double click or a
second process cannot start a second one.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections import OrderedDict
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from slack_sdk import WebClient

from checks.connections import Connection
from checks.engine import Engine
from checks.model import Diagnosis, StepId, StepResult

from bot import blocks
from bot.blocks.text import AUTOMATIC_WATCH
from bot.sessions import claimed
from bot.sessions.certificate_upload import attach_certificate
from bot.sessions.delivery import Delivery, is_permanent, slack_error
from bot.sessions.executor import ChannelPacer, QueueFull, RunExecutor
from bot.sessions.messages import SessionMessages
from bot.store import app_memory
from bot.store.leases import Claims
from bot.store.ledger import Ledger
from bot.store.db import Store

__all__ = ["SessionService", "slack_error"]

log = logging.getLogger(__name__)
ACK_WAIT = 1.5  # seconds the ack path waits for SQLite's write lock (Slack wants an answer within 3 s)


class Scheduler(Protocol):
    def schedule(self, session_id: str, due_at: float) -> None: ...
    def cancel(self, session_id: str) -> None: ...


@dataclass
class SessionService(SessionMessages):
    client: WebClient
    store: Store
    engine: Engine
    executor: RunExecutor
    support_channel: str
    retest_delays: tuple[float, ...] = (120.0, 300.0, 600.0)
    connections_file: str | None = None
    private_key_file: str | None = None
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    clock: Callable[[], float] = time.time
    scheduler: Scheduler | None = None
    delivery: Delivery = field(default=None)  # type: ignore[assignment] - made in __post_init__
    background: RunExecutor | None = None  # the automatic work's lane; None: the people's lane does it all
    # Latest diagnosis per session, bounded: older ones are rebuilt from SQLite on demand.
    _latest: OrderedDict[str, Diagnosis] = field(default_factory=OrderedDict)
    # One counter for all parent revisions: block ids differ between updates without per-session state.
    _revision: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.delivery is None:
            self.delivery = Delivery(self.client, Ledger(self.store), self.pacer)
        self.claims = Claims(self.store)

    def lane(self, background: bool) -> RunExecutor:
        return (self.background or self.executor) if background else self.executor

    def _submit(self, sid: str, fn: Callable[[], None], *, background: bool = False) -> int:
        """Queue ``fn`` for a claimed session on its lane (see :mod:`bot.sessions.claimed`)."""
        return claimed.submit(self.claims, self.lane(background), sid, fn)

    @property
    def ledger(self) -> Ledger:
        return self.delivery.ledger

    # ----- entry points (called from listeners and the scheduler; all return quickly)

    def start(self, *, channel: str, requester: str, connection: Connection,
              response_url: str | None = None, background: bool = False) -> tuple[str, int]:
        """Create a session and queue its first run; returns (session id, place in the queue).

        ``response_url`` (from the slash command) reaches the requester even where the bot
        cannot post; it is stored with the session for its 30 minutes of validity. When
        another process holds SQLite's write lock, this gives up within ``ACK_WAIT`` seconds
        with :class:`QueueFull` ("busy, try again") so the command is still answered in time.
        """
        try:
            with self.store.busy_timeout(ACK_WAIT):
                sid = self.store.create_session(channel=channel, requester=requester,
                                                connection=connection.summary(), claimed=True,
                                                reply_url=response_url)
        except sqlite3.OperationalError as exc:
            log.warning("session log busy, command refused: %s", exc)
            raise QueueFull("the session log is locked by another process") from None
        try:
            waiting = self._submit(sid, lambda: self._first_run(sid, connection, response_url), background=background)
        except QueueFull:
            self.store.close(sid, "closed")  # closed before released: a poll never adopts it in between
            self._release(sid)
            raise
        return sid, waiting

    def retest(self, session_id: str, user: str) -> str | None:
        """The button: queue a run now. Returns a notice for the clicker, or None when started."""
        sess = self.store.session(session_id)
        if sess is None or not sess.get("thread_ts"):
            return "This session is no longer known to the bot; run /aprity-diagnose again."
        if not self._claim(session_id, "button"):
            return "A check of this connection is already running; its result will appear in the thread."
        if self.scheduler is not None:
            self.scheduler.cancel(session_id)  # a new click replaces the pending schedule
        self.store.clear_retests(session_id)
        try:
            self._submit(session_id, lambda: self._guarded(session_id, "button"))
        except QueueFull:
            if sess["retest_plan"]:  # nothing ran: the automatic retests stay as they were
                self.store.set_retest_plan(session_id, sess["retest_plan"], started_at=sess.get("retest_started_at"))
            self._release(session_id)
            self._schedule_next(session_id)
            return "The bot is busy with many checks; try again in a minute."
        return None

    def scheduled_retest(self, session_id: str) -> bool:
        """A retest is due (the scheduler's hint or the database poll): claim it and queue the run on
        the background lane. The claim is one atomic UPDATE: of two processes, one runs it."""
        if not self.claims.claim_due_retest(session_id):
            # Cancelled after APScheduler handed the job over, not due, or a run (here or elsewhere) holds it.
            log.info("retest of %s not started: none is due and free", session_id)
            return False
        try:
            self._submit(session_id, lambda: self._guarded(session_id, "scheduled"), background=True)
        except QueueFull:
            self._release(session_id)
            self.defer_retest(session_id, self.clock() + 60)  # try again shortly rather than lose the retest
            return False
        return True

    def defer_retest(self, session_id: str, at: float) -> None:
        """A due retest that may not run yet: due at ``at``, in SQLite (any process) and in the scheduler."""
        self.claims.defer_retest(session_id, at)
        if self.scheduler is not None:
            self.scheduler.schedule(session_id, at)

    def resolve(self, session_id: str, diagnosis: Diagnosis, *, started_at: float,
                message: dict[str, Any]) -> bool:
        """Close an open session as working from a run made outside it (the watcher's check).

        Posts ``message`` in the thread, stores the run, stops the retests and turns the parent
        ✅. Returns False, changing nothing, when the session is closed or a run of it is going.
        """
        sess = self.store.session(session_id)
        if sess is None or sess["status"] in ("ok", "closed") or not sess.get("thread_ts"):
            return False
        if not self.store.claim(session_id, started=True):
            return False
        self.claims.hold(session_id)
        try:
            # The post first: if Slack is down nothing is recorded and the next check tries again.
            self._post(sess["channel"], message, thread=sess["thread_ts"])
            self._cancel(session_id)
            self.store.record_run(session_id, trigger="scheduled", diagnosis=diagnosis, started_at=started_at)
            self.store.close(session_id, "ok")
            self._remember(session_id, diagnosis)
            self._update(self.store.session(session_id) or sess, running=False)
        finally:
            self._release(session_id)
            self.claims.drop(session_id)
        return True

    def resume(self, sid: str) -> None:
        """Run a session whose claim this process adopted (interrupted or handed back; claimed by us now).
        A retest goes to the background lane, a person's run to theirs."""
        sess = self.store.session(sid)
        if sess is None:
            return
        trigger = sess.get("run_trigger") or ("button" if self.store.last_run(sid) else "command")
        background = trigger == "scheduled" or sess.get("requester") == AUTOMATIC_WATCH
        if not sess.get("thread_ts"):
            self._submit(sid, lambda: self._first_run(sid), background=background)
        else:
            self._submit(sid, lambda: self._guarded(sid, trigger), background=background)

    def abandon(self, sid: str) -> None:
        """End a session whose run stopped the process twice instead of resuming it a third time.

        SQLite first (closed for retests, no longer busy), then the thread is told on the run pool.
        """
        sess = self.store.session(sid)
        if sess is None:
            return
        self.store.clear_retests(sid)
        if self.store.last_run(sid) is None:  # no verdict ever: it must not stay "running"
            self.store.close(sid, "failing")
        self._release(sid)

        def tell() -> None:
            fresh = self.store.session(sid) or sess
            if fresh.get("thread_ts"):
                self._reply(fresh, blocks.crash_loop_message(sid))
                self._update(fresh, running=False, stopped="this check stopped the bot twice")
            else:
                self.delivery.tell_requester(fresh, blocks.crash_loop_message(sid)["text"])

        try:
            self.executor.submit(tell)
        except QueueFull:
            log.warning("could not queue the crash-loop notice of session %s", sid)

    def _claim(self, sid: str, trigger: str | None = None) -> bool:
        """One run per session: SQLite's busy flag, held until :meth:`_release` after the follow-up."""
        return self.store.claim(sid, trigger)

    def _release(self, sid: str) -> None:
        self.store.release(sid)

    # ----- the run

    def _first_run(self, sid: str, connection: Connection | None = None, response_url: str | None = None) -> None:
        sess = self.store.session(sid)
        assert sess is not None
        message = self._parent(sess, running=True)
        try:
            parent = self.delivery.post_parent(sess, message)
        except Exception as exc:  # noqa: BLE001 - Slack's answer, or Slack unreachable after the retries
            log.warning("could not post in %s: %s", sess["channel"], slack_error(exc))
            if is_permanent(exc):  # the bot cannot post here: say why, and stop
                self.store.close(sid, "closed")  # before the release: no poll adopts it in between
                self._release(sid)
                self._tell_requester(sess, exc, response_url)
                return
            # Slack did not answer: run anyway; the parent and replies are owed until it does.
            self.ledger.owe_parent(sid, message)
        else:
            self.store.set_thread(sid, parent["ts"])
        self._guarded(sid, "command", connection)

    def _guarded(self, sid: str, trigger: str, connection: Connection | None = None) -> None:
        """Run, and turn any failure into one clear thread message plus a log line."""
        before = self.store.last_run(sid)
        self.ledger.run_begins(sid)  # a crash from here on is counted (bot.sessions.recovery)
        try:
            self._run(sid, trigger, connection)
        except Exception:  # noqa: BLE001 - the last line of defence: nothing may escape to Slack
            ref = uuid.uuid4().hex[:8]
            log.exception("run of session %s (%s) failed, reference %s", sid, trigger, ref)
            try:
                self._after_crash(sid, trigger, ref, before)
            except Exception:  # noqa: BLE001
                log.warning("could not report error %s to Slack", ref)
        finally:
            self._release(sid)
            # Only now: a retest that is already due must find the session free, not be skipped as busy.
            self._schedule_next(sid)
            self.delivery.on_success()  # the repair pass skips busy sessions: repair this one now it is free

    def _after_crash(self, sid: str, trigger: str, ref: str, before: dict[str, Any] | None) -> None:
        """The error in the thread, the parent out of its "running" state, the rest of the retests kept."""
        last = self.store.last_run(sid)
        if trigger == "scheduled" and (last or {}).get("id") == (before or {}).get("id"):
            self.store.pop_retest(sid)  # this retest was tried: go on with the next one rather than loop
        if last is None:  # no verdict ever: the session must not stay "running" with nothing to come
            self.store.close(sid, "failing")
        sess = self.store.session(sid)
        if sess:
            self._reply(sess, blocks.internal_error_message(ref))
            self._update(sess, running=False)

    def _run(self, sid: str, trigger: str, connection: Connection | None) -> None:
        sess = self.store.session(sid)
        assert sess is not None
        conn = connection or self._connection(sess)
        previous = self.store.last_run(sid)

        def on_step(index: int, total: int, step: StepId, result: StepResult | None) -> None:
            if result is None:  # a phase starts: show it; finished steps are shown together at the end
                self._update(sess, running=True, step=step, index=index, total=total)

        started = self.clock()
        # A customer's bound channel reads "the aprity app's settings"; staff read connections.toml.
        d = self.diagnose(conn, on_step, reader="customer" if sess["channel"] in conn.channels else "support")
        self._remember(sid, d)
        if trigger == "command":
            messages, changed = blocks.step_messages(d), True
        else:
            at = datetime.fromtimestamp(self.clock(), timezone.utc)
            messages = [blocks.retest_result_message(d, at=at, trigger=trigger, previous=previous)]
            changed = previous is None or bool(previous.get("ok")) != d.ok or \
                previous.get("fingerprint") != (d.last_error.fingerprint() if d.last_error else None)
            # Just after aprity's key or certificate changed, a failure is most likely Salesforce catching up:
            # say so rather than lay out a new diagnosis (the next run, with the same certificate, will).
            if (trigger == "button" or changed) and not blocks.still_applying(previous, d):
                messages += blocks.step_messages(d)
        # The verdict is stored before Slack is asked anything: a Slack fault cannot lose it.
        self.store.record_run(sid, trigger=trigger, diagnosis=d, started_at=started)
        self.store.set_connection(sid, d.connection)  # the header follows a fix on aprity's side
        for message in messages:
            self._reply(sess, message)
        if changed and sess.get("thread_ts"):  # a new finding went out: hand over the certificate with it, once
            attach_certificate(self.client, sess["channel"], sess["thread_ts"], d, conn.name, conn.connected_app)
        self._after_run(sid, trigger, d)

    def diagnose(self, conn: Connection, on_step: Callable[..., None] | None = None, *,
                  reader: str = "support") -> Diagnosis:
        """One diagnosis that starts from what earlier runs proved about this connection, and keeps what this one
        proves: the app's kind (fixes name its screens) and the org's My Domain (Setup links)."""
        key = app_memory.key_of(conn.name, conn.username, conn.consumer_key)
        known_type, known_domain = self.store.recall_app(key)
        conn = replace(conn, known_app_type=known_type, known_my_domain=known_domain)
        d = self.engine.diagnose(conn, on_step, reader=reader) if on_step else \
            self.engine.diagnose(conn, reader=reader)
        proven = d.app_type_source == "proven" and d.app_type != "unknown"
        self.store.remember_app(key, str(d.app_type) if proven else None, d.my_domain_url)
        return d

    def _after_run(self, sid: str, trigger: str, d: Diagnosis) -> None:
        """Success closes the session; a failure (re)plans the automatic retests."""
        sess = self.store.session(sid)
        assert sess is not None
        stopped: str | None = None
        if d.ok:
            self._cancel(sid)
            if trigger == "scheduled":  # timed from the first failing run, not from the last button press
                first_fail = next((r for r in self.store.runs(sid) if not r["ok"]), None)
                since = first_fail["finished_at"] if first_fail else sess["created_at"]
                self._reply(sess, blocks.success_message(sess["requester"], self.clock() - since))
            self.store.close(sid, "ok")
        elif trigger in ("command", "button"):
            if self.store.escalation(sid) is not None:  # escalated while this run was going: support owns it
                self._cancel(sid)
            elif d.retryable and self.retest_delays:
                now = self.clock()
                self.store.set_retest_plan(sid, [now + delay for delay in self.retest_delays], started_at=now)
            else:
                self._cancel(sid)
                stopped = "waiting will not fix this one; change the configuration, then press retest"
        else:  # a scheduled retest that failed
            self.store.pop_retest(sid)
            if (self.store.session(sid) or {}).get("retest_due_at") is None:
                minutes = (self.clock() - (sess.get("retest_started_at") or sess["created_at"])) / 60
                cause = d.cause
                fix = blocks.suggested_fix(d)  # the verdict's own fix, also when its step only warns
                escalated = self.store.escalation(sid) is not None
                self._reply(sess, blocks.still_failing_message(
                    minutes, cause.id if cause else None, fix, sid, escalated=escalated, tied=[c.id for c in d.tied],
                    links=blocks.suggested_links(d)))
                stopped = f"still failing after {blocks.text.minutes_label(minutes)}"
        final = self.store.session(sid) or sess
        # No parent in Slack yet, or Slack would not show the verdict in it (an outage: the parent
        # stays ⏳ until the repair pass): the requester hears the outcome another way meanwhile.
        if not self._update(final, running=False, stopped=stopped):
            self.delivery.tell_requester(final, blocks.outcome_note(d))

    def _schedule_next(self, sid: str) -> bool:
        sess = self.store.session(sid)
        due = sess.get("retest_due_at") if sess else None
        if due is None or self.scheduler is None:
            return False
        self.scheduler.schedule(sid, due)
        return True

    def _cancel(self, sid: str) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel(sid)
        self.store.clear_retests(sid)
