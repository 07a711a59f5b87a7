"""The connections file: named Salesforce JWT connections in TOML.

Errors are :class:`ConfigError` with one line a user can act on; the CLI turns
them into exit code 2 and the Slack layer into an ephemeral reply.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from checks.salesforce.hosts import environment_of
from checks.model import ConnectionSummary, parse_app_type

DEFAULT_FILE = "connections.toml"
REQUIRED = ("username", "login_url", "consumer_key")
STRINGS = {"private_key_file", "certificate_file", "connected_app", "org_id", "app_type"}
KNOWN = set(REQUIRED) | STRINGS | {"channels"}
FLAGS = {"watch"}  # booleans, unlike every other field
# Slack channel ids (public C…, private G…) that may diagnose a connection: see ``channels``.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A configuration problem explained in one line."""


# Consumer secrets are 64 hexadecimal characters; consumer keys start 3MVG9. A secret pasted
# into the key field must be refused without ever being printed.
_SECRET_SHAPE = re.compile(r"^[0-9A-Fa-f]{64}$")


def looks_like_consumer_secret(value: str) -> bool:
    return bool(_SECRET_SHAPE.match(value.strip()))


SECRET_IN_KEY_FIELD = ("the consumer key looks like a consumer secret (64 hex characters); aprity needs the "
                       "Consumer Key (starts 3MVG9), and the secret should be rotated if it was shared")


@dataclass(frozen=True)
class Connection:
    username: str
    login_url: str
    consumer_key: str
    name: str | None = None
    private_key_file: Path | None = None
    certificate_file: Path | None = None
    connected_app: str | None = None
    org_id: str | None = None
    # Slack channels bound to this connection (a customer's shared channel); empty: staff channels only.
    channels: tuple[str, ...] = ()
    watch: bool = False  # checked on a schedule by the bot (bot/watch/watcher.py)
    # "external_client_app" | "connected_app" | "unknown": what the connection says its app is.
    app_type: str = "unknown"
    # What earlier runs proved (remembered by the bot, never typed): the app's kind, the org's My Domain.
    known_app_type: str | None = None
    known_my_domain: str | None = None

    def summary(self) -> ConnectionSummary:
        return ConnectionSummary(
            name=self.name,
            username=self.username,
            login_url=self.login_url,
            consumer_key=self.consumer_key,
            environment=environment_of(self.login_url),
            connected_app=self.connected_app,
            org_id=self.org_id,
            app_type=self.app_type,
        )

    def with_default_key(self, key_file: str | os.PathLike[str] | None) -> "Connection":
        """Fill ``private_key_file`` from ``APRITY_PRIVATE_KEY_FILE`` when the entry has none."""
        if self.private_key_file is not None or not key_file:
            return self
        return replace(self, private_key_file=Path(key_file))


def load_all(path: str | os.PathLike[str] | None = None) -> dict[str, Connection]:
    """Read every connection of a TOML file; relative paths resolve against its folder."""
    file, table = _table(path)
    return {name: _build(name, entry, file.parent) for name, entry in table.items()}


def load_each(path: str | os.PathLike[str] | None = None) -> dict[str, Connection | ConfigError]:
    """Every entry on its own, a bad one as its :class:`ConfigError` (``connections check`` lists them all);
    a file that cannot be read at all still raises."""
    file, table = _table(path)
    found: dict[str, Connection | ConfigError] = {}
    for name, entry in table.items():
        try:
            found[name] = _build(name, entry, file.parent)
        except ConfigError as exc:
            found[name] = exc
    return found


def _table(path: str | os.PathLike[str] | None) -> tuple[Path, dict[str, object]]:
    file = Path(path or os.environ.get("APRITY_CONNECTIONS") or DEFAULT_FILE)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"connections file not found: {file} (set APRITY_CONNECTIONS)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read connections file {file}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"connections file {file} is not valid TOML: {exc}") from None
    table = data.get("connections")
    if not isinstance(table, dict):
        raise ConfigError(f"connections file {file} has no [connections.NAME] tables")
    return file, table


def load(name: str, path: str | os.PathLike[str] | None = None) -> Connection:
    return pick(name, load_all(path))


def pick(name: str, connections: dict[str, Connection]) -> Connection:
    """The entry called ``name``, or a ConfigError listing the known names."""
    if name not in connections:
        known = ", ".join(sorted(connections)) or "none"
        raise ConfigError(f"unknown connection {name!r} (known: {known})")
    return connections[name]


def _build(name: str, entry: object, folder: Path) -> Connection:
    if not isinstance(entry, dict):
        raise ConfigError(f"connection {name!r} must be a table")
    missing = [k for k in REQUIRED if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        raise ConfigError(f"connection {name!r} is missing {', '.join(missing)}")
    if looks_like_consumer_secret(entry["consumer_key"]):
        raise ConfigError(f"connection {name!r}: {SECRET_IN_KEY_FIELD}")
    unknown = sorted(set(entry) - KNOWN - FLAGS)
    if unknown:
        raise ConfigError(f"connection {name!r} has unknown field(s): {', '.join(unknown)}")
    for key in STRINGS:
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError(f"connection {name!r}: {key} must be a string")
    for key in FLAGS:
        if key in entry and not isinstance(entry[key], bool):
            raise ConfigError(f"connection {name!r}: {key} must be true or false")

    def path_of(key: str) -> Path | None:
        value = entry.get(key)
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else folder / p

    return Connection(
        name=name,
        username=entry["username"].strip(),
        login_url=entry["login_url"].strip(),
        consumer_key=entry["consumer_key"].strip(),
        private_key_file=path_of("private_key_file"),
        certificate_file=path_of("certificate_file"),
        connected_app=entry.get("connected_app") or None,
        org_id=entry.get("org_id") or None,
        channels=_channels(name, entry.get("channels", [])),
        watch=bool(entry.get("watch", False)),
        app_type=_app_type(name, entry.get("app_type")),
    )


def _app_type(name: str, value: object) -> str:
    try:
        return str(parse_app_type(value if isinstance(value, str) else None))
    except ValueError as exc:
        raise ConfigError(f"connection {name!r}: {exc}") from None


def _channels(name: str, value: object) -> tuple[str, ...]:
    """``channels = ["C0ACME", …]``: Slack channel ids, checked so a typo cannot silently bind nothing."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"connection {name!r}: channels must be a list of channel ids, e.g. [\"C0ACME\"]")
    bad = [v for v in value if not _CHANNEL_ID.match(v.strip())]
    if bad:
        raise ConfigError(f"connection {name!r}: channels must hold channel ids such as C0123ABCD "
                          f"(got {bad[0][:40]!r})")
    return tuple(dict.fromkeys(v.strip() for v in value))
