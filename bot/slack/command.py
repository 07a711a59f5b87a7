"""Parsing ``/aprity-diagnose`` text and turning it (or the modal) into a Connection.

Pure functions: the listener acks with their error messages, which are one line
and never echo secrets back.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from collections.abc import Mapping

from checks.connections import SECRET_IN_KEY_FIELD, ConfigError, Connection, looks_like_consumer_secret
from checks.connections_cache import load, load_all  # parsed once per file change: acks stay cheap
from checks.model import parse_app_type
from checks.salesforce.hosts import Allowlist, UnsafeURL

from bot.policy.inputs import InputError, check_field, check_text

AD_HOC_KEYS = {"username", "consumer_key", "login_url", "app", "app_type"}


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
    try:  # outside explain, a secret or an invisible character is refused before anything is read
        check_text(raw)
    except InputError as exc:
        raise CommandError(str(exc)) from None
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
                raise CommandError(f"unknown field {key[:40]!r}: use username=, consumer_key=, login_url=, app= "
                                   "and app_type=")
            fields[key] = _field(key, value)
        missing = [k for k in ("username", "consumer_key", "login_url") if not fields.get(k)]
        if missing:
            raise CommandError(f"missing {', '.join(missing)}")
        return Parsed("adhoc", fields=fields)
    if " " in raw:
        raise CommandError("give one connection name, or username=… consumer_key=… login_url=…")
    return Parsed("named", name=_field("name", raw))


def _field(key: str, value: str) -> str:
    if key == "app_type":  # a fixed choice: the words it accepts, or a one-line refusal
        try:
            return str(parse_app_type(value))
        except ValueError as exc:
            raise CommandError(f"{exc}: app_type=eca or app_type=connected_app") from None
    try:
        return check_field(key, value)
    except InputError as exc:
        raise CommandError(str(exc)) from None


def checked_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The form's values through the same checks as the command's (raises CommandError)."""
    return {key: _field(key, value) for key, value in fields.items()}


def connection_for(parsed: Parsed, *, allowlist: Allowlist, connections_file: str | None,
                   private_key_file: str | None, connections: Mapping[str, Connection] | None = None) -> Connection:
    """The Connection to diagnose; refuses unknown names and non-Salesforce URLs before any I/O.

    ``connections``: the file as already loaded by the caller (so one read serves the access check too).
    """
    if parsed.kind == "named":
        assert parsed.name is not None
        try:
            conn = connections[parsed.name] if connections and parsed.name in connections \
                else load(parsed.name, connections_file)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
    elif parsed.kind == "adhoc":
        f = checked_fields(parsed.fields or {})  # the form's fields arrive here unchecked
        try:
            allowlist.login_origin(f["login_url"])
        except UnsafeURL as exc:
            raise CommandError(f"login_url refused: {exc}") from None
        if looks_like_consumer_secret(f["consumer_key"]):
            raise CommandError(SECRET_IN_KEY_FIELD)
        if not private_key_file:
            raise CommandError("ad-hoc checks need aprity's key on the bot (APRITY_PRIVATE_KEY_FILE or APRITY_PRIVATE_KEY)")
        conn = Connection(username=f["username"], consumer_key=f["consumer_key"], login_url=f["login_url"],
                          connected_app=f.get("app") or None, app_type=f.get("app_type") or "unknown")
    else:
        raise CommandError("nothing to diagnose")
    return conn.with_default_key(private_key_file)


def connection_names(connections_file: str | None) -> list[str]:
    """Names for the modal's picker; an unreadable file just means no picker."""
    try:
        return sorted(load_all(connections_file))
    except ConfigError:
        return []
