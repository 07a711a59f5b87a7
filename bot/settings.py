"""Every environment variable the bot reads, read once and validated with a clear message."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.runtime import EngineSettings, SettingsError

DEFAULT_DB = "aprity-diagnose.db"
DEFAULT_RETEST_DELAYS = (120.0, 300.0, 600.0)
DEFAULT_RETENTION_DAYS = 90
DEFAULT_WATCH_INTERVAL = 21600  # seconds between checks of a watched connection (6 hours)
DEFAULT_SHUTDOWN_GRACE = 20.0  # runs in flight get this long at SIGTERM; Heroku kills at 30 s
DEFAULT_LEASE = 30.0  # a claim without a heartbeat for this long is another process's to take
DEFAULT_POLL_INTERVAL = 5.0  # seconds between polls of SQLite for due and abandoned work
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SHARED_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")  # public or private channel; never a DM
T = TypeVar("T")


def channel_ids(name: str, value: str | None) -> frozenset[str]:
    """Comma-separated ``C…``/``G…`` ids; empty means none (deny by default)."""
    ids = [v.strip() for v in (value or "").split(",") if v.strip()]
    bad = [v for v in ids if not _SHARED_CHANNEL.match(v)]
    if bad:
        raise SettingsError(f"{name} must be comma-separated channel ids such as C0123ABCD,G0456EFGH "
                            f"(got {bad[0][:40]!r})")
    return frozenset(ids)


def _floats(name: str, value: str | None, default: tuple[float, ...]) -> tuple[float, ...]:
    if value is None or not value.strip():
        return default
    try:
        delays = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated seconds, e.g. 120,300,600 (got {value!r})") from None
    if not delays or any(d <= 0 for d in delays) or list(delays) != sorted(delays):
        raise SettingsError(f"{name} must be positive seconds in increasing order (got {value!r})")
    return delays


def _seconds(name: str, value: str | None, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be seconds, e.g. {default:g} (got {value!r})") from None
    if not 0 <= seconds < float("inf"):
        raise SettingsError(f"{name} must be zero or more seconds (got {value!r})")
    return seconds


def _positive_int(name: str, value: str | None, default: int) -> int:
    if value is None or not value.strip():
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a positive whole number (got {value!r})")
    return int(value)


def _port(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"{name} must be a TCP port between 1 and 65535 (got {value[:20]!r})")
    return int(value)


# Folders whose content does not outlive a restart or a redeploy (docs/operations.md, "The database's place").
_TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm", "/run")


def _on_root_filesystem(folder: Path) -> bool:
    """True when ``folder`` sits on the same filesystem as ``/``: in a container, that is no volume."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return folder.stat().st_dev == Path("/").stat().st_dev
    except OSError:
        return False


def in_container() -> bool:
    return Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()


def ephemeral_db(env: Mapping[str, str] = os.environ, *, container: bool | None = None) -> str | None:
    """Why the database's place will not survive the platform, as one line, or None when nothing says so.

    Read at start-up by the production processes (gunicorn, Socket Mode). The reasons are the
    list in docs/operations.md: unset (a file in the working directory), a relative path, a temporary folder,
    Heroku's dyno filesystem, a container's own filesystem (no volume mounted there)."""
    value = (env.get("APRITY_DB") or "").strip()
    lost = "sessions, retest plans and 30-day stats are lost at the next deploy"
    if not value:
        return (f"APRITY_DB is not set: the database is ./{DEFAULT_DB} in the working directory; set it to a "
                f"file on a persistent disk or volume, or {lost}")
    path = Path(value)
    if not path.is_absolute():
        return f"APRITY_DB is a relative path ({value}): set an absolute path on a persistent disk or volume, or {lost}"
    where = str(path.resolve(strict=False))
    if any(where == t or where.startswith(t + "/") for t in _TEMPORARY):
        return f"APRITY_DB is in a temporary folder ({value}): {lost}"
    if env.get("DYNO"):
        return f"APRITY_DB is on Heroku's dyno filesystem ({value}), wiped at every deploy and daily restart: {lost}"
    if (in_container() if container is None else container) and _on_root_filesystem(path.parent):
        return f"APRITY_DB is on the container's own filesystem ({value}), not on a volume: {lost}"
    return None


@dataclass(frozen=True)
class Settings:
    bot_token: str
    app_token: str | None
    signing_secret: str | None
    api_url: str | None
    db_path: str
    support_channel: str
    retest_delays: tuple[float, ...]
    max_runs: int
    post_interval: float
    engine: EngineSettings
    # Where aprity's staff may diagnose every connection, ad hoc and explain (see bot.policy.access).
    staff_channels: frozenset[str] = frozenset()
    retention_days: int = DEFAULT_RETENTION_DAYS
    watch_interval: int = DEFAULT_WATCH_INTERVAL
    alert_channel: str = ""  # empty: the support channel
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    health_port: int | None = None  # Socket Mode: serve GET /healthz on this port (HTTP mode serves it anyway)
    lease: float = DEFAULT_LEASE
    poll_interval: float = DEFAULT_POLL_INTERVAL

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, mode: str = "http") -> "Settings":
        """``mode`` is ``socket`` or ``http``: each needs its own Slack secret.

        Every problem is collected first, so one line names all missing settings at once.
        """
        missing: list[str] = []
        problems: list[str] = []

        def need(name: str, hint: str) -> str:
            value = (env.get(name) or "").strip()
            if not value:
                missing.append(f"{name} ({hint})")
            return value

        def valid(read: Callable[[], T], fallback: T) -> T:
            try:
                return read()
            except SettingsError as exc:
                problems.append(str(exc))
                return fallback

        bot_token = need("SLACK_BOT_TOKEN", "the Bot User OAuth Token, xoxb-…, from the Slack app's OAuth page")
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        app_token = signing_secret = None
        if mode == "socket":
            app_token = need("SLACK_APP_TOKEN", "an app-level token, xapp-…, with connections:write, for Socket Mode")
            if app_token and not app_token.startswith("xapp-"):
                problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        else:
            signing_secret = need("SLACK_SIGNING_SECRET", "the Signing Secret from the Slack app's Basic Information")
        support = need("APRITY_SUPPORT_CHANNEL", "the channel id, C…, where escalations are posted")
        if support and not _CHANNEL.match(support):
            problems.append(f"APRITY_SUPPORT_CHANNEL must be a channel id such as C0123ABCD (got {support!r})")
        api_url = (env.get("SLACK_API_URL") or "").strip() or None
        if api_url and not api_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            problems.append("SLACK_API_URL must be an https URL (or a loopback URL for tests)")
        interval = valid(lambda: _seconds("APRITY_POST_INTERVAL", env.get("APRITY_POST_INTERVAL"), 1.0), 1.0)
        grace = valid(lambda: _seconds("APRITY_SHUTDOWN_GRACE", env.get("APRITY_SHUTDOWN_GRACE"),
                                       DEFAULT_SHUTDOWN_GRACE), DEFAULT_SHUTDOWN_GRACE)
        delays = valid(lambda: _floats("APRITY_RETEST_DELAYS", env.get("APRITY_RETEST_DELAYS"),
                                       DEFAULT_RETEST_DELAYS), DEFAULT_RETEST_DELAYS)
        max_runs = valid(lambda: _positive_int("APRITY_MAX_RUNS", env.get("APRITY_MAX_RUNS"), 4), 4)
        staff = valid(lambda: channel_ids("APRITY_STAFF_CHANNELS", env.get("APRITY_STAFF_CHANNELS")), frozenset())
        retention = valid(lambda: _positive_int("APRITY_RETENTION_DAYS", env.get("APRITY_RETENTION_DAYS"),
                                                DEFAULT_RETENTION_DAYS), DEFAULT_RETENTION_DAYS)
        watch_interval = valid(lambda: _positive_int("APRITY_WATCH_INTERVAL", env.get("APRITY_WATCH_INTERVAL"),
                                                     DEFAULT_WATCH_INTERVAL), DEFAULT_WATCH_INTERVAL)
        alert = (env.get("APRITY_ALERT_CHANNEL") or "").strip() or support
        if alert and not _CHANNEL.match(alert):
            problems.append(f"APRITY_ALERT_CHANNEL must be a channel id such as C0123ABCD (got {alert!r})")
        health_port = valid(lambda: _port("APRITY_HEALTH_PORT", env.get("APRITY_HEALTH_PORT")), None)
        lease = valid(lambda: _seconds("APRITY_LEASE", env.get("APRITY_LEASE"), DEFAULT_LEASE), DEFAULT_LEASE)
        poll = valid(lambda: _seconds("APRITY_POLL_INTERVAL", env.get("APRITY_POLL_INTERVAL"), DEFAULT_POLL_INTERVAL),
                     DEFAULT_POLL_INTERVAL)
        if lease < 1 or poll <= 0 or poll >= lease:
            problems.append(f"APRITY_POLL_INTERVAL must be more than 0 and less than APRITY_LEASE, itself at least "
                            f"1 s (got {poll:g} and {lease:g})")
        engine = valid(lambda: EngineSettings.from_env(env), None)
        if missing or problems:
            head = [f"missing {', '.join(missing)}"] if missing else []
            raise SettingsError("; ".join(head + problems))
        assert engine is not None
        return cls(
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=signing_secret,
            api_url=api_url,
            db_path=env.get("APRITY_DB") or DEFAULT_DB,
            support_channel=support,
            retest_delays=delays,
            max_runs=max_runs,
            post_interval=interval,
            engine=engine,
            staff_channels=staff,
            retention_days=retention,
            watch_interval=watch_interval,
            alert_channel=alert,
            shutdown_grace=grace,
            health_port=health_port,
            lease=lease,
            poll_interval=poll,
        )
