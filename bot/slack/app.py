"""Builds the Bolt app and everything behind it; nothing runs at import time.

:func:`build` wires settings → WebClient, Store, Engine, the two lanes (people's and
background), session service, scheduler and the Bolt ``App``; tests call it with a Slack
stand-in URL and a simulator transport, production with the environment.

Several processes may share one database (a deploy overlaps the old and the new): each
renews the leases of what it holds (``lease-heartbeat``) and polls SQLite for work nobody
holds — lapsed claims, due retests, due watch checks (``poll``) — see :mod:`bot.store.leases`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from checks.connections import ConfigError, load_all

from bot.policy.access import Rules, shows, startup_hint
from bot.sessions.delivery import Delivery, retry_handlers
from bot.sessions.executor import ChannelPacer, RunExecutor
from bot.watch.expiry import ExpiryWatch
from bot.store.ledger import Ledger
from bot.slack.listeners import home as home_listener
from bot.slack.listeners import register
from bot.slack.listeners.gate import Gate, session_request
from bot.sessions.repair import Repairer
from bot.store.retention import DAY, FIRST_PASS_DELAY, JOB_ID, Retention
from bot.runtime import make_engine
from bot.sessions.scheduler import RetestScheduler
from bot.sessions.recovery import adopt
from bot.sessions.service import SessionService
from bot.settings import Settings
from bot.store.db import Store
from bot.policy.throttle import Throttle
from bot.store.watch import WatchStore
from bot.watch.watcher import Watcher

log = logging.getLogger(__name__)
HEARTBEAT_JOB, POLL_JOB = "lease-heartbeat", "poll"
BACKGROUND_WAITING = 50  # background jobs queued at most; beyond, each tries again later


def make_web_client(token: str, base_url: str | None = None, timeout: float = 30) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries 5xx, connection errors and timeouts."""
    kwargs = {"base_url": base_url.rstrip("/") + "/"} if base_url else {}
    return WebClient(token=token, timeout=int(timeout) or 1, retry_handlers=retry_handlers(), **kwargs)


@dataclass
class Bot:
    app: App
    service: SessionService
    scheduler: RetestScheduler
    store: Store
    executor: RunExecutor
    gate: Gate
    retention: Retention
    repairer: Repairer
    watcher: Watcher | None = None
    background: RunExecutor | None = None
    poll_interval: float = 5.0

    def start_scheduler(self) -> int:
        """Adopt what nobody holds, re-add pending retests, repair what Slack was owed; retention daily,
        its first pass a minute after start-up (in small batches, once the bot is serving); then renew
        our leases and poll the database for due work, on the scheduler."""
        resumed = adopt(self.service)
        if resumed:
            log.warning("running again %d check(s) interrupted by the previous shutdown", resumed)
        count = self.scheduler.start(self.store.pending_retests())
        self.scheduler.every(JOB_ID, DAY, self.retention.run, first_in=FIRST_PASS_DELAY)
        self.scheduler.every(HEARTBEAT_JOB, self.store.lease / 3, self.heartbeat)  # renewed well within a lease
        self.scheduler.every(POLL_JOB, self.poll_interval, self.poll)
        self.repairer.start()
        if self.watcher is not None:
            self.watcher.start()
            self.watcher.poll()  # checks that fell due while no process ran: the first few now, the rest spread
        return count

    def heartbeat(self) -> None:
        try:
            self.service.claims.heartbeat()
        except Exception as exc:  # noqa: BLE001 - a locked file now: the next beat comes well within the lease
            log.warning("lease heartbeat failed: %s", exc.__class__.__name__)

    def poll(self) -> None:
        """Work found in SQLite, claimed atomically: lapsed claims, due retests, due watch checks."""
        try:
            adopted = adopt(self.service)
            if adopted:
                log.warning("took over %d check(s) from a stopped or crashed process", adopted)
            for sid in self.service.claims.due_retests():
                self.scheduler.fire(sid)
            if self.watcher is not None:
                self.watcher.poll()
        except Exception:  # noqa: BLE001 - the poll must outlive any one failure; the next one retries
            log.exception("poll of the database failed")

    def shutdown(self, grace: float = 0.0) -> bool:
        """Scheduler, then the pool (runs in flight get ``grace`` seconds), then the clients;
        False when runs were still going and were left for the next start.

        The order matters: nothing new may start, runs in flight get the grace, and only then are
        the HTTP clients closed (closing them under a run would fail it and report an error)."""
        # 1. no retest, poll or watch check fires any more (due times stay in SQLite); the heartbeat
        # goes on, so no other process takes over a run this one is still finishing.
        self.scheduler.quiesce(keep=(HEARTBEAT_JOB,))
        if self.watcher is not None:
            self.watcher.shutdown()
        self.repairer.stop()  # what Slack is still owed stays in SQLite for the next start's repair pass
        lanes = [self.executor] + ([self.background] if self.background is not None else [])
        dropped = sum(lane.stop_accepting() for lane in lanes)  # 2. no run starts any more
        handed = self.service.claims.hand_back_unstarted()  # queued, never started: another process runs them now
        if dropped or handed:
            log.warning("shutting down: %d queued run(s) handed back, left for the next start or another process",
                        max(dropped, handed))
        deadline = time.monotonic() + grace
        if not all(lane.wait_idle(deadline - time.monotonic()) for lane in lanes):  # 3. the grace period
            going = sum(lane.in_flight for lane in lanes)
            self.service.claims.expire_mine()  # leaving them: another process reruns them at once
            self.scheduler.shutdown()
            log.warning("shutting down: %d run(s) still going after %g s; another process or the next start "
                        "runs them again", going, grace)
            return False
        self.scheduler.shutdown()
        for lane in lanes:
            lane.shutdown(wait=True)  # 4. only now, with nothing running, close the clients
        self.service.engine.client.close()
        return True


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and identity URLs carry Org and user ids: WARNING and up only."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:  # an explicit choice (say DEBUG while debugging) is kept
            logger.setLevel(logging.WARNING)


def log_access(settings: Settings) -> None:
    """At start-up: say where the bot answers, and how to enable it when that is nowhere."""
    try:
        conns = load_all(settings.engine.connections_file)
    except ConfigError as exc:
        log.warning("connections file unusable (%s); only staff channels are enabled", exc)
        conns = {}
    rules = Rules.of(settings.staff_channels, conns)
    hint = startup_hint(rules)
    if hint:
        log.warning(hint)
    else:
        bound = sorted({c for chans in rules.bindings.values() for c in chans})
        log.info("answering in %d staff channel(s) and %d customer channel(s)", len(rules.staff_channels),
                 len(bound))
    if settings.support_channel not in rules.staff_channels:
        # An escalation shows a customer's connection, error and evidence to whoever reads that channel.
        log.warning("the support channel %s (APRITY_SUPPORT_CHANNEL) is not a staff channel: escalations show "
                    "customers' connections and errors to everyone in it; add it to APRITY_STAFF_CHANNELS if it is "
                    "aprity's own support channel, or set APRITY_SUPPORT_CHANNEL to one that is",
                    settings.support_channel)
    alert = settings.alert_channel or settings.support_channel
    unshown = [n for n, c in conns.items() if (c.watch or c.certificate_file) and not shows(alert, n, rules)]
    if unshown:
        log.warning("the alert channel %s is not a staff channel: watch alerts and certificate warnings for %d "
                    "connection(s) will not be posted there; add it to APRITY_STAFF_CHANNELS", alert, len(unshown))


def build(settings: Settings, *, transport: httpx.BaseTransport | None = None,
          clock: Callable[[], float] = time.time, start_scheduler: bool = True,
          slack_timeout: float = 30, repair_interval: float = 15.0,
          monotonic: Callable[[], float] = time.monotonic) -> Bot:
    """``slack_timeout`` (per Web API call) and ``repair_interval`` are knobs for tests; ``monotonic``
    counts the per-connection windows (a wall clock stepped back must not lengthen them)."""
    quiet_http_logs()
    log_access(settings)
    client = make_web_client(settings.bot_token, settings.api_url, timeout=slack_timeout)
    store = Store(settings.db_path, clock=clock, lease=settings.lease)
    executor = RunExecutor(max_workers=settings.max_runs)  # people: commands, buttons, forms
    # Retests, watch checks, expiry warnings, Home builds: bounded, and never on a person's worker.
    background = RunExecutor(max_workers=max(1, settings.max_runs // 2), max_waiting=BACKGROUND_WAITING,
                             name="background", fail_fast=True)
    pacer = ChannelPacer(settings.post_interval)
    delivery = Delivery(client, Ledger(store), pacer)
    repairer = Repairer(client=client, store=store, delivery=delivery, interval=repair_interval)
    delivery.on_success = repairer.kick
    service = SessionService(
        client=client, store=store, engine=make_engine(settings.engine, transport=transport, clock=clock, surface="slack"),
        executor=executor, support_channel=settings.support_channel, retest_delays=settings.retest_delays,
        connections_file=settings.engine.connections_file, private_key_file=settings.engine.private_key_file,
        pacer=pacer, clock=clock, delivery=delivery, background=background,
    )
    throttle = Throttle(store, clock=clock, monotonic=monotonic)

    def still_allowed(sid: str) -> None:
        # A retest nobody pressed obeys the policy as a button would: a connection unbound from the
        # session's channel since is not checked there any more (its pending retests are dropped).
        sess = store.session(sid)
        if sess is not None:
            decision, _, file_error = gate.decide(sess["channel"], sess["requester"] or "-", session_request(sess))
            if file_error:  # a file being edited says nothing about the policy: try again in a minute
                log.warning("retest of %s postponed: the connections file is unusable", sid)
                service.defer_retest(sid, clock() + 60)
                return
            if not decision.allowed:
                log.info("retest of %s dropped: its connection is no longer enabled in its channel", sid)
                store.clear_retests(sid)
                return
        throttled(sid)

    # Scheduled retests count against the per-connection limit; over it, one moves to when it may run.
    throttled = throttle.gate_scheduled(service.scheduled_retest, service.defer_retest)
    scheduler = RetestScheduler(still_allowed, clock=clock)
    service.scheduler = scheduler
    gate = Gate(settings, throttle)
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        token_verification_enabled=False,  # no auth.test call at start-up; the first API call tells
        raise_error_for_unhandled_request=False,
    )
    register(app, service, gate)
    watch_store = WatchStore(settings.db_path)
    alert = settings.alert_channel or settings.support_channel

    def alert_may_show(name: str) -> bool:
        # Unasked posts follow the access policy too: a connection's alert or certificate warning goes to
        # the alert channel only if a command for it would be allowed there (its buttons must work there).
        return shows(alert, name, gate.rules()[0])

    expiry = ExpiryWatch(client, watch_store, alert_channel=alert, connections_file=settings.engine.connections_file,
                         private_key_file=settings.engine.private_key_file, may_post=alert_may_show, clock=clock)
    watcher = Watcher(service, watch_store, alert_channel=alert, interval=settings.watch_interval,
                      connections_file=settings.engine.connections_file,
                      private_key_file=settings.engine.private_key_file, allow_run=throttle.allow_watch,
                      run_done=throttle.watch_done,
                      may_alert=alert_may_show, on_sweep=expiry.sweep, clock=clock)
    # The App Home's staff are the access policy's: members of APRITY_STAFF_CHANNELS see every connection.
    home_listener.register(app, service, home_listener.publisher(
        service, settings, watch_store, staff_channels=settings.staff_channels))

    @app.error
    def on_error(error: Exception, body: dict) -> BoltResponse:  # noqa: ANN001
        # Never a stack trace in Slack: log it, answer with a plain 200 so Slack does not retry.
        log.exception("listener error: %s", error.__class__.__name__, exc_info=error)
        return BoltResponse(status=200, body="")

    bot = Bot(app=app, service=service, scheduler=scheduler, store=store, executor=executor, gate=gate,
              retention=Retention(store, settings.retention_days, clock=clock), repairer=repairer, watcher=watcher,
              background=background, poll_interval=settings.poll_interval)
    if start_scheduler:
        bot.start_scheduler()
    return bot
