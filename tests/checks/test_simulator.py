"""checks.simulator: the token endpoint's rules in order, propagation of changes, and change validation.

API calls after login, outages, routing, transports and the log: test_simulator_api.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from checks.simulator import ConnectedApp, JWT_GRANT, Org, SimTransport, SimUser, Simulator

from sim_helpers import (
    KEY, LOGIN, PROD_HOST, PROD_ID, PROD_UID, PROD_USER, SBX_HOST, SBX_ID, SBX_UID, SBX_USER, T0, TEST,
    TEST_URL, AUDIENCE_INVALID, INVALID_ASSERTION, Clock, Login, err, make_assertion, token,
)
from sim_helpers import client, clock, keys, login, sim  # noqa: F401 - fixtures, found by name


# ---- rule 1: method and grant --------------------------------------------------------


def test_rule1_post_and_form_grant(client: httpx.Client, keys: dict[str, Any]) -> None:
    got = client.get(f"https://{LOGIN}/services/oauth2/token")
    assert err(got) == {"error": "invalid_request", "error_description": "Must use HTTP POST"}
    unsupported = {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
    payload = {"grant_type": JWT_GRANT, "assertion": make_assertion(keys)}
    assert err(client.post(f"https://{LOGIN}/services/oauth2/token", json=payload)) == unsupported
    assert err(token(client, make_assertion(keys), grant_type="client_credentials")) == unsupported


# ---- rules 2-3: assertion shape and algorithm ----------------------------------------


@pytest.mark.parametrize("assertion", [None, "", "a.b", "a.b.c.d", "!!.??.xx", "e30.bm90IGpzb24.c2ln"])
def test_rule2_unreadable_assertion(client: httpx.Client, assertion: str | None) -> None:
    assert err(token(client, assertion)) == INVALID_ASSERTION


def test_rule3_non_rs256_is_invalid_client(client: httpx.Client, keys: dict[str, Any]) -> None:
    got = token(client, make_assertion(keys, alg="HS256"))
    assert err(got) == {"error": "invalid_client", "error_description": "invalid client credentials"}


# ---- rules 4-12, one change at a time --------------------------------------------------

CLIENT_ID = ("invalid_client_id", "client identifier invalid")
BAD_ASSERTION = ("invalid_grant", "invalid assertion")
UNAPPROVED = ("invalid_grant", "user hasn't approved this consumer")
EXPIRED = ("invalid_grant", "expired authorization code")
INACTIVE_USER = ("invalid_grant", "inactive user")
IP = ("invalid_grant", "ip restricted")
OTHER_CERT = object()  # stands for keys["other_cert"] in the table below
SELF = {"permitted_users": "self_authorize", "unapproved_error": "invalid_app_access"}

# (id, app changes, user changes, host, claims, expected error or None for a token)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, dict[str, Any], tuple[str, str] | None]] = [
    ("unknown-key", {}, {}, LOGIN, {"iss": KEY + "x"}, CLIENT_ID),
    ("oauth-off", {"oauth_enabled": False}, {}, LOGIN, {}, CLIENT_ID),
    ("sandbox-copy-unaffected", {"oauth_enabled": False}, {}, TEST, {"sub": SBX_USER, "aud": TEST_URL}, None),
    ("eca-on-login", {"external_client_app": True}, {}, LOGIN, {},
     ("app_not_found", "External client app is not installed in this org")),
    ("eca-on-my-domain", {"external_client_app": True}, {}, PROD_HOST, {"aud": f"https://{PROD_HOST}"}, None),
    ("wrong-key", {}, {}, LOGIN, {"key": "other_key"}, BAD_ASSERTION),
    ("signatures-off", {"digital_signatures": False}, {}, LOGIN, {}, BAD_ASSERTION),
    ("no-certificate", {"certificate_pem": None}, {}, LOGIN, {}, BAD_ASSERTION),
    ("new-cert-old-key", {"certificate_pem": OTHER_CERT}, {}, LOGIN, {}, BAD_ASSERTION),
    ("new-cert-new-key", {"certificate_pem": OTHER_CERT}, {}, LOGIN, {"key": "other_key"}, None),
    ("bad-sig-and-aud", {}, {}, LOGIN, {"key": "other_key", "aud": "https://x.example"}, BAD_ASSERTION),
    ("no-exp", {}, {}, LOGIN, {"exp": None}, BAD_ASSERTION),
    ("text-exp", {}, {}, LOGIN, {"exp": "soon"}, BAD_ASSERTION),
    ("exp-now", {}, {}, LOGIN, {"exp": T0}, None),  # CumulusCI sends exp = now and gets a token
    ("exp-just-past", {}, {}, LOGIN, {"exp": T0 - 10}, EXPIRED),
    ("exp-past", {}, {}, LOGIN, {"exp": T0 - 600}, EXPIRED),
    ("exp-next-second", {}, {}, LOGIN, {"exp": T0 + 1}, None),
    ("exp-milliseconds", {}, {}, LOGIN, {"exp": int(T0 * 1000) + 300}, None),  # what Salesforce CLI sends
    ("unknown-user", {}, {}, LOGIN, {"sub": "nobody@acme.com"}, UNAPPROVED),
    ("sandbox-user-on-login", {}, {}, LOGIN, {"sub": SBX_USER}, UNAPPROVED),
    ("no-sub", {}, {}, LOGIN, {"sub": None}, UNAPPROVED),
    ("prn-wins-case-insensitive", {}, {}, LOGIN, {"sub": "nobody@acme.com", "prn": PROD_USER.upper()}, None),
    ("prn-wins-unknown", {}, {}, LOGIN, {"prn": "nobody@acme.com"}, UNAPPROVED),
    ("inactive-user", {}, {"active": False}, LOGIN, {}, INACTIVE_USER),
    ("frozen-user", {}, {"frozen": True}, LOGIN, {}, INACTIVE_USER),
    ("ip-outside", {}, {"login_ip_ranges": ("198.51.100.0/24",)}, LOGIN, {}, IP),
    ("ip-inside", {}, {"login_ip_ranges": ("198.51.100.0/24", "203.0.113.0/28")}, LOGIN, {}, None),
    ("login-hours", {}, {"login_hours_blocked": True}, LOGIN, {}, IP),
    ("no-profile", {"profiles": set()}, {}, LOGIN, {}, UNAPPROVED),
    ("no-profile-app-access", {"profiles": set(), "unapproved_error": "invalid_app_access"}, {}, LOGIN, {},
     ("invalid_app_access", "user is not admin approved to access this app")),
    ("permission-set", {"profiles": set(), "permission_sets": {"JWT"}}, {"permission_sets": {"x", "JWT"}}, LOGIN,
     {}, None),
    ("self-never-approved", SELF, {}, LOGIN, {}, UNAPPROVED),
    ("self-approved", SELF, {"approved_apps": {KEY}}, LOGIN, {}, None),
    ("self-no-refresh-scope", {**SELF, "scopes": {"api", "web"}}, {"approved_apps": {KEY}}, LOGIN, {}, UNAPPROVED),
]


@pytest.mark.parametrize(("app", "user", "host", "claims", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_token_rules(sim: Simulator, login: Login, keys: dict[str, Any], app: dict[str, Any],
                     user: dict[str, Any], host: str, claims: dict[str, Any], expected: tuple[str, str] | None) -> None:
    if app:
        sim.change_app(KEY, org_id=PROD_ID, **{k: keys["other_cert"] if v is OTHER_CERT else v for k, v in app.items()})
    if user:
        sim.change_user(PROD_USER, **user)
    got = login(host, **claims)
    if expected is None:
        assert got.status_code == 200, got.text
    else:
        assert err(got) == {"error": expected[0], "error_description": expected[1]}


def test_app_lookup_is_per_host(sim: Simulator, keys: dict[str, Any], login: Login) -> None:
    sim.add_org(Org("00D000000000003EAA", "Solo", "solo", is_sandbox=True,
                    users=[SimUser("u@solo.com.dev", "005000000000003AAA")],
                    apps=[ConnectedApp("x", "3MVG9onlyInSandbox", keys["cert"], profiles=frozenset({"Integration"}))]))
    assert err(login(iss="3MVG9onlyInSandbox", sub="u@solo.com.dev"))["error"] == "invalid_client_id"
    assert login(TEST, iss="3MVG9onlyInSandbox", sub="u@solo.com.dev", aud=TEST_URL).status_code == 200


def test_unknown_user_flag(sim: Simulator, login: Login) -> None:
    sim.org(PROD_ID).unknown_user_error = "invalid_assertion"
    assert err(login(sub="nobody@acme.com")) == INVALID_ASSERTION


def test_inactive_org_answers_before_user(sim: Simulator, login: Login) -> None:
    sim.change_user(PROD_USER, active=False)
    sim.org(PROD_ID).active = False
    assert err(login()) == {"error": "invalid_grant", "error_description": "inactive organization"}


def test_caller_ip_is_checked(sim: Simulator, login: Login) -> None:
    sim.change_user(PROD_USER, login_ip_ranges=("203.0.113.0/28",))
    assert login().status_code == 200
    sim.caller_ip = "203.0.113.99"
    assert err(login()) == {"error": "invalid_grant", "error_description": "ip restricted"}


def test_login_rate(sim: Simulator, clock: Clock, login: Login) -> None:
    sim.org(PROD_ID).login_rate_limit = 2
    assert login().status_code == 200
    clock.now += 10
    assert login(exp=clock.now + 60).status_code == 200
    assert err(login(exp=clock.now + 60)) == {"error": "invalid_grant", "error_description": "login rate exceeded"}
    assert login(TEST, sub=SBX_USER, aud=TEST_URL, exp=clock.now + 60).status_code == 200  # per user
    clock.now = T0 + 3600.5  # the first login left the window, the 2nd and 3rd remain
    assert err(login(exp=clock.now + 60))["error_description"] == "login rate exceeded"
    clock.now = T0 + 3611
    assert login(exp=clock.now + 60).status_code == 200


# ---- rule 6: audience ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "aud", "sub", "ok"),
    [
        (LOGIN, "https://login.salesforce.com/", PROD_USER, True),
        (LOGIN, "https://login.salesforce.com//", PROD_USER, False),
        (LOGIN, TEST_URL, PROD_USER, False),
        (LOGIN, "http://login.salesforce.com", PROD_USER, False),
        (LOGIN, "login.salesforce.com", PROD_USER, False),
        (LOGIN, ["https://login.salesforce.com"], PROD_USER, False),
        (LOGIN, f"https://{PROD_HOST}", PROD_USER, False),
        (LOGIN, "https://x.example", PROD_USER, False),  # signature good, so the aud answer shows
        (TEST, TEST_URL, SBX_USER, True),
        (TEST, "https://login.salesforce.com", SBX_USER, False),
        (PROD_HOST, f"https://{PROD_HOST}/", PROD_USER, True),
        (PROD_HOST, "https://login.salesforce.com", PROD_USER, True),
        (PROD_HOST, TEST_URL, PROD_USER, False),
        (SBX_HOST, TEST_URL, SBX_USER, True),
        (SBX_HOST, f"https://{SBX_HOST}", SBX_USER, True),
        (SBX_HOST, "https://login.salesforce.com", SBX_USER, False),
    ],
)
def test_audience(login: Login, host: str, aud: Any, sub: str, ok: bool) -> None:
    got = login(host, aud=aud, sub=sub)
    if ok:
        assert got.status_code == 200, got.text
    else:
        assert err(got) == AUDIENCE_INVALID


# ---- rule 13: success ---------------------------------------------------------------------


def test_rule13_success_shape(login: Login) -> None:
    got = login()
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json;charset=UTF-8"
    assert got.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    body = got.json()
    assert body["access_token"].startswith(PROD_ID[:15] + "!")
    assert body["scope"] == "api id refresh_token web"
    assert body["instance_url"] == f"https://{PROD_HOST}"
    assert body["id"] == f"https://login.salesforce.com/id/{PROD_ID}/{PROD_UID}"
    assert body["token_type"] == "Bearer"
    assert body["issued_at"] == str(int(T0 * 1000))
    sandbox = login(SBX_HOST, sub=SBX_USER, aud=TEST_URL).json()
    assert sandbox["id"] == f"https://test.salesforce.com/id/{SBX_ID}/{SBX_UID}"
    assert sandbox["instance_url"] == f"https://{SBX_HOST}"


# ---- propagation -----------------------------------------------------------------------------


def test_changes_wait_for_propagation(keys: dict[str, Any]) -> None:
    clock = Clock()
    s = Simulator(clock=clock, propagation_delay=300)
    app = ConnectedApp("aprity", KEY, keys["cert"], profiles=frozenset({"Integration"}))
    s.add_org(Org(PROD_ID, "Acme", "acme", users=[SimUser(PROD_USER, PROD_UID)], apps=[app]))
    with httpx.Client(transport=SimTransport(s)) as c:
        def status() -> int:
            return token(c, make_assertion(keys, exp=clock.now + 60)).status_code

        s.change_app(KEY, oauth_enabled=False)
        clock.now += 299
        assert status() == 200
        clock.now += 1
        assert status() == 400
        s.change_app(KEY, oauth_enabled=True)
        s.change_user(PROD_USER, active=False)
        clock.now += 200
        assert status() == 400
        clock.now += 100
        assert token(c, make_assertion(keys, exp=clock.now + 60)).json()["error_description"] == "inactive user"
    assert s.org(PROD_ID).apps[0].oauth_enabled  # the base object is never mutated


def test_change_validation(sim: Simulator) -> None:
    with pytest.raises(TypeError):
        sim.change_app(KEY, org_id=PROD_ID, colour="blue")
    with pytest.raises(TypeError):
        sim.change_user(PROD_USER, nickname="x")
    with pytest.raises(ValueError):
        sim.change_app(KEY, oauth_enabled=False)  # the key is in both orgs
    with pytest.raises(KeyError):
        sim.change_user("ghost@acme.com", active=False)
    with pytest.raises(ValueError):
        sim.add_org(Org("00Dshort", "Bad", "bad"))
    with pytest.raises(ValueError):
        sim.set_outage(LOGIN, "flaky")
