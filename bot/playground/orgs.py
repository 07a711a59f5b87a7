"""The playground's Salesforce side: the demo's broken orgs, their connections file, and the admin panel.

Each connection is one of :data:`checks.scenarios.SCENARIOS`, built on one simulator.
A fix is what the support guide tells the customer's admin to do; applying it goes
through the simulator's own change API, so it becomes visible only after the
propagation delay, as Connected App edits do in Salesforce. Fixes on aprity's side
(the login URL, the consumer key, the certificate on file) rewrite the connections file
the bot reads. The page lists whatever :data:`CONNECTIONS` names: an org added here shows
in the composer's suggestions and the admin panel with no other change.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from checks.crypto import keys
from checks.connections import Connection
from checks.scenarios import PERMISSION_SET, World, by_name
from checks.simulator import TEST_URL, ConnectedApp, Org, SimUser

# The demo's broken orgs, one per fix the admin panel offers, plus a healthy one.
CONNECTIONS = ("not-preauthorized", "cert-regenerated", "signatures-off", "no-api-scope", "sandbox-on-login",
               "key-typo", "eca-generic-host", "no-metadata", "healthy", "eca-closed")


@dataclass(frozen=True)
class Target:
    """What a fix acts on: the connection as aprity holds it, and the org behind it."""

    conn: Connection
    org: Org
    app: ConnectedApp
    user: SimUser


@dataclass(frozen=True)
class Fix:
    id: str
    label: str
    where: str  # "salesforce" (waits for propagation) or "aprity" (the connections file, at once)
    apply: Callable[["Orgs", Target], None]


def _upload_certificate(orgs: "Orgs", t: Target) -> None:
    orgs.world.sim.change_app(t.app.consumer_key, org_id=t.org.org_id, certificate_pem=orgs.world.good_cert)
    orgs.update_connection(t.conn.name or "", certificate_file=orgs.world.cert_file)


def _signatures(orgs: "Orgs", t: Target) -> None:
    orgs.world.sim.change_app(t.app.consumer_key, org_id=t.org.org_id, digital_signatures=True)


def _app_now(orgs: "Orgs", t: Target) -> ConnectedApp:
    # Build on what Salesforce shows now, so two fixes in a row do not undo each other.
    return next(a for a in orgs.world.sim.effective_org(t.org.org_id).apps if a.name == t.app.name)


def _api_scope(orgs: "Orgs", t: Target) -> None:
    scopes = _app_now(orgs, t).scopes
    orgs.world.sim.change_app(t.app.consumer_key, org_id=t.org.org_id, scopes=set(scopes) | {"api"})


def _preauthorize(orgs: "Orgs", t: Target) -> None:
    app = _app_now(orgs, t)
    if app.external_client_app:  # the recommended way: the user's "aprity Integration" permission set on the app
        sets = set(t.user.permission_sets) or {PERMISSION_SET}
        orgs.world.sim.change_user(t.user.username, org_id=t.org.org_id, permission_sets=sets)
        orgs.world.sim.change_app(t.app.consumer_key, org_id=t.org.org_id, permitted_users="admin_approved",
                                  permission_sets=set(app.permission_sets) | sets)
        return
    orgs.world.sim.change_app(t.app.consumer_key, org_id=t.org.org_id, permitted_users="admin_approved",
                              profiles=set(app.profiles) | {t.user.profile})


def _sandbox_url(orgs: "Orgs", t: Target) -> None:
    orgs.update_connection(t.conn.name or "", login_url=TEST_URL)


def _my_domain_url(orgs: "Orgs", t: Target) -> None:
    orgs.update_connection(t.conn.name or "", login_url=t.org.instance_url)


def _metadata(orgs: "Orgs", t: Target) -> None:
    orgs.world.sim.change_user(t.user.username, org_id=t.org.org_id, modify_metadata=True)


def _consumer_key(orgs: "Orgs", t: Target) -> None:
    # Support copies the key again from the customer's app: aprity's record changes, Salesforce does not.
    orgs.update_connection(t.conn.name or "", consumer_key=t.app.consumer_key)


FIXES: tuple[Fix, ...] = (
    Fix("upload_certificate", "Upload the certificate that matches aprity's key", "salesforce", _upload_certificate),
    Fix("digital_signatures", "Turn on \"Use digital signatures\" (ECA: \"Enable JWT Bearer Flow\")", "salesforce",
        _signatures),
    Fix("api_scope", "Add the \"Manage user data via APIs (api)\" scope", "salesforce", _api_scope),
    Fix("preauthorize", "Pre-authorize the integration user (its profile; ECA: the aprity Integration permission "
        "set)", "salesforce", _preauthorize),
    Fix("sandbox_login_url", "Use the sandbox login URL (test.salesforce.com)", "aprity", _sandbox_url),
    Fix("my_domain_login_url", "Use the org's My Domain URL as login URL", "aprity", _my_domain_url),
    Fix("modify_metadata", "Grant the user Modify Metadata", "salesforce", _metadata),
    Fix("consumer_key", "Copy the Consumer Key again from the customer's app", "aprity", _consumer_key),
)


class Orgs:
    """The simulated orgs behind the playground's connections, and the fixes applied to them."""

    def __init__(self, world: World, connections_file: Path, clock: Callable[[], float] = time.time) -> None:
        self.world = world
        self.file = connections_file
        self._clock = clock
        self._lock = threading.Lock()
        self._conns: dict[str, Connection] = {}
        self._titles: dict[str, str] = {}
        self.applied: list[dict[str, Any]] = []
        for name in CONNECTIONS:
            scenario = by_name(name)
            self._conns[name] = scenario.build(world)
            self._titles[name] = scenario.title
        self._write()

    @property
    def names(self) -> list[str]:
        return list(self._conns)

    def connection(self, name: str) -> Connection:
        with self._lock:
            return self._conns[name]

    def target(self, name: str) -> Target:
        conn = self.connection(name)
        wanted = conn.username.lower()
        org = next(o for o in self.world.sim.orgs if any(u.username.lower() == wanted for u in o.users))
        user = next(u for u in org.users if u.username.lower() == wanted)
        app = next((a for a in org.apps if a.name == conn.connected_app), org.apps[0])
        return Target(conn, org, app, user)

    def apply(self, name: str, fix_id: str) -> dict[str, Any]:
        """Apply one fix to the org behind connection ``name``; KeyError for unknown names."""
        fix = next((f for f in FIXES if f.id == fix_id), None)
        if fix is None or name not in self._conns:
            raise KeyError(f"unknown connection or fix: {name!r}, {fix_id!r}")
        fix.apply(self, self.target(name))
        delay = self.world.sim.propagation_delay if fix.where == "salesforce" else 0.0
        entry = {"connection": name, "fix": fix.id, "label": fix.label, "at": self._clock(),
                 "effective_at": self._clock() + delay}
        with self._lock:
            self.applied.append(entry)
        return entry

    def update_connection(self, name: str, **fields: Any) -> None:
        """Change aprity's own record of a connection (the file a retest reads again)."""
        with self._lock:
            self._conns[name] = replace(self._conns[name], **fields)
            self._write()

    def describe(self) -> list[dict[str, Any]]:
        """Each connection with its org as requests see it now, and fixes still spreading."""
        now = self._clock()
        out = []
        for name in self._conns:
            t = self.target(name)
            org = self.world.sim.effective_org(t.org.org_id)
            app = next((a for a in org.apps if a.name == t.app.name), org.apps[0])
            user = org.user(t.user.username) or t.user
            cert = "matches aprity's key" if app.certificate_pem and _same_key(app.certificate_pem,
                                                                                self.world.good_cert) else "another key"
            pending = [{"label": a["label"], "in": max(0.0, a["effective_at"] - now)}
                       for a in self.applied if a["connection"] == name and a["effective_at"] > now]
            out.append({
                "name": name, "title": self._titles[name], "org": org.name, "org_id": org.org_id,
                "sandbox": org.is_sandbox, "username": t.conn.username, "login_url": t.conn.login_url,
                "app_kind": "External Client App" if app.external_client_app else "Connected App",
                "app_name": app.name, "consumer_key_matches": t.conn.consumer_key == app.consumer_key,
                "settings": [
                    ["Certificate", cert],
                    ["Enable JWT Bearer Flow" if app.external_client_app else "Use digital signatures",
                     "on" if app.digital_signatures else "off"],
                    ["OAuth scopes", ", ".join(sorted(app.scopes)) or "none"],
                    ["Pre-authorized profiles", ", ".join(sorted(app.profiles, key=str.lower)) or "none"],
                    ["Pre-authorized permission sets", ", ".join(sorted(app.permission_sets, key=str.lower))
                     or "none"],
                    ["User's profile", user.profile],
                    ["Modify Metadata", "yes" if user.modify_metadata else "no"],
                ],
                "pending": pending,
            })
        return out

    def _write(self) -> None:
        lines: list[str] = []
        for name, c in self._conns.items():
            lines.append(f"[connections.{json.dumps(name)}]")
            for key, value in (("username", c.username), ("login_url", c.login_url),
                               ("consumer_key", c.consumer_key), ("private_key_file", c.private_key_file),
                               ("certificate_file", c.certificate_file), ("connected_app", c.connected_app)):
                if value:
                    lines.append(f"{key} = {json.dumps(str(value))}")
            lines.append("")
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text("\n".join(lines))
        tmp.replace(self.file)  # a retest reading the file never sees half of it


def _same_key(cert_a: bytes, cert_b: bytes) -> bool:
    return keys.parse_certificate(cert_a).public_key().public_numbers() == \
        keys.parse_certificate(cert_b).public_key().public_numbers()
