"""``aprity-diagnose connections check``: the connections file as deployed, checked without calling anyone.

For each entry: its private key readable and usable, its certificate made from that key and not
expired, its login URL on the allowlist, its channels well formed; for watched entries, that their
alerts can be posted in the alert channel and that no two entries watch the same connection.
One line per problem (never a byte of a key), exit 0 when there is none, 1 otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone

from bot.policy.throttle import key_of
from bot.runtime import EngineSettings
from checks.connections import ConfigError, Connection, load_each
from checks.crypto import keys
from checks.salesforce.hosts import UnsafeURL


def _key_problems(name: str, conn: Connection, settings: EngineSettings, now: datetime) -> list[str]:
    conn = conn.with_default_key(settings.private_key_file)
    if conn.private_key_file is None:
        return [f"{name}: no private key (set private_key_file, APRITY_PRIVATE_KEY or APRITY_PRIVATE_KEY_FILE)"]
    from_env = settings.key_from_env and str(conn.private_key_file) == settings.private_key_file
    shown = "APRITY_PRIVATE_KEY" if from_env else f"private key {conn.private_key_file}"
    try:
        key = keys.read_private_key(conn.private_key_file)
    except keys.KeyProblem as exc:
        return [f"{name}: {shown}: {exc.message}"]
    if conn.certificate_file is None:
        return []
    try:
        cert = keys.read_certificate(conn.certificate_file)
    except keys.KeyProblem as exc:
        return [f"{name}: certificate {conn.certificate_file}: {exc.message}"]
    if not keys.public_key_matches(key, cert):
        return [f"{name}: certificate {conn.certificate_file} was not made from {shown} "
                f"(make one that is: aprity-diagnose certificate --connection {name})"]
    facts = keys.certificate_facts(cert, now)
    if facts.expired:
        return [f"{name}: certificate {conn.certificate_file} expired on {facts.not_after:%Y-%m-%d}"]
    return []


def _watch_problems(name: str, conn: Connection, alert: str | None, staff: frozenset[str]) -> list[str]:
    if not conn.watch or not alert or alert in staff or alert in conn.channels:
        return []
    return [f"{name}: watched, but its alerts may not be posted in the alert channel {alert} "
            "(list that channel in APRITY_STAFF_CHANNELS)"]


def problems(settings: EngineSettings, env: Mapping[str, str] = os.environ,
             now: datetime | None = None) -> tuple[list[str], int]:
    """Every problem found, one line each, and how many entries the file holds."""
    from bot.settings import channel_ids

    now = now or datetime.now(timezone.utc)
    try:
        entries = load_each(settings.connections_file)
    except ConfigError as exc:
        return [str(exc)], 0
    alert = (env.get("APRITY_ALERT_CHANNEL") or env.get("APRITY_SUPPORT_CHANNEL") or "").strip() or None
    try:
        staff = channel_ids("APRITY_STAFF_CHANNELS", env.get("APRITY_STAFF_CHANNELS"))
    except Exception as exc:  # noqa: BLE001 - a SettingsError: say it as one more problem
        return [str(exc)], len(entries)
    found: list[str] = []
    watched: dict[tuple[str, str, str], str] = {}
    for name, conn in entries.items():
        if isinstance(conn, ConfigError):
            found.append(str(conn))
            continue
        try:
            settings.allowlist.login_origin(conn.login_url)
        except UnsafeURL as exc:
            found.append(f"{name}: login_url {exc}")
        found += _key_problems(name, conn, settings, now)
        found += _watch_problems(name, conn, alert, staff)
        if conn.watch:
            same = key_of(conn.username, conn.consumer_key, conn.login_url)  # the throttle's "same connection"
            if same in watched:
                found.append(f"{name}: watches the same connection as {watched[same]} (same username, consumer key "
                             "and login URL); keep watch = true on one of them")
            watched.setdefault(same, name)
    return found, len(entries)


def run(env: Mapping[str, str] = os.environ) -> int:
    settings = EngineSettings.from_env(env)
    found, count = problems(settings, env)
    for line in found:
        print(line)
    if found:
        return 1
    file = settings.connections_file or env.get("APRITY_CONNECTIONS") or "connections.toml"
    print(f"{file}: {count} connection(s), no problem found")
    return 0
