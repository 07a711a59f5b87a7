"""What the simulated Salesforce knows: orgs, their users and Connected Apps.

Edits made through :class:`World.schedule` become visible only once the
simulator's clock reaches their effective time, the way Connected App changes
take minutes to spread across Salesforce. The objects handed to
:meth:`World.add_org` stay the base truth; request handlers read an effective
copy built at request time and never mutate anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

LOGIN_HOST = "login.salesforce.com"
TEST_HOST = "test.salesforce.com"
LOGIN_URL = f"https://{LOGIN_HOST}"
TEST_URL = f"https://{TEST_HOST}"


@dataclass
class SimUser:
    username: str
    user_id: str  # 18 chars, starts 005
    profile: str = "Integration"
    permission_sets: frozenset[str] = frozenset()
    active: bool = True
    frozen: bool = False  # answers like an inactive user
    login_ip_ranges: tuple[str, ...] = ()  # profile CIDRs; empty = unrestricted
    login_hours_blocked: bool = False
    modify_metadata: bool = True  # ModifyMetadata or ModifyAllData
    api_enabled: bool = True  # the "API Enabled" user permission
    approved_apps: frozenset[str] = frozenset()  # consumer keys self-approved with refresh_token
    display_name: str = "Integration User"


@dataclass
class ConnectedApp:
    name: str
    consumer_key: str
    certificate_pem: bytes | None  # X.509 PEM whose public key verifies the RS256 signature
    oauth_enabled: bool = True
    digital_signatures: bool = True
    scopes: frozenset[str] = frozenset({"api", "refresh_token", "id", "web"})
    permitted_users: str = "admin_approved"  # or "self_authorize"
    profiles: frozenset[str] = frozenset()
    permission_sets: frozenset[str] = frozenset()
    # An External Client App: reached only through the org's My Domain (login/test answer app_not_found),
    # and there ``digital_signatures`` stands for "Enable JWT Bearer Flow" with its certificate.
    external_client_app: bool = False
    unapproved_error: str = "not_approved"  # or "invalid_app_access"

    @classmethod
    def eca(cls, name: str, consumer_key: str, certificate_pem: bytes | None, **fields: Any) -> "ConnectedApp":
        """An External Client App as Setup creates it: admin-approved and closed (no profile, no permission set)."""
        base = cls(name=name, consumer_key=consumer_key, certificate_pem=certificate_pem, external_client_app=True,
                   permitted_users="admin_approved", profiles=frozenset(), permission_sets=frozenset())
        return replace(base, **fields)


@dataclass
class Org:
    org_id: str  # 18 chars, starts 00D
    name: str
    my_domain: str  # "acme" or, for a sandbox, "acme--uat"
    is_sandbox: bool = False
    active: bool = True
    organization_type: str = "Enterprise Edition"
    instance_name: str = "NA224"
    users: list[SimUser] = field(default_factory=list)
    apps: list[ConnectedApp] = field(default_factory=list)
    unknown_user_error: str = "not_approved"  # or "invalid_assertion"
    login_rate_limit: int = 3600  # logins per user per rolling hour

    @property
    def host(self) -> str:
        """My Domain login host; a dotted name ("x.develop") keeps its own sub-zone."""
        name = self.my_domain.strip().lower()
        if "." in name:
            return f"{name}.my.salesforce.com"
        zone = "sandbox.my.salesforce.com" if self.is_sandbox else "my.salesforce.com"
        return f"{name}.{zone}"

    @property
    def instance_url(self) -> str:
        return f"https://{self.host}"

    @property
    def generic_host(self) -> str:
        """login.salesforce.com for production, test.salesforce.com for sandboxes."""
        return TEST_HOST if self.is_sandbox else LOGIN_HOST

    def user(self, username: str) -> SimUser | None:
        """Case-insensitive username lookup, as Salesforce does for ``sub``."""
        wanted = username.strip().lower()
        return next((u for u in self.users if u.username.lower() == wanted), None)

    def user_by_id(self, user_id: str) -> SimUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)


T = TypeVar("T", SimUser, ConnectedApp)


@dataclass(frozen=True)
class _Change:
    target: object  # the base SimUser / ConnectedApp, compared by identity
    fields: dict[str, Any]
    effective_at: float


def _coerce(obj: object, name: str, value: Any) -> Any:
    # Callers naturally pass {"api"} or ["a", "b"]; keep the declared frozenset/tuple
    # types so effective copies compare and hash like the originals.
    current = getattr(obj, name)
    if isinstance(current, frozenset) and isinstance(value, (set, list, tuple)):
        return frozenset(value)
    if isinstance(current, tuple) and isinstance(value, (list, set)):
        return tuple(value)
    return value


def check_fields(obj: object, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate edit fields against the dataclass; unknown names are a TypeError."""
    known = {f.name for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s): {', '.join(unknown)}")
    return {name: _coerce(obj, name, value) for name, value in fields.items()}


def _check_id(value: str, prefix: str, what: str) -> None:
    if len(value) != 18 or not value.startswith(prefix) or not value.isalnum():
        raise ValueError(f"{what} {value!r} must be 18 alphanumeric characters starting {prefix}")


class World:
    """Orgs plus scheduled edits. Not thread-safe by itself: the simulator locks around it."""

    def __init__(self) -> None:
        self.orgs: dict[str, Org] = {}
        self._changes: list[_Change] = []

    def add_org(self, org: Org) -> Org:
        _check_id(org.org_id, "00D", "org_id")
        for user in org.users:
            _check_id(user.user_id, "005", f"user_id of {user.username}")
        if org.org_id in self.orgs:
            raise ValueError(f"org {org.org_id} already added")
        if any(o.host == org.host for o in self.orgs.values()):
            raise ValueError(f"another org already uses My Domain host {org.host}")
        self.orgs[org.org_id] = org
        return org

    def org(self, org_id: str) -> Org:
        if org_id in self.orgs:
            return self.orgs[org_id]
        # A 15-char id is the case-sensitive prefix of the 18-char one.
        match = [o for o in self.orgs.values() if len(org_id) == 15 and o.org_id.startswith(org_id)]
        if not match:
            raise KeyError(f"no org {org_id}")
        return match[0]

    def _pick(self, found: list[tuple[Org, T]], what: str) -> T:
        if not found:
            raise KeyError(f"no {what}")
        if len(found) > 1:
            orgs = ", ".join(o.org_id for o, _ in found)
            raise ValueError(f"{what} exists in several orgs ({orgs}); pass org_id")
        return found[0][1]

    def find_app(self, consumer_key: str, org_id: str | None) -> ConnectedApp:
        orgs = [self.org(org_id)] if org_id else list(self.orgs.values())
        found = [(o, a) for o in orgs for a in o.apps if a.consumer_key == consumer_key]
        return self._pick(found, f"app with consumer key {consumer_key!r}")

    def find_user(self, username: str, org_id: str | None) -> SimUser:
        orgs = [self.org(org_id)] if org_id else list(self.orgs.values())
        found = [(o, u) for o in orgs if (u := o.user(username)) is not None]
        return self._pick(found, f"user {username!r}")

    def schedule(self, target: SimUser | ConnectedApp, fields: dict[str, Any], effective_at: float) -> None:
        self._changes.append(_Change(target, check_fields(target, fields), effective_at))

    def effective(self, obj: T, now: float) -> T:
        """``obj`` with every change due by ``now`` applied, in the order they were made."""
        merged: dict[str, Any] = {}
        for change in self._changes:
            if change.target is obj and change.effective_at <= now:
                merged.update(change.fields)
        return replace(obj, **merged) if merged else obj

    def effective_org(self, org: Org, now: float) -> Org:
        return replace(
            org,
            users=[self.effective(u, now) for u in org.users],
            apps=[self.effective(a, now) for a in org.apps],
        )

    def orgs_for_host(self, host: str, now: float) -> list[Org]:
        """Orgs a host serves: production on login, sandboxes on test, one org on its My Domain."""
        host = host.lower()
        if host == LOGIN_HOST:
            picked = [o for o in self.orgs.values() if not o.is_sandbox]
        elif host == TEST_HOST:
            picked = [o for o in self.orgs.values() if o.is_sandbox]
        else:
            picked = [o for o in self.orgs.values() if o.host == host]
        return [self.effective_org(o, now) for o in picked]

    def serves(self, host: str) -> bool:
        host = host.lower()
        return host in (LOGIN_HOST, TEST_HOST) or any(o.host == host for o in self.orgs.values())


@dataclass(frozen=True)
class Session:
    """An issued access token resolved against the current (effective) org and user."""

    org: Org
    user: SimUser
    scopes: frozenset[str]


class SimulatorLike(Protocol):
    """What the request handlers need of :class:`checks.simulator.core.Simulator` (which imports them)."""

    caller_ip: str

    def now(self) -> float: ...
    def orgs_for_host(self, host: str, now: float) -> list[Org]: ...
    def count_login(self, org: Org, user: SimUser, now: float) -> int: ...
    def issue_token(self, org: Org, user: SimUser, scopes: frozenset[str]) -> str: ...
    def session(self, token: str | None, host: str, api_only: bool = False) -> Session | None: ...
