"""The :class:`Simulator`: orgs, issued tokens, outages and the request log in one place.

Transports (in-process and loopback HTTP) hand it a :class:`SimRequest` through
:meth:`Simulator.respond`; it applies latency and outages, routes by path, stamps
the ``Date`` header from its own clock and records the exchange in :attr:`log`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable

from checks.simulator.api import handle_api
from checks.simulator.token import handle_token
from checks.simulator.wire import HTML_TYPE, JSON_TYPE, MAINTENANCE_HTML, TEXT_TYPE, SimRequest, SimResponse
from checks.simulator.world import LOGIN_HOST, TEST_HOST, ConnectedApp, Org, Session, SimUser, World

# "drip": the right answer, one body byte every ``drip_interval`` seconds (no read
# timeout ever trips); "redirect_loop": a 302 back to the same URL, forever.
OUTAGE_MODES = frozenset({"html", "server_error", "empty", "garbage", "timeout", "connect_error", "drip",
                          "redirect_loop"})
DNS_FAILURE = "[Errno -2] Name or service not known"
# What the resolver says when the bot host's own network (DNS, egress, proxy) is down.
NETWORK_DOWN = "[Errno -3] Temporary failure in name resolution"
_HOUR = 3600.0



class Unreachable(Exception):
    """The request never got an HTTP answer: ``kind`` is ``timeout`` or ``connect_error``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class _Issued:
    org_id: str
    user_id: str
    scopes: frozenset[str]


def _outage_response(mode: str) -> SimResponse:
    if mode == "html":
        return SimResponse(503, MAINTENANCE_HTML.encode(), {"Content-Type": HTML_TYPE})
    if mode == "server_error":
        return SimResponse(500, b"Internal Server Error", {"Content-Type": TEXT_TYPE})
    if mode == "empty":
        return SimResponse(200, b"", {"Content-Type": JSON_TYPE})
    return SimResponse(200, b"<<not json>> {\"access_tok", {"Content-Type": JSON_TYPE})


class Simulator:
    """A stand-in for Salesforce's token endpoint and the API calls made after login."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        propagation_delay: float = 0.0,
        latency: float = 0.0,
        caller_ip: str = "203.0.113.10",
        connect_rtts: int = 0,
        drip_interval: float = 2.0,
    ) -> None:
        self.clock = clock
        self.drip_interval = drip_interval
        self.propagation_delay = propagation_delay
        self.latency = latency
        # Round trips a new connection to the loopback server costs before its first request is
        # read: 2 models HTTPS to Salesforce (TCP connect, then the TLS handshake), each ``latency``.
        self.connect_rtts = connect_rtts
        self.caller_ip = caller_ip
        self.log: list[dict[str, Any]] = []
        # (bytes sent, bytes in the answer) for each dripping answer the loopback server ended.
        self.dripped: list[tuple[int, int]] = []
        self._world = World()
        self._lock = threading.RLock()
        self._outages: dict[str, str] = {}
        self._egress_down = False
        self._tokens: dict[str, _Issued] = {}
        self._logins: dict[tuple[str, str], deque[float]] = {}

    # ---- configuration ---------------------------------------------------------------

    def now(self) -> float:
        return float(self.clock())

    def add_org(self, org: Org) -> Org:
        with self._lock:
            return self._world.add_org(org)

    def org(self, org_id: str) -> Org:
        """The org as added (base values, pending changes not applied)."""
        with self._lock:
            return self._world.org(org_id)

    def effective_org(self, org_id: str) -> Org:
        """The org as requests see it now: only changes past their propagation delay applied."""
        with self._lock:
            return self._world.effective_org(self._world.org(org_id), self.now())

    @property
    def orgs(self) -> list[Org]:
        with self._lock:
            return list(self._world.orgs.values())

    def change_app(self, consumer_key: str, *, org_id: str | None = None, **fields: Any) -> None:
        """Edit a Connected App; requests see it ``propagation_delay`` seconds from now."""
        with self._lock:
            app: ConnectedApp = self._world.find_app(consumer_key, org_id)
            self._world.schedule(app, fields, self.now() + self.propagation_delay)

    def change_user(self, username: str, *, org_id: str | None = None, **fields: Any) -> None:
        """Edit a user; requests see it ``propagation_delay`` seconds from now."""
        with self._lock:
            user: SimUser = self._world.find_user(username, org_id)
            self._world.schedule(user, fields, self.now() + self.propagation_delay)

    def set_outage(self, host: str, mode: str | None) -> None:
        """Make ``host`` misbehave (see ``OUTAGE_MODES``) until called again with ``None``."""
        if mode is not None and mode not in OUTAGE_MODES:
            raise ValueError(f"unknown outage mode {mode!r}; use one of {sorted(OUTAGE_MODES)}")
        with self._lock:
            if mode is None:
                self._outages.pop(host.lower(), None)
            else:
                self._outages[host.lower()] = mode

    def set_egress_down(self, down: bool) -> None:
        """Model the caller's own network failing: no host resolves, Salesforce's well-known ones included.

        Unlike a host nobody serves (a mistyped My Domain), login.salesforce.com fails too.
        """
        with self._lock:
            self._egress_down = down

    @property
    def egress_down(self) -> bool:
        with self._lock:
            return self._egress_down

    def serves(self, host: str) -> bool:
        with self._lock:
            return self._world.serves(host)

    # ---- state used by the handlers (called with the lock held) ----------------------

    def orgs_for_host(self, host: str, now: float) -> list[Org]:
        return self._world.orgs_for_host(host, now)

    def count_login(self, org: Org, user: SimUser, now: float) -> int:
        """Record one login attempt and return how many fell in the past hour, this one included."""
        times = self._logins.setdefault((org.org_id, user.user_id), deque())
        while times and times[0] <= now - _HOUR:
            times.popleft()
        times.append(now)
        return len(times)

    def issue_token(self, org: Org, user: SimUser, scopes: frozenset[str]) -> str:
        # Real tokens start with the 15-char org id and "!"; the rest is opaque.
        token = f"{org.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        self._tokens[token] = _Issued(org.org_id, user.user_id, scopes)
        return token

    def session(self, token: str | None, host: str, api_only: bool = False) -> Session | None:
        """Resolve ``token`` at ``host``; ``None`` when unknown, foreign to the host, or its user is gone.

        ``api_only``: only the org's My Domain serves the REST and SOAP APIs.
        """
        issued = self._tokens.get(token or "")
        if issued is None:
            return None
        if api_only and host in (LOGIN_HOST, TEST_HOST):
            return None
        org = next((o for o in self.orgs_for_host(host, self.now()) if o.org_id == issued.org_id), None)
        user = org.user_by_id(issued.user_id) if org else None
        # Deactivating a user or org ends its sessions.
        if org is None or user is None or not org.active or not user.active or user.frozen:
            return None
        return Session(org, user, issued.scopes)

    # ---- request handling ------------------------------------------------------------

    def outage(self, *hosts: str) -> str | None:
        with self._lock:
            return next((self._outages[h.lower()] for h in hosts if h.lower() in self._outages), None)

    def respond(self, req: SimRequest, log_host: str | None = None) -> SimResponse:
        """Answer ``req``, or raise :class:`Unreachable` for simulated network failures.

        ``log_host`` is the host name as the caller addressed it, when that differs
        from the host the request is answered as (the server's own address).
        """
        started = time.monotonic() if req.connected_at is None else req.connected_at
        shown = log_host or req.host
        if self.latency > 0:
            time.sleep(self.latency)  # outside the lock so concurrent requests overlap
        if self.egress_down:
            self._record(shown, req, None, None, started, "egress_down")
            raise Unreachable("network_down", NETWORK_DOWN)
        mode = self.outage(shown, req.host)
        if mode in ("timeout", "connect_error") or not self.serves(req.host):
            kind = mode or "connect_error"
            self._record(shown, req, None, None, started, mode or "unknown_host")
            raise Unreachable(kind, "timed out" if kind == "timeout" else DNS_FAILURE)
        if mode == "redirect_loop":
            query = f"?{req.query}" if req.query else ""
            response = SimResponse(302, b"", {"Location": f"https://{shown}{req.path}{query}"})
        elif mode not in (None, "drip"):
            response = _outage_response(mode)
        else:
            with self._lock:
                if req.path == "/services/oauth2/token":
                    response = handle_token(self, req)
                else:
                    response = handle_api(self, req)
        if mode == "drip":
            response.drip = self.drip_interval
        response.headers["Date"] = formatdate(self.now(), usegmt=True)
        self._record(shown, req, response.status, response.error, started, mode)
        return response

    def note_drip(self, sent: int, total: int) -> None:
        with self._lock:
            self.dripped.append((sent, total))

    def _record(
        self, host: str, req: SimRequest, status: int | None, error: str | None, started: float, fault: str | None
    ) -> None:
        # Path only: query strings may carry an oauth_token, bodies carry the assertion.
        entry = {
            "host": host,
            "method": req.method,
            "path": req.path,
            "status": status,
            "error": error,
            "fault": fault,  # outage mode or "unknown_host"; None for a normal answer
            "started": started,
            "ended": time.monotonic(),
        }
        with self._lock:
            self.log.append(entry)


