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

from .delivery import Delivery, retry_handlers
from .executor import ChannelPacer, RunExecutor
from .ledger import Ledger
from .listeners import register
from .repair import Repairer
from .runtime import make_engine
from .scheduler import RetestScheduler
from .recovery import recover
from .sessions import SessionService
from .settings import Settings
from .store import Store

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
    repairer: Repairer

    def start_scheduler(self) -> int:
        """Rerun what a crash interrupted, re-add pending retests, repair what Slack was owed."""
        resumed = recover(self.service)
        if resumed:
            log.warning("running again %d check(s) interrupted by the previous shutdown", resumed)
        count = self.scheduler.start(self.store.pending_retests())
        self.repairer.start()
        return count

    def shutdown(self) -> None:
        self.repairer.stop()
        self.scheduler.shutdown()
        self.executor.shutdown(wait=False)
        self.service.engine.client.close()


def build(settings: Settings, *, transport: httpx.BaseTransport | None = None,
          clock: Callable[[], float] = time.time, start_scheduler: bool = True,
          slack_timeout: float = 30, repair_interval: float = 15.0) -> Bot:
    """``slack_timeout`` (per Web API call) and ``repair_interval`` are knobs for tests."""
    client = make_web_client(settings.bot_token, settings.api_url, timeout=slack_timeout)
    store = Store(settings.db_path, clock=clock)
    executor = RunExecutor(max_workers=settings.max_runs)
    pacer = ChannelPacer(settings.post_interval)
    delivery = Delivery(client, Ledger(store), pacer)
    repairer = Repairer(client=client, store=store, delivery=delivery, interval=repair_interval)
    delivery.on_success = repairer.kick
    service = SessionService(
        client=client, store=store, engine=make_engine(settings.engine, transport=transport, clock=clock),
        executor=executor, support_channel=settings.support_channel, retest_delays=settings.retest_delays,
        connections_file=settings.engine.connections_file, private_key_file=settings.engine.private_key_file,
        pacer=pacer, clock=clock, delivery=delivery,
    )
    scheduler = RetestScheduler(service.scheduled_retest, clock=clock)
    service.scheduler = scheduler
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        token_verification_enabled=False,  # no auth.test call at start-up; the first API call tells
        raise_error_for_unhandled_request=False,
    )
    register(app, service, settings)

    @app.error
    def on_error(error: Exception, body: dict) -> BoltResponse:  # noqa: ANN001
        # Never a stack trace in Slack: log it, answer with a plain 200 so Slack does not retry.
        log.exception("listener error: %s", error.__class__.__name__, exc_info=error)
        return BoltResponse(status=200, body="")

    bot = Bot(app=app, service=service, scheduler=scheduler, store=store, executor=executor, repairer=repairer)
    if start_scheduler:
        bot.start_scheduler()
    return bot
