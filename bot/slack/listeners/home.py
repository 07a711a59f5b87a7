"""``app_home_opened`` → ``views.publish``: the Home tab, built off Bolt's listener threads."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from slack_bolt import App

from bot.slack import home
from bot.blocks.home import home_view
from bot.sessions.executor import QueueFull
from bot.sessions.service import SessionService, slack_error
from bot.settings import Settings
from bot.store.watch import WatchStore

log = logging.getLogger(__name__)


def publisher(service: SessionService, settings: Settings, watch_store: WatchStore,
              staff_channels: Iterable[str]) -> Callable[[str], None]:
    """``publish(user_id)``: gather what the user may see and publish their Home tab."""
    staff = tuple(staff_channels)

    def publish(user_id: str) -> None:
        try:
            data = home.gather(service.client, user_id=user_id, db_path=service.store.path, watch_store=watch_store,
                               staff_channels=staff, connections_file=settings.engine.connections_file,
                               private_key_file=settings.engine.private_key_file, now=service.clock())
            service.client.views_publish(user_id=user_id, view=home_view(data))
        except Exception as exc:  # noqa: BLE001 - the tab stays as it was; nothing reaches Slack but the view
            log.warning("an App Home was not published: %s", slack_error(exc))  # no user id in the log

    return publish


def register(app: App, service: SessionService, publish: Callable[[str], None]) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not user:
            return
        try:  # users.conversations and permalinks take a while: not on Bolt's listener threads
            service.executor.submit(lambda: publish(user))
        except QueueFull:
            log.warning("an App Home was skipped: the bot is busy")
