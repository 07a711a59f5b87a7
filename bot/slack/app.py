"""Builds the Bolt app and everything behind it; nothing runs at import time.

:func:`build` wires settings → WebClient, Store, Engine, executor, session
service, scheduler and the Bolt ``App``; tests call it with a Slack stand-in URL
and a simulator transport, production with the environment.
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
from bot.sessions.recovery import recover
from bot.sessions.service import SessionService
from bot.settings import Settings
from bot.store.db import Store
from bot.policy.throttle import Throttle
from bot.store.watch import WatchStore
from bot.watch.watcher import Watcher

log = logging.getLogger(__name__)


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

    def start_scheduler(self) -> int:
        """Rerun what a crash interrupted, re-add pending retests, repair what Slack was owed; retention daily,
        its first pass a minute after start-up (in small batches, once the bot is serving)."""
        resumed = recover(self.service)
        if resumed:
            log.warning("running again %d check(s) interrupted by the previous shutdown", resumed)
        count = self.scheduler.start(self.store.pending_retests())
        self.scheduler.every(JOB_ID, DAY, self.retention.run, first_in=FIRST_PASS_DELAY)
        self.repairer.start()
        if self.watcher is not None:
            self.watcher.start()
        return count

    def shutdown(self, grace: float = 0.0) -> bool:
        """Scheduler, then the pool (runs in flight get ``grace`` seconds), then the clients;
        False when runs were still going and were left for the next start.

        The order matters: nothing new may start, runs in flight get the grace, and only then are
        the HTTP clients closed (closing them under a run would fail it and report an error)."""
        self.scheduler.shutdown()  # 1. no retest or watch check fires any more (due times stay in SQLite)
        if self.watcher is not None:
            self.watcher.shutdown()
        self.repairer.stop()  # what Slack is still owed stays in SQLite for the next start's repair pass
        dropped = self.executor.stop_accepting()  # 2. no run starts any more
        if dropped:
            log.warning("shutting down: %d queued run(s) left for the next start", dropped)
        if not self.executor.wait_idle(grace):  # 3. runs in flight get the grace period
            log.warning("shutting down: %d run(s) still going after %g s; the next start runs them again",
                        self.executor.in_flight, grace)
            return False
        self.executor.shutdown(wait=True)  # 4. only now, with nothing running, close the clients
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
    store = Store(settings.db_path, clock=clock)
    executor = RunExecutor(max_workers=settings.max_runs)
    pacer = ChannelPacer(settings.post_interval)
    delivery = Delivery(client, Ledger(store), pacer)
    repairer = Repairer(client=client, store=store, delivery=delivery, interval=repair_interval)
    delivery.on_success = repairer.kick
    service = SessionService(
        client=client, store=store, engine=make_engine(settings.engine, transport=transport, clock=clock, surface="slack"),
        executor=executor, support_channel=settings.support_channel, retest_delays=settings.retest_delays,
        connections_file=settings.engine.connections_file, private_key_file=settings.engine.private_key_file,
        pacer=pacer, clock=clock, delivery=delivery,
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
                scheduler.schedule(sid, clock() + 60)
                return
            if not decision.allowed:
                log.info("retest of %s dropped: its connection is no longer enabled in its channel", sid)
                store.clear_retests(sid)
                return
        throttled(sid)

    # Scheduled retests count against the per-connection limit; over it, one moves to when it may run.
    throttled = throttle.gate_scheduled(service.scheduled_retest, lambda sid, at: scheduler.schedule(sid, at))
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
              retention=Retention(store, settings.retention_days, clock=clock), repairer=repairer, watcher=watcher)
    if start_scheduler:
        bot.start_scheduler()
    return bot
