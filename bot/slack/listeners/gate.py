"""What every listener needs before acting: the access rules as of now, the throttle, shared answers.

The connections file is read on each request (it is small, local, and may be edited
while the bot runs), and the rules built from it go to the pure :mod:`bot.policy.access`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.connections import ConfigError, Connection
from checks.connections_cache import load_all  # parsed once per file change: the gate runs before every ack

from bot.policy.access import Decision, Kind, Request, Rules, decide
from bot.settings import Settings
from bot.policy.throttle import Throttle

log = logging.getLogger(__name__)
SHARES_KEPT = 256


@dataclass
class Shares:
    """Explain answers waiting for their "Share in channel" click, in memory and bounded.

    Held: the redacted reading (never the paste), the channel and the requester.
    After a restart the button says to run ``explain`` again.
    """

    _items: OrderedDict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, channel: str, user: str, message: dict[str, Any]) -> str:
        key = uuid.uuid4().hex
        with self._lock:
            self._items[key] = (channel, user, message)
            while len(self._items) > SHARES_KEPT:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> tuple[str, str, dict[str, Any]] | None:
        with self._lock:
            return self._items.get(key)

    def pop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


@dataclass
class Gate:
    settings: Settings
    throttle: Throttle
    shares: Shares = field(default_factory=Shares)
    load: Callable[[str | None], dict[str, Connection]] = load_all

    def connections(self) -> tuple[dict[str, Connection], str | None]:
        """The connections file, or ``({}, why)`` when it cannot be read (staff see why)."""
        try:
            return self.load(self.settings.engine.connections_file), None
        except ConfigError as exc:
            return {}, str(exc)

    def rules(self) -> tuple[Rules, dict[str, Connection], str | None]:
        conns, error = self.connections()
        if error:
            log.warning("connections file unusable; only staff channels are enabled")
        return Rules.of(self.settings.staff_channels, conns), conns, error

    def decide(self, channel: str, user: str, request: Request) -> tuple[Decision, dict[str, Connection], str | None]:
        rules, conns, error = self.rules()
        return decide(channel, user, request, rules), conns, error


def session_request(sess: dict[str, Any]) -> Request:
    """What a stored session asks for when one of its buttons is pressed."""
    name = sess.get("connection_name")
    return Request(Kind.NAMED, name) if name else Request(Kind.ADHOC)


def form_metadata(channel: str, user: str) -> str:
    return json.dumps({"channel": channel, "user": user})


def read_form_metadata(raw: str | None) -> tuple[str, str] | None:
    """(channel, user) the form was opened for, or None for anything else."""
    try:
        data = json.loads(raw or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("channel"), str) or not isinstance(data.get("user"), str):
        return None
    return data["channel"], data["user"]
