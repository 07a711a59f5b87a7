"""Who may diagnose what, and where: one pure decision, asked before anything else.

Deny by default. A channel is one of three kinds:

- a *staff* channel (``APRITY_STAFF_CHANNELS``): every named connection, ad-hoc
  checks, ``explain`` and the form;
- a *bound* channel (listed in some connection's ``channels``, typically a customer's
  shared channel): only the connections that list it, by name; ``explain`` (its answer
  is ephemeral and reads text only) and the form restricted to those names; no ad hoc;
- any other channel: nothing, with a refusal that names no connection and no org.

The functions here do no I/O: listeners load the connections file and pass what it
binds; tests drive :func:`decide` with tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from checks.connections import Connection


class Kind(StrEnum):
    """What a request asks for."""

    NAMED = "named"      # one connection from the file, by name
    ADHOC = "adhoc"      # fields typed in: signs with aprity's key for any username
    EXPLAIN = "explain"  # read a pasted error; no Salesforce call
    FORM = "form"        # open the modal, or read the help


class Scope(StrEnum):
    STAFF = "staff"
    BOUND = "bound"
    NONE = "none"


class Refusal(StrEnum):
    NOT_ENABLED = "not_enabled"        # nothing is enabled in this channel
    NO_USER = "no_user"                # a request without a user id cannot be attributed
    ADHOC_STAFF_ONLY = "adhoc_staff_only"
    UNKNOWN_HERE = "unknown_here"      # no such connection among those usable here


@dataclass(frozen=True)
class Rules:
    """``staff_channels`` from the settings; ``bindings``: every connection name → its ``channels``."""

    staff_channels: frozenset[str] = frozenset()
    bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, staff_channels: Iterable[str], connections: Mapping[str, Connection]) -> "Rules":
        return cls(frozenset(staff_channels), {name: tuple(c.channels) for name, c in connections.items()})

    @property
    def enabled_anywhere(self) -> bool:
        return bool(self.staff_channels) or any(self.bindings.values())


@dataclass(frozen=True)
class Request:
    kind: Kind
    name: str | None = None  # for NAMED


@dataclass(frozen=True)
class Decision:
    allowed: bool
    scope: Scope
    refusal: Refusal | None = None
    names: tuple[str, ...] = ()  # connection names usable in this channel (for "unknown" and the form)

    @property
    def adhoc_allowed(self) -> bool:
        return self.scope is Scope.STAFF


def scope_of(channel: str, rules: Rules) -> Scope:
    if channel and channel in rules.staff_channels:
        return Scope.STAFF
    if channel and any(channel in chans for chans in rules.bindings.values()):
        return Scope.BOUND
    return Scope.NONE


def usable_names(channel: str, rules: Rules) -> tuple[str, ...]:
    """Names that may be diagnosed in ``channel``, sorted; none outside staff and bound channels."""
    scope = scope_of(channel, rules)
    if scope is Scope.STAFF:
        return tuple(sorted(rules.bindings))
    if scope is Scope.BOUND:
        return tuple(sorted(n for n, chans in rules.bindings.items() if channel in chans))
    return ()


def shows(channel: str, name: str, rules: Rules) -> bool:
    """May the bot post about connection ``name`` in ``channel`` unasked (watch alerts, certificate
    warnings)? The rule of a command for it there: a staff channel, or one the connection is bound to."""
    return name in usable_names(channel, rules)


def viewer_scope(user_channels: Iterable[str], rules: Rules) -> frozenset[str] | None:
    """What a person (the App Home, which has no channel) may see, from the channels they are in:
    None — everything — for a member of a staff channel; else only those channels, and so the
    connections bound to them. Staff are the same channels as for commands, nothing more."""
    mine = frozenset(user_channels)
    return None if mine & rules.staff_channels else mine


def decide(channel: str, user: str, request: Request, rules: Rules) -> Decision:
    """May ``user`` in ``channel`` have ``request``? The reason comes with a refusal."""
    scope = scope_of(channel, rules)
    if scope is Scope.NONE:
        return Decision(False, scope, Refusal.NOT_ENABLED)
    if not user:
        return Decision(False, scope, Refusal.NO_USER)
    names = usable_names(channel, rules)
    if request.kind is Kind.ADHOC and scope is not Scope.STAFF:
        return Decision(False, scope, Refusal.ADHOC_STAFF_ONLY, names)
    if request.kind is Kind.NAMED and request.name not in names:
        return Decision(False, scope, Refusal.UNKNOWN_HERE, names)
    return Decision(True, scope, None, names)


NOT_ENABLED_TEXT = ("aprity-diagnose is not enabled in this channel. To use it here, ask aprity support "
                    "(the team that runs this bot) to enable this channel for your connection.")
_LISTED = 30  # names shown after "unknown connection"; the form lists them all


def refusal_text(decision: Decision, request: Request, *, shown_name: str = "") -> str:
    """One line for the requester; names only connections usable in this channel."""
    if decision.refusal is Refusal.NOT_ENABLED:
        return NOT_ENABLED_TEXT
    if decision.refusal is Refusal.NO_USER:
        return "This request carries no Slack user, so it cannot be attributed; nothing was done."
    if decision.refusal is Refusal.ADHOC_STAFF_ONLY:
        return ("Checks described field by field are for aprity support channels only. "
                "Here, use a saved connection by name" + (": " + _list(decision.names) if decision.names else "")
                + ".")
    if decision.refusal is Refusal.UNKNOWN_HERE:
        known = _list(decision.names) if decision.names else "none"
        return f"unknown connection {shown_name or '(name)'} (usable in this channel: {known})"
    return ""


def _list(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def startup_hint(rules: Rules) -> str | None:
    """The start-up log line when the bot would answer nowhere, saying how to enable it."""
    if rules.enabled_anywhere:
        return None
    return ("aprity-diagnose is enabled in no channel and will refuse every command: set "
            "APRITY_STAFF_CHANNELS=C0123ABCD (aprity's support channels, comma-separated) and/or add "
            "channels = [\"C0123ABCD\"] to a connection in the connections file")
