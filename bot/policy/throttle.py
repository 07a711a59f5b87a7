"""One run per connection at a time, and a handful per minute.

Every diagnosis spends one of the customer's Salesforce logins. A command for a
connection (same username, consumer key and login URL) that is already queued or
running is pointed to that session's thread instead of starting a second token
exchange, and at most ``limit`` diagnoses per connection start in any rolling
``window`` (a diagnosis with its probes counts once; commands, buttons and scheduled
retests all count). The support engineer's first "I fixed it, retest" after a run is
never refused: each session may press it once per window whatever the count.

Everything here is local (a lock, SQLite, a deque): it runs before the ack. "Busy" is
read from SQLite's busy flag; the per-minute count lives in this process, which is
right for the single bot process the scheduler already requires.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from checks.connections import Connection

from bot.store.db import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
Key = tuple[str, str, str]
LIMIT, WINDOW = 6, 60.0


def key_of(username: str, consumer_key: str, login_url: str) -> Key:
    """Salesforce usernames ignore case; a trailing slash does not make another login URL."""
    return username.strip().lower(), consumer_key.strip(), login_url.strip().rstrip("/").lower()


@dataclass(frozen=True)
class Busy:
    """A session of this connection is queued or running."""

    session: dict[str, Any]


@dataclass(frozen=True)
class Later:
    """The connection had its share of checks; the next one is possible at ``at`` (epoch seconds)."""

    at: float


@dataclass(frozen=True)
class Started(Generic[T]):
    value: T


class Throttle:
    def __init__(self, store: Store, *, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.limit, self.window, self.clock = store, limit, window, clock
        self._lock = threading.Lock()
        self._starts: dict[Key, deque[float]] = defaultdict(deque)
        self._buttons: dict[str, float] = {}  # session id → its last exempt button press

    def command(self, conn: Connection, start: Callable[[], T]) -> Busy | Later | Started[T]:
        """Start a new session through ``start`` unless the connection is busy or over its limit."""
        key = key_of(conn.username, conn.consumer_key, conn.login_url)
        with self._lock:  # lookup and start together: 30 simultaneous commands start one session
            active = self.store.active_session(*key)
            if active is not None:
                return Busy(active)
            wait = self._full_until(key)
            if wait is not None:
                return Later(wait)
            value = start()
            self._starts[key].append(self.clock())
            return Started(value)

    def retest(self, sess: dict[str, Any], run: Callable[[], T], *, button: bool,
               ran: Callable[[T], bool] = lambda _: True) -> Later | Started[T]:
        """Call ``run`` (a retest of ``sess``) unless over the limit; a session's first button press passes.

        ``ran`` tells from ``run``'s result whether a diagnosis really started (and so counts).
        """
        key = key_of(sess["username"], sess["consumer_key"], sess["login_url"])
        with self._lock:
            now = self.clock()
            wait = self._full_until(key)
            exempt = button and now - self._buttons.get(sess["id"], float("-inf")) >= self.window
            if wait is not None and not exempt:
                return Later(wait)
            value = run()
            if ran(value):
                self._starts[key].append(now)
                if button and wait is not None:
                    self._buttons[sess["id"]] = now
            return Started(value)

    def allow_watch(self, conn: Connection) -> bool:
        """A watch check is about to spend one login: count it, unless the connection had its share."""
        key = key_of(conn.username, conn.consumer_key, conn.login_url)
        with self._lock:
            if self._full_until(key) is not None:
                return False
            self._starts[key].append(self.clock())
            return True

    def gate_scheduled(self, run_due: Callable[[str], None],
                       reschedule: Callable[[str, float], None]) -> Callable[[str], None]:
        """Wrap the scheduler's callback: a retest over the limit is moved to when it may run."""

        def gated(session_id: str) -> None:
            sess = self.store.session(session_id)
            if sess is None:
                return run_due(session_id)  # the service drops it with its own log line
            outcome = self.retest(sess, lambda: run_due(session_id), button=False)
            if isinstance(outcome, Later):
                log.info("retest of %s deferred by the per-connection limit", session_id)
                reschedule(session_id, outcome.at)

        return gated

    def _full_until(self, key: Key) -> float | None:
        """None if another check may start now, else when the oldest counted one leaves the window."""
        now = self.clock()
        starts = self._starts[key]
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        for sid in [s for s, t in self._buttons.items() if t <= now - self.window]:
            del self._buttons[sid]
        if len(starts) < self.limit:
            if not starts:
                del self._starts[key]  # bounded memory: only connections checked in the last window
            return None
        return starts[0] + self.window


def permalink(channel: str, ts: str, team_domain: str | None) -> str | None:
    """Slack's permalink for a message, built locally (no API call before the ack)."""
    if not team_domain or not ts:
        return None
    return f"https://{team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def busy_text(sess: dict[str, Any], channel: str, team_domain: str | None) -> str:
    """Where the running check of this connection is; no details of a session in another channel."""
    if sess["channel"] != channel:
        return ("A check of this connection is already running in another channel; "
                "try again when it has finished.")
    link = permalink(sess["channel"], sess.get("thread_ts") or "", team_domain)
    if link:
        return f"A check of this connection is already running: follow it in <{link}|its thread>."
    if sess.get("thread_ts"):
        return "A check of this connection is already running: follow it in the thread of its status message here."
    return f"A check of this connection is already starting in <#{sess['channel']}>; its status message appears there."


def later_text(at: float, now: float) -> str:
    when = datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M:%S UTC")
    seconds = max(1, int(at - now + 0.999))
    return (f"This connection was checked {LIMIT} times in the last minute; to spare the customer's Salesforce "
            f"login limits, the next check is possible at {when} (in {seconds} s).")
