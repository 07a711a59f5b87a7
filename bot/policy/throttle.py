"""One run per connection at a time, and a handful per minute, whatever starts the run.

Every diagnosis spends one of the customer's Salesforce logins. Every path that starts a
run — a command, the form, "I fixed it" / "Check again", a scheduled retest, a watch check
— asks this one rule first. A connection (same username, consumer key and login URL,
compared normalised: case, default port, trailing slash) with a run queued or running is
pointed to that run instead of starting a second token exchange, and at most ``limit``
diagnoses per connection start in any rolling ``window`` (a diagnosis with its probes
counts once). The support engineer's first "I fixed it" after a run is never refused:
one such press per connection per window passes whatever the count (per connection, so
six old sessions cannot each spend one).

Everything here is local (a lock, one indexed SQLite read, a deque): it runs before the
ack. "Busy" is read from SQLite's busy flag through a partial index that holds only the
busy sessions, so the lock is never held over a scan of the session log. Windows are
counted on a monotonic clock (a wall clock stepped back an hour must not refuse a
connection for an hour); times shown to people are converted back to the wall clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from checks.connections import Connection

log = logging.getLogger(__name__)
T = TypeVar("T")
Key = tuple[str, str, str]
LIMIT, WINDOW = 6, 60.0
RETRY = 60.0  # seconds: a scheduled run refused because the connection is busy tries again this much later
_DEFAULT_PORTS = {"https": 443, "http": 80}


class Store(Protocol):
    """What the throttle reads of :class:`bot.store.db.Store`."""

    def busy_sessions(self) -> list[dict[str, Any]]: ...
    def session(self, session_id: str) -> dict[str, Any] | None: ...


def normal_url(login_url: str) -> str:
    """A login URL as one key: lower case, no default port, no trailing slash."""
    raw = login_url.strip().rstrip("/").lower()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return raw
    if not parts.scheme or not parts.hostname:
        return raw
    host = parts.hostname if port in (None, _DEFAULT_PORTS.get(parts.scheme)) else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"


def key_of(username: str, consumer_key: str, login_url: str) -> Key:
    """Salesforce usernames ignore case; a default port or a trailing slash does not make another login URL."""
    return username.strip().lower(), consumer_key.strip(), normal_url(login_url)


def session_key(sess: dict[str, Any]) -> Key:
    return key_of(sess["username"], sess["consumer_key"], sess["login_url"])


@dataclass(frozen=True)
class Busy:
    """A run of this connection is queued or running: a session's, or (``session`` None) a watch check's."""

    session: dict[str, Any] | None


@dataclass(frozen=True)
class Later:
    """The connection had its share of checks; the next one is possible at ``at`` (wall clock, epoch seconds)."""

    at: float


@dataclass(frozen=True)
class Started(Generic[T]):
    value: T


class Throttle:
    def __init__(self, store: Store, *, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self.limit, self.window = store, limit, window
        self.clock, self.monotonic = clock, monotonic
        self._lock = threading.Lock()
        self._starts: dict[Key, deque[float]] = defaultdict(deque)  # monotonic start times per connection
        self._pressed: dict[Key, float] = {}  # connection → its last exempt button press (monotonic)
        self._watching: dict[Key, int] = {}  # connections a watch check is running for (no session)

    def command(self, conn: Connection, start: Callable[[], T]) -> Busy | Later | Started[T]:
        """Start a new session through ``start`` unless the connection is busy or over its limit."""
        key = key_of(conn.username, conn.consumer_key, conn.login_url)
        with self._lock:  # lookup and start together: 30 simultaneous commands start one session
            busy = self._busy(key)
            if busy is not None:
                return busy
            wait = self._full_until(key)
            if wait is not None:
                return Later(wait)
            value = start()
            self._starts[key].append(self.monotonic())
            return Started(value)

    def retest(self, sess: dict[str, Any], run: Callable[[], T], *, button: bool,
               ran: Callable[[T], bool] = lambda _: True) -> Busy | Later | Started[T]:
        """Call ``run`` (a retest of ``sess``) unless its connection is busy or over the limit.

        A button press passes the limit once per connection per window ("the first press after a
        run is never refused"); never a busy connection. ``ran`` tells from ``run``'s result whether
        a diagnosis really started (and so counts).
        """
        key = session_key(sess)
        with self._lock:
            busy = self._busy(key)
            if busy is not None:
                return busy
            now = self.monotonic()
            wait = self._full_until(key)
            exempt = button and now - self._pressed.get(key, float("-inf")) >= self.window
            if wait is not None and not exempt:
                return Later(wait)
            value = run()
            if ran(value):
                self._starts[key].append(now)
                if button and wait is not None:
                    self._pressed[key] = now
            return Started(value)

    def allow_watch(self, conn: Connection) -> bool:
        """A watch check is about to spend one login: count it and hold the connection until
        :meth:`watch_done`, unless the connection is busy or had its share."""
        key = key_of(conn.username, conn.consumer_key, conn.login_url)
        with self._lock:
            if self._busy(key) is not None or self._full_until(key) is not None:
                return False
            self._starts[key].append(self.monotonic())
            self._watching[key] = self._watching.get(key, 0) + 1
            return True

    def watch_done(self, conn: Connection) -> None:
        """The watch check allowed by :meth:`allow_watch` is over: the connection is free again."""
        key = key_of(conn.username, conn.consumer_key, conn.login_url)
        with self._lock:
            left = self._watching.get(key, 0) - 1
            if left > 0:
                self._watching[key] = left
            else:
                self._watching.pop(key, None)

    def gate_scheduled(self, run_due: Callable[[str], None],
                       reschedule: Callable[[str, float], None]) -> Callable[[str], None]:
        """Wrap the scheduler's callback: a retest over the limit is moved to when it may run, one
        whose connection is busy (another session's run, a watch check) to a minute later."""

        def gated(session_id: str) -> None:
            sess = self.store.session(session_id)
            if sess is None:
                return run_due(session_id)  # the service drops it with its own log line
            outcome = self.retest(sess, lambda: run_due(session_id), button=False)
            if isinstance(outcome, Later):
                log.info("retest of %s deferred by the per-connection limit", session_id)
                reschedule(session_id, outcome.at)
            elif isinstance(outcome, Busy):
                if outcome.session is not None and outcome.session["id"] == session_id:
                    return run_due(session_id)  # its own run: the service skips it and plans it after that run
                log.info("retest of %s deferred: its connection has a run going", session_id)
                reschedule(session_id, self.clock() + RETRY)

        return gated

    def _busy(self, key: Key) -> Busy | None:
        if self._watching.get(key):
            return Busy(None)
        for sess in self.store.busy_sessions():  # newest first, read through the busy-only index
            if session_key(sess) == key:
                return Busy(sess)
        return None

    def _full_until(self, key: Key) -> float | None:
        """None if another check may start now, else when (wall clock) the oldest counted one leaves the window."""
        now = self.monotonic()
        starts = self._starts[key]
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        for k in [k for k, t in self._pressed.items() if t <= now - self.window]:
            del self._pressed[k]
        if len(starts) < self.limit:
            if not starts:
                del self._starts[key]  # bounded memory: only connections checked in the last window
            return None
        return self.clock() + (starts[0] + self.window - now)


def permalink(channel: str, ts: str, team_domain: str | None) -> str | None:
    """Slack's permalink for a message, built locally (no API call before the ack)."""
    if not team_domain or not ts:
        return None
    return f"https://{team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def busy_text(sess: dict[str, Any] | None, channel: str, team_domain: str | None) -> str:
    """Where the running check of this connection is; no details of a session in another channel."""
    if sess is None:
        return "An automatic check of this connection is running right now; try again in a minute."
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
