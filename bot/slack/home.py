"""What the App Home shows a viewer: who may see what, and the data gathered for the builders.

The visibility rule is the access policy's (:func:`bot.policy.access.viewer_scope`): a member of a
staff channel (``APRITY_STAFF_CHANNELS``, as for commands) sees everything; anyone else
sees the sessions of channels they are in and the connections bound to those channels.
Deny by default: a viewer whose channels cannot be read sees nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timezone
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from checks.connections import ConfigError, Connection, load_all

from bot.store import stats
from bot.policy.access import Rules, viewer_scope
from bot.watch.expiry import certificate_of
from bot.sessions.service import slack_error
from bot.blocks.home import HomeData, WatchedRow
from bot.store.watch import WatchStore

log = logging.getLogger(__name__)


def visible_channels(user_channels: Collection[str], staff_channels: Collection[str]) -> frozenset[str] | None:
    """None: the viewer is staff and sees every channel; else the channels whose sessions they see."""
    return viewer_scope(user_channels, Rules(frozenset(staff_channels)))


def connection_visible(bound: Collection[str], scope: frozenset[str] | None) -> bool:
    """A connection is shown to staff, and to members of a channel it is bound to."""
    return scope is None or bool(set(bound) & scope)


def bound_channels(conn: Connection) -> tuple[str, ...]:
    """The customer channels a connection is bound to (its ``channels`` field)."""
    return tuple(conn.channels)


def user_channels(client: WebClient, user_id: str, *, limit: int = 1000) -> list[str]:
    """The channels ``user_id`` is in, as far as the bot can see (users.conversations, paged)."""
    found: list[str] = []
    cursor = None
    while len(found) < limit:
        page = client.users_conversations(user=user_id, types="public_channel,private_channel",
                                          exclude_archived=True, limit=200, cursor=cursor)
        found += [c["id"] for c in page.get("channels") or []]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


class TryLater(Exception):
    """Slack rate-limited a background call: build again in ``after`` seconds (no worker sleeps meanwhile)."""

    def __init__(self, after: float) -> None:
        super().__init__(f"rate-limited; try again in {after:g} s")
        self.after = after


def retry_after(exc: Exception) -> float | None:
    """Seconds Slack asked to wait when ``exc`` is its rate limit (429 ``ratelimited``), else None."""
    if not isinstance(exc, SlackApiError) or exc.response.get("error") != "ratelimited":
        return None
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after")
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return 30.0


class ChannelCache:
    """Each viewer's channel list (users.conversations, paged) kept for ``ttl`` seconds: opening the Home
    tab again and again costs Slack one listing a minute per viewer. A rate limit raises :class:`TryLater`,
    and until its Retry-After has passed every viewer's listing does so without asking Slack (Slack's
    limit is the method's, for the whole workspace)."""

    def __init__(self, client: WebClient, *, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_users: int = 10_000) -> None:
        self.client, self.ttl, self.clock, self.max_users = client, ttl, clock, max_users
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._blocked_until = 0.0

    def __call__(self, user_id: str) -> list[str]:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(user_id)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
            if now < self._blocked_until:
                raise TryLater(self._blocked_until - now)
        try:
            channels = user_channels(self.client, user_id)
        except Exception as exc:
            after = retry_after(exc)
            if after is not None:
                with self._lock:
                    self._blocked_until = max(self._blocked_until, now + after)
                raise TryLater(after) from None
            raise
        with self._lock:
            if len(self._cache) >= self.max_users:  # bounded: the stale ones go first
                self._cache = {u: v for u, v in self._cache.items() if now - v[0] < self.ttl}
            self._cache[user_id] = (now, channels)
        return channels


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value else None


def gather(client: WebClient, *, user_id: str, db_path: str, watch_store: WatchStore, staff_channels: Iterable[str],
           connections_file: str | None, private_key_file: str | None, now: float,
           channels_of: Callable[[str], list[str]] | None = None) -> HomeData:
    """Everything the viewer may see, read from Slack (their channels, through ``channels_of`` when
    given: the cache), SQLite and the connections file. Slack's rate limit raises :class:`TryLater`."""
    unknown = False
    try:
        mine = channels_of(user_id) if channels_of else user_channels(client, user_id)
    except TryLater:
        raise
    except Exception as exc:  # noqa: BLE001 - deny by default: no channels, nothing shown
        log.warning("users.conversations failed for an App Home: %s", slack_error(exc))
        mine, unknown = [], True
    scope = visible_channels(mine, tuple(staff_channels))
    sessions = stats.open_sessions(db_path, channels=scope)
    for row in sessions:
        row["link"] = _permalink(client, row["channel"], row["thread_ts"])
    try:
        connections = load_all(connections_file)
    except ConfigError as exc:
        log.warning("App Home without watched connections: %s", exc)
        connections = {}
    states = {w["name"]: w for w in watch_store.watches()}
    watched = []
    for name, conn in sorted(connections.items()):
        if not conn.watch or not connection_visible(bound_channels(conn), scope):
            continue
        state = states.get(name) or {}
        cert = certificate_of(conn.with_default_key(private_key_file))
        last_ok = state.get("last_ok")
        watched.append(WatchedRow(
            name=name, last_ok=None if last_ok is None else bool(last_ok),
            last_check_at=_ts(state.get("last_check_at")), broken_since=_ts(state.get("broken_since")),
            cert_expires=cert.not_after if cert else None, cert_days_left=cert.days_left(now) if cert else None))
    return HomeData(user_id=user_id, staff=scope is None, now=datetime.fromtimestamp(now, timezone.utc),
                    open_sessions=sessions, watched=watched, figures=stats.compute(db_path, now=now, channels=scope),
                    channels_unknown=unknown)


def _permalink(client: WebClient, channel: str, ts: str | None) -> str | None:
    if not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except Exception:  # noqa: BLE001 - Slack resolves this form too, for members of the workspace
        return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
