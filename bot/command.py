"""Parsing ``/aprity-diagnose`` text and turning it (or the modal) into a Connection.

Pure functions: the listener acks with their error messages, which are one line
and never echo secrets back.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from checks.connections import SECRET_IN_KEY_FIELD, ConfigError, Connection, looks_like_consumer_secret
from checks.connections_cache import load, load_all  # parsed once per file change: acks stay cheap
from checks.hosts import Allowlist, UnsafeURL

AD_HOC_KEYS = {"username", "consumer_key", "login_url", "app"}


class CommandError(Exception):
    """The command text cannot be used; the message says why."""


@dataclass(frozen=True)
class Parsed:
    kind: str  # "modal" | "help" | "explain" | "named" | "adhoc"
    name: str | None = None
    fields: dict[str, str] | None = None
    text: str = ""


def parse(text: str) -> Parsed:
    raw = (text or "").strip()
    if not raw:
        return Parsed("modal")
    head, _, rest = raw.partition(" ")
    if head.lower() in ("help", "-h", "--help", "?"):
        return Parsed("help")
    if head.lower() == "explain":
        if not rest.strip():
            raise CommandError("paste the error after `explain`, e.g. `/aprity-diagnose explain {\"error\": …}`")
        return Parsed("explain", text=rest.strip())
    if "=" in raw:
        try:
            tokens = shlex.split(raw)
        except ValueError as exc:
            raise CommandError(f"could not read the fields ({exc}); quote values with spaces") from None
        fields: dict[str, str] = {}
        for token in tokens:
            key, sep, value = token.partition("=")
            key = key.strip().lower().replace("-", "_")
            if not sep or key not in AD_HOC_KEYS:
                raise CommandError(f"unknown field {key[:40]!r}: use username=, consumer_key=, login_url= and app=")
            fields[key] = value.strip()
        missing = [k for k in ("username", "consumer_key", "login_url") if not fields.get(k)]
        if missing:
            raise CommandError(f"missing {', '.join(missing)}")
        return Parsed("adhoc", fields=fields)
    if " " in raw:
        raise CommandError("give one connection name, or username=… consumer_key=… login_url=…")
    return Parsed("named", name=raw)


def connection_for(parsed: Parsed, *, allowlist: Allowlist, connections_file: str | None,
                   private_key_file: str | None) -> Connection:
    """The Connection to diagnose; refuses unknown names and non-Salesforce URLs before any I/O."""
    if parsed.kind == "named":
        assert parsed.name is not None
        try:
            conn = load(parsed.name, connections_file)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
    elif parsed.kind == "adhoc":
        f = parsed.fields or {}
        try:
            allowlist.login_origin(f["login_url"])
        except UnsafeURL as exc:
            raise CommandError(f"login_url refused: {exc}") from None
        if looks_like_consumer_secret(f["consumer_key"]):
            raise CommandError(SECRET_IN_KEY_FIELD)
        if not private_key_file:
            raise CommandError("ad-hoc checks need APRITY_PRIVATE_KEY_FILE set on the bot")
        conn = Connection(username=f["username"], consumer_key=f["consumer_key"], login_url=f["login_url"],
                          connected_app=f.get("app") or None)
    else:
        raise CommandError("nothing to diagnose")
    return conn.with_default_key(private_key_file)


def connection_names(connections_file: str | None) -> list[str]:
    """Names for the modal's picker; an unreadable file just means no picker."""
    try:
        return sorted(load_all(connections_file))
    except ConfigError:
        return []
