"""``app_home_opened`` → ``views.publish``: the Home tab, built on the background lane, once per viewer at a time.

A Home build is background work: it runs on the bounded background lane (never on a person's
worker), its Slack calls fail fast, and a rate limit schedules the build again after Slack's
Retry-After on a timer instead of sleeping in a worker. Builds are coalesced per viewer: while
one is waiting to start, opening the tab again adds nothing; channel lists are cached a minute.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from slack_bolt import App

from bot.slack import home
from bot.blocks.home import home_view
from bot.sessions.executor import QueueFull, RunExecutor
from bot.sessions.service import SessionService, slack_error
from bot.settings import Settings
from bot.store.watch import WatchStore

log = logging.getLogger(__name__)
MAX_WAIT = 300.0  # seconds: a Retry-After longer than this is capped (the next open rebuilds anyway)


def _timer(delay: float, fn: Callable[[], object]) -> None:
    t = threading.Timer(delay, fn)
    t.daemon = True
    t.start()


class HomeBuilds:
    """One pending build per viewer on ``lane``; ``later(delay, fn)`` runs ``fn`` after ``delay`` seconds."""

    def __init__(self, lane: Callable[[], RunExecutor], publish: Callable[[str], None], *,
                 later: Callable[[float, Callable[[], object]], None] = _timer) -> None:
        self.lane, self.publish, self.later = lane, publish, later
        self._lock = threading.Lock()
        self._pending: set[str] = set()

    def request(self, user: str) -> bool:
        """Queue a build for ``user`` unless one is already waiting (queued, or on a timer); True when queued."""
        with self._lock:
            if user in self._pending:
                return False
            self._pending.add(user)
        return self._queue(user)

    def _queue(self, user: str) -> bool:
        try:
            self.lane().submit(lambda: self._build(user))
        except QueueFull:
            with self._lock:
                self._pending.discard(user)
            log.warning("an App Home was skipped: the bot is busy")
            return False
        return True

    def _build(self, user: str) -> None:
        with self._lock:  # started: an open from now on may see newer data, so it queues a build of its own
            self._pending.discard(user)
        try:
            self.publish(user)
        except home.TryLater as exc:
            log.info("an App Home waits %g s for Slack's rate limit", exc.after)
            with self._lock:  # pending again: opens meanwhile fold into the build the timer queues
                self._pending.add(user)
            self.later(min(exc.after, MAX_WAIT), lambda: self._queue(user))


def publisher(service: SessionService, settings: Settings, watch_store: WatchStore,
              staff_channels: Iterable[str], channels_of: Callable[[str], list[str]] | None = None
              ) -> Callable[[str], None]:
    """``publish(user_id)``: gather what the user may see and publish their Home tab.

    Raises :class:`~bot.slack.home.TryLater` when Slack rate-limited it; logs anything else."""
    staff = tuple(staff_channels)
    channels = channels_of or home.ChannelCache(service.client, clock=service.clock)

    def publish(user_id: str) -> None:
        try:
            data = home.gather(service.client, user_id=user_id, db_path=service.store.path, watch_store=watch_store,
                               staff_channels=staff, connections_file=settings.engine.connections_file,
                               private_key_file=settings.engine.private_key_file, now=service.clock(),
                               channels_of=channels)
            service.client.views_publish(user_id=user_id, view=home_view(data))
        except home.TryLater:
            raise
        except Exception as exc:  # noqa: BLE001 - the tab stays as it was; nothing reaches Slack but the view
            after = home.retry_after(exc)
            if after is not None:
                raise home.TryLater(after) from None
            log.warning("an App Home was not published: %s", slack_error(exc))  # no user id in the log

    return publish


def register(app: App, service: SessionService, publish: Callable[[str], None]) -> HomeBuilds:
    builds = HomeBuilds(lambda: service.lane(True), publish)

    @app.event("app_home_opened")
    def on_home_opened(event: dict) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not user:
            return
        builds.request(user)  # users.conversations and permalinks take a while: not on Bolt's listener threads

    return builds
