"""Broken (and healthy) orgs on the simulator: one per cause the guide names and more.

The demo diagnoses them in a terminal and the tests assert the expected verdict
for each, so both show the same thing. Each scenario gets its own org, users and
Connected App in one shared :class:`~checks.simulator.Simulator`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from checks.crypto import keys
from checks.connections import Connection
from checks.model import CauseId, Confidence
from checks.simulator import ConnectedApp, Org, SimUser, Simulator

PROFILE = "aprity Integration"
PERMISSION_SET = "aprity Integration"


def _sf_id(prefix: str, seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    return (prefix + digest)[:18]


def consumer_key(seed: str) -> str:
    """A key of Salesforce's observed shape: 85 characters starting 3MVG9."""
    body = base64.b64encode(hashlib.sha512(seed.encode()).digest() * 2).decode()
    body = body.replace("+", "A").replace("/", "b").replace("=", "")
    return ("3MVG9" + body)[:85]


@dataclass
class World:
    """The simulator plus key files on disk (made at run time, never committed)."""

    sim: Simulator
    folder: Path
    good_key: RSAPrivateKey = field(init=False)
    good_cert: bytes = field(init=False)
    other_cert: bytes = field(init=False)

    def __post_init__(self) -> None:
        self._orgs: dict[str, tuple[Org, ConnectedApp, SimUser]] = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        self.good_key = keys.generate_private_key()
        self.good_cert = keys.self_signed_certificate(self.good_key, "aprity")
        other = keys.generate_private_key()
        self.other_cert = keys.self_signed_certificate(other, "aprity-old")
        self.key_file = self._write("aprity.key", keys.private_key_pem(self.good_key), secret=True)
        self.cert_file = self._write("aprity.crt", self.good_cert)
        self.other_cert_file = self._write("aprity-old.crt", self.other_cert)
        # Made from the right key but close to its end: still works, due for renewal.
        self.expiring_cert_file = self._write("aprity-expiring.crt",
                                              keys.self_signed_certificate(self.good_key, "aprity", days=10))

    def _write(self, name: str, data: bytes, secret: bool = False) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        if secret:
            path.chmod(0o600)
        return path

    def org(self, slug: str, *, sandbox_of: str | None = None, app: dict | None = None,
            user: dict | None = None, org: dict | None = None, eca: bool = False) -> tuple[Org, ConnectedApp, SimUser]:
        """Add an org with one integration user and one app, customised by keyword dicts.

        ``eca``: an External Client App, set up the recommended way: no profile, the integration
        user let in through the "aprity Integration" permission set (ECAs are closed by default).
        """
        if slug in self._orgs:  # scenarios may be built more than once against one world
            return self._orgs[slug]
        base = sandbox_of or slug
        is_sandbox = sandbox_of is not None
        username = f"integration@{base}.com" + (f".{slug.split('--')[-1]}" if is_sandbox else "")
        if eca:
            the_app = ConnectedApp.eca("aprity", consumer_key(base), self.good_cert,
                                       permission_sets=frozenset({PERMISSION_SET}))
        else:
            the_app = ConnectedApp(name="aprity", consumer_key=consumer_key(base), certificate_pem=self.good_cert,
                                   profiles=frozenset({PROFILE}))
        the_app = replace(the_app, **(app or {}))
        the_user = replace(SimUser(username=username, user_id=_sf_id("005", slug), profile=PROFILE,
                                   permission_sets=frozenset({PERMISSION_SET}) if eca else frozenset()),
                           **(user or {}))
        the_org = Org(org_id=_sf_id("00D", slug), name=f"{base.title()} {'Sandbox' if is_sandbox else 'Inc.'}",
                      my_domain=slug, is_sandbox=is_sandbox, users=[the_user], apps=[the_app])
        the_org = replace(the_org, **(org or {}))
        self.sim.add_org(the_org)
        self._orgs[slug] = (the_org, the_app, the_user)
        return self._orgs[slug]

    def connection(self, name: str, o: Org, a: ConnectedApp, u: SimUser, **overrides: object) -> Connection:
        """The org's generic host for a Connected App; its My Domain for an External Client App."""
        login = "https://test.salesforce.com" if o.is_sandbox else "https://login.salesforce.com"
        if a.external_client_app:
            login = o.instance_url
        conn = Connection(name=name, username=u.username, login_url=login, consumer_key=a.consumer_key,
                          private_key_file=self.key_file, certificate_file=self.cert_file,
                          connected_app=a.name)
        return replace(conn, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    expected: CauseId | None  # None: the connection works
    confidence: Confidence | None
    build: Callable[[World], Connection]
    clock_offset: float = 0.0  # seconds the diagnosing machine's clock is off


def _healthy(w: World) -> Connection:
    return w.connection("healthy", *w.org("globex"))


def _stale_cert_file(w: World) -> Connection:
    return w.connection("stale-cert-file", *w.org("duff"), certificate_file=w.other_cert_file)


def _cert_expiring(w: World) -> Connection:
    return w.connection("cert-expiring", *w.org("krusty"), certificate_file=w.expiring_cert_file)


def _username_typo(w: World) -> Connection:
    o, a, u = w.org("acmecorp")
    return w.connection("username-typo", o, a, u, username=u.username.replace("integration", "integraton"))


def _cert_regenerated(w: World) -> Connection:
    o, a, u = w.org("initech", app={"certificate_pem": w.other_cert})
    return w.connection("cert-regenerated", o, a, u, certificate_file=w.other_cert_file)


def _cert_unknown(w: World) -> Connection:
    o, a, u = w.org("hooli", app={"certificate_pem": w.other_cert})
    return w.connection("cert-mismatch", o, a, u, certificate_file=None)


def _consumer_key_typo(w: World) -> Connection:
    o, a, u = w.org("umbrella")
    return w.connection("key-typo", o, a, u, consumer_key=a.consumer_key[:-1])


def _consumer_key_other_app(w: World) -> Connection:
    o, a, u = w.org("stark")
    return w.connection("key-other-app", o, a, u, consumer_key=consumer_key("some-other-org"))


def _no_api_scope(w: World) -> Connection:
    return w.connection("no-api-scope", *w.org("wayne", app={"scopes": frozenset({"id", "web", "refresh_token"})}))


def _signatures_off(w: World) -> Connection:
    return w.connection("signatures-off", *w.org("cyberdyne", app={"digital_signatures": False}))


def _not_preauthorized(w: World) -> Connection:
    return w.connection("not-preauthorized", *w.org("tyrell", app={"profiles": frozenset({"System Administrator"})}))


def _not_admin_approved(w: World) -> Connection:
    o, a, u = w.org("soylent", app={"profiles": frozenset(), "unapproved_error": "invalid_app_access"})
    return w.connection("not-admin-approved", o, a, u)


def _sandbox_on_login(w: World) -> Connection:
    w.org("oscorp")
    o, a, u = w.org("oscorp--uat", sandbox_of="oscorp")
    return w.connection("sandbox-on-login", o, a, u, login_url="https://login.salesforce.com")


def _eca_generic_host(w: World) -> Connection:
    o, a, u = w.org("massive", app={"external_client_app": True})
    return w.connection("eca-generic-host", o, a, u, login_url="https://login.salesforce.com")


def _clock_behind(w: World) -> Connection:
    return w.connection("clock-behind", *w.org("vandelay"))


def _inactive_user(w: World) -> Connection:
    return w.connection("inactive-user", *w.org("acme", user={"active": False}))


def _ip_restricted(w: World) -> Connection:
    return w.connection("ip-restricted", *w.org("nakatomi", user={"login_ip_ranges": ("198.51.100.0/24",)}))


def _rate_limited(w: World) -> Connection:
    return w.connection("rate-limited", *w.org("gringotts", org={"login_rate_limit": 0}))


def _no_metadata(w: World) -> Connection:
    return w.connection("no-metadata", *w.org("dunder", user={"modify_metadata": False}))


def _bad_key(w: World) -> Connection:
    o, a, u = w.org("pied-piper")
    wrapped = w._write("wrapped.key", base64.b64encode(keys.private_key_pem(w.good_key)), secret=True)
    return w.connection("bad-key", o, a, u, private_key_file=wrapped)


def _maintenance(w: World) -> Connection:
    o, a, u = w.org("monsters")
    w.sim.set_outage(o.host, "html")
    return w.connection("maintenance", o, a, u, login_url=o.instance_url)


def _my_domain_typo(w: World) -> Connection:
    o, a, u = w.org("aperture")
    return w.connection("my-domain-typo", o, a, u, login_url="https://apertrue.my.salesforce.com")


def _eca(slug: str, *, login: str | None = None, sandbox_of: str | None = None, **conn: object
         ) -> Callable[..., Callable[[World], Connection]]:
    """A scenario builder on an External Client App org (reached through its My Domain unless ``login``)."""
    def make(name: str, **org_kw: object) -> Callable[[World], Connection]:
        def build(w: World) -> Connection:
            o, a, u = w.org(slug, eca=True, sandbox_of=sandbox_of, **org_kw)  # type: ignore[arg-type]
            extra = {k: (v(w, o, a, u) if callable(v) else v) for k, v in conn.items()}
            if login:
                extra["login_url"] = login
            return w.connection(name, o, a, u, **extra)
        return build
    return make


def _eca_cert_regenerated(w: World) -> Connection:
    o, a, u = w.org("eca-initech", eca=True, app={"certificate_pem": w.other_cert})
    return w.connection("eca-cert-regenerated", o, a, u, certificate_file=w.other_cert_file)


def _eca_cert_unknown(w: World) -> Connection:
    o, a, u = w.org("eca-hooli", eca=True, app={"certificate_pem": w.other_cert})
    return w.connection("eca-cert-mismatch", o, a, u, certificate_file=None)


def _eca_bad_key(w: World) -> Connection:
    o, a, u = w.org("eca-piper", eca=True)
    wrapped = w._write("eca-wrapped.key", base64.b64encode(keys.private_key_pem(w.good_key)), secret=True)
    return w.connection("eca-bad-key", o, a, u, private_key_file=wrapped)


H, M = Confidence.HIGH, Confidence.MEDIUM
# External Client App orgs, one per cause of the guide: the same verdicts, the ECA's screens in every fix.
ECA_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("eca-healthy", "External Client App, set up the recommended way", None, None,
             _eca("eca-globex")("eca-healthy")),
    Scenario("eca-cert-regenerated", "ECA: certificate regenerated, old one still uploaded",
             CauseId.CERTIFICATE_MISMATCH, H,
             _eca_cert_regenerated),
    Scenario("eca-cert-mismatch", "ECA holds another certificate (none on file)", CauseId.CERTIFICATE_MISMATCH, M,
             _eca_cert_unknown),
    Scenario("eca-jwt-off", "ECA: \"Enable JWT Bearer Flow\" off", CauseId.CERTIFICATE_MISMATCH, M,
             _eca("eca-cyberdyne")("eca-jwt-off", app={"digital_signatures": False})),
    Scenario("eca-key-typo", "ECA: consumer key pasted with a character missing", CauseId.CONSUMER_KEY_MISMATCH, H,
             _eca("eca-umbrella", consumer_key=lambda w, o, a, u: a.consumer_key[:-1])("eca-key-typo")),
    Scenario("eca-no-api-scope", "ECA: OAuth scopes lack api", CauseId.OAUTH_NOT_ENABLED_OR_SCOPES, H,
             _eca("eca-wayne")("eca-no-api-scope", app={"scopes": frozenset({"id", "refresh_token"})})),
    Scenario("eca-closed", "ECA closed by default: no profile or permission set selected",
             CauseId.USER_NOT_PREAUTHORIZED, M, _eca("eca-tyrell")("eca-closed", app={"permission_sets": frozenset()})),
    Scenario("eca-not-admin-approved", "ECA: user not let in (invalid_app_access)", CauseId.USER_NOT_PREAUTHORIZED, H,
             _eca("eca-soylent")("eca-not-admin-approved", app={"permission_sets": frozenset(),
                                                                "unapproved_error": "invalid_app_access"})),
    Scenario("eca-sandbox-generic", "ECA sandbox reached through test.salesforce.com", CauseId.USERNAME_OR_LOGIN_URL,
             H, _eca("eca-oscorp--uat", sandbox_of="eca-oscorp", login="https://test.salesforce.com")(
                 "eca-sandbox-generic")),
    Scenario("eca-clock-behind", "ECA: diagnosing machine's clock 10 minutes slow", CauseId.CLOCK_SKEW_OR_EXPIRY, H,
             _eca("eca-vandelay")("eca-clock-behind"), clock_offset=-600.0),
    Scenario("eca-inactive-user", "ECA: integration user deactivated", CauseId.USER_OR_ORG_INACTIVE, H,
             _eca("eca-acme")("eca-inactive-user", user={"active": False})),
    Scenario("eca-ip-restricted", "ECA: profile Login IP Ranges exclude aprity", CauseId.IP_OR_LOGIN_HOURS, H,
             _eca("eca-nakatomi")("eca-ip-restricted", user={"login_ip_ranges": ("198.51.100.0/24",)})),
    Scenario("eca-rate-limited", "ECA: login rate exceeded", CauseId.LOGIN_RATE_EXCEEDED, H,
             _eca("eca-gringotts")("eca-rate-limited", org={"login_rate_limit": 0})),
    Scenario("eca-no-metadata", "ECA: user lacks Modify Metadata", CauseId.METADATA_ACCESS_MISSING, H,
             _eca("eca-dunder")("eca-no-metadata", user={"modify_metadata": False})),
    Scenario("eca-bad-key", "ECA: private key base64-wrapped by a CI secret store", CauseId.PRIVATE_KEY_INVALID, H,
             _eca_bad_key),
    Scenario("eca-username-typo", "ECA: username mistyped", CauseId.USER_NOT_PREAUTHORIZED, M,
             _eca("eca-acmecorp", username=lambda w, o, a, u: u.username.replace("integration", "integraton"))(
                 "eca-username-typo")),
)
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", "Everything set up right", None, None, _healthy),
    Scenario("cert-regenerated", "Certificate regenerated, old one still uploaded",
             CauseId.CERTIFICATE_MISMATCH, H, _cert_regenerated),
    Scenario("cert-mismatch", "Connected App holds another certificate (none on file)",
             CauseId.CERTIFICATE_MISMATCH, M, _cert_unknown),
    Scenario("key-typo", "Consumer key pasted with a character missing", CauseId.CONSUMER_KEY_MISMATCH, H,
             _consumer_key_typo),
    Scenario("key-other-app", "Consumer key of another org's app", CauseId.CONSUMER_KEY_MISMATCH, M,
             _consumer_key_other_app),
    Scenario("no-api-scope", "OAuth scopes lack api", CauseId.OAUTH_NOT_ENABLED_OR_SCOPES, H, _no_api_scope),
    Scenario("signatures-off", "\"Use digital signatures\" unchecked", CauseId.CERTIFICATE_MISMATCH, M,
             _signatures_off),
    Scenario("not-preauthorized", "Integration user's profile not assigned to the app",
             CauseId.USER_NOT_PREAUTHORIZED, M, _not_preauthorized),
    Scenario("not-admin-approved", "Admin-approved app, user not assigned (invalid_app_access)",
             CauseId.USER_NOT_PREAUTHORIZED, H, _not_admin_approved),
    Scenario("sandbox-on-login", "Sandbox user sent to login.salesforce.com", CauseId.USERNAME_OR_LOGIN_URL, H,
             _sandbox_on_login),
    Scenario("eca-generic-host", "External Client App reached through login.salesforce.com",
             CauseId.USERNAME_OR_LOGIN_URL, H, _eca_generic_host),
    Scenario("clock-behind", "Diagnosing machine's clock 10 minutes slow", CauseId.CLOCK_SKEW_OR_EXPIRY, H,
             _clock_behind, clock_offset=-600.0),
    Scenario("inactive-user", "Integration user deactivated", CauseId.USER_OR_ORG_INACTIVE, H, _inactive_user),
    Scenario("ip-restricted", "Profile Login IP Ranges exclude aprity", CauseId.IP_OR_LOGIN_HOURS, H,
             _ip_restricted),
    Scenario("rate-limited", "Login rate exceeded", CauseId.LOGIN_RATE_EXCEEDED, H, _rate_limited),
    Scenario("no-metadata", "User lacks Modify Metadata", CauseId.METADATA_ACCESS_MISSING, H, _no_metadata),
    Scenario("bad-key", "Private key base64-wrapped by a CI secret store", CauseId.PRIVATE_KEY_INVALID, H,
             _bad_key),
    Scenario("maintenance", "My Domain answers with an HTML maintenance page", CauseId.SALESFORCE_UNREACHABLE, H,
             _maintenance),
    Scenario("my-domain-typo", "My Domain URL mistyped", CauseId.USERNAME_OR_LOGIN_URL, H, _my_domain_typo),
    Scenario("stale-cert-file", "Works, but the certificate file on disk is an old one", None, None,
             _stale_cert_file),
    Scenario("cert-expiring", "Works, but the certificate expires within 30 days", None, None, _cert_expiring),
    Scenario("username-typo", "Username mistyped (Salesforce answers as for an unapproved user)",
             CauseId.USER_NOT_PREAUTHORIZED, M, _username_typo),
) + ECA_SCENARIOS

DEMO = ("healthy", "cert-regenerated", "sandbox-on-login", "not-preauthorized", "no-metadata")


def by_name(name: str) -> Scenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)
