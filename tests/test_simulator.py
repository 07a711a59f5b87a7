"""checks.simulator: the token endpoint's rules in order, the API calls, outages and transports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from checks.simulator import JWT_GRANT, ConnectedApp, LoopbackTransport, Org, SimUser, Simulator

T0 = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
PROD_ID, SBX_ID = "00D000000000001EAA", "00D000000000002EAA"
PROD_USER, SBX_USER = "integration@acme.com", "integration@acme.com.uat"
PROD_UID, SBX_UID = "005000000000001AAA", "005000000000002AAA"
KEY = "3MVG9simulatorTestKey"
LOGIN, TEST = "login.salesforce.com", "test.salesforce.com"
TEST_URL = "https://test.salesforce.com"
PROD_HOST, SBX_HOST = "acme.my.salesforce.com", "acme--uat.sandbox.my.salesforce.com"
NOT_APPROVED = {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
INVALID_ASSERTION = {"error": "invalid_grant", "error_description": "invalid assertion"}


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _key_and_cert(name: str) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    good_key, good_cert = _key_and_cert("good")
    other_key, other_cert = _key_and_cert("other")
    return {"key": good_key, "cert": good_cert, "other_key": other_key, "other_cert": other_cert}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock, keys: dict[str, Any]) -> Simulator:
    """A production org and its sandbox copy (same consumer key, suffixed username)."""
    s = Simulator(clock=clock)
    for org_id, uid, user, domain, sandbox in (
        (PROD_ID, PROD_UID, PROD_USER, "acme", False),
        (SBX_ID, SBX_UID, SBX_USER, "acme--uat", True),
    ):
        app = ConnectedApp("aprity", KEY, keys["cert"], profiles=frozenset({"Integration"}))
        s.add_org(Org(org_id, "Acme", domain, is_sandbox=sandbox, users=[SimUser(user, uid)], apps=[app]))
    return s


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sim.transport()) as c:
        yield c


def make_assertion(keys: dict[str, Any], key: str = "key", alg: str = "RS256", **claims: Any) -> str:
    body: dict[str, Any] = {"iss": KEY, "sub": PROD_USER, "aud": "https://login.salesforce.com", "exp": T0 + 180}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    signing_key: Any = keys[key] if alg == "RS256" else "not-a-certificate-secret-0123456789"
    return jwt.encode(body, signing_key, algorithm=alg)


def token(client: httpx.Client, assertion: str | None, host: str = LOGIN, **form: str) -> httpx.Response:
    data = {"grant_type": JWT_GRANT, **form}
    if assertion is not None:
        data["assertion"] = assertion
    return client.post(f"https://{host}/services/oauth2/token", data=data)


Login = Callable[..., httpx.Response]


@pytest.fixture
def login(client: httpx.Client, keys: dict[str, Any]) -> Login:
    """POST a freshly signed assertion; ``host`` picks the token host, other keywords are claims."""

    def run(host: str = LOGIN, key: str = "key", **claims: Any) -> httpx.Response:
        return token(client, make_assertion(keys, key, **claims), host)

    return run


def err(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    return response.json()


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
    ("exp-now", {}, {}, LOGIN, {"exp": T0}, EXPIRED),
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

AUDIENCE_INVALID = {"error": "invalid_grant", "error_description": "audience is invalid"}


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
    with httpx.Client(transport=s.transport()) as c:
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


# ---- API endpoints ---------------------------------------------------------------------------


def _session(login: Login, host: str = LOGIN, **claims: Any) -> dict[str, Any]:
    got = login(host, **claims)
    assert got.status_code == 200, got.text
    return got.json()


def test_identity(client: httpx.Client, login: Login) -> None:
    s = _session(login)
    auth = {"Authorization": f"Bearer {s['access_token']}"}
    for host in (LOGIN, PROD_HOST):
        got = client.get(f"https://{host}/id/{PROD_ID}/{PROD_UID}", headers=auth)
        assert got.status_code == 200
        body = got.json()
        assert (body["organization_id"], body["user_id"], body["username"]) == (PROD_ID, PROD_UID, PROD_USER)
        assert body["active"] is True and body["display_name"] == "Integration User"
    bad = client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.text) == (403, "Bad_OAuth_Token")
    wrong_host = client.get(f"https://{TEST}/id/{PROD_ID}/{PROD_UID}", headers=auth)
    assert wrong_host.status_code == 403


def test_query_organization(client: httpx.Client, login: Login) -> None:
    s = _session(login)
    auth = {"Authorization": f"Bearer {s['access_token']}"}
    url = f"{s['instance_url']}/services/data/v62.0/query"
    got = client.get(url, params={"q": "SELECT Id, Name FROM Organization"}, headers=auth)
    assert got.status_code == 200
    record = got.json()["records"][0]
    assert record["attributes"] == {"type": "Organization", "url": f"/services/data/v62.0/sobjects/Organization/{PROD_ID}"}
    assert (record["Id"], record["IsSandbox"], record["InstanceName"]) == (PROD_ID, False, "NA224")
    assert record["OrganizationType"] == "Enterprise Edition"
    malformed = client.get(url, params={"q": "SELECT Id FROM Account"}, headers=auth)
    assert malformed.status_code == 400 and malformed.json()[0]["errorCode"] == "MALFORMED_QUERY"
    invalid = client.get(url, params={"q": "SELECT Id FROM Organization"}, headers={"Authorization": "Bearer x"})
    assert invalid.status_code == 401
    assert invalid.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    other_org = client.get(f"https://{SBX_HOST}/services/data/v62.0/query", params={"q": "x"}, headers=auth)
    assert other_org.status_code == 401


def test_token_without_api_scope(sim: Simulator, client: httpx.Client, login: Login) -> None:
    sim.change_app(KEY, org_id=PROD_ID, scopes={"id", "web", "refresh_token"})
    s = _session(login)
    assert s["scope"] == "id refresh_token web"
    got = client.get(f"{s['instance_url']}/services/data/v62.0/query", params={"q": "SELECT Id FROM Organization"},
                     headers={"Authorization": f"Bearer {s['access_token']}"})
    assert got.status_code == 401
    assert got.json() == [{"errorCode": "INVALID_SESSION_ID", "message": "This session is not valid for use with the REST API"}]
    soap = _soap(client, s["instance_url"], s["access_token"])
    assert soap.status_code == 500 and "<faultcode>sf:INVALID_SESSION_ID</faultcode>" in soap.text


def _soap(client: httpx.Client, instance_url: str, session_id: str, operation: str = "describeMetadata") -> httpx.Response:
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:md="http://soap.sforce.com/2006/04/metadata">'
        f"<soapenv:Header><md:SessionHeader><md:sessionId>{session_id}</md:sessionId></md:SessionHeader></soapenv:Header>"
        f"<soapenv:Body><md:{operation}><md:asOfVersion>62.0</md:asOfVersion></md:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    )
    return client.post(f"{instance_url}/services/Soap/m/62.0", content=envelope,
                       headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})


def test_describe_metadata(sim: Simulator, client: httpx.Client, login: Login) -> None:
    s = _session(login)
    ok = _soap(client, s["instance_url"], s["access_token"])
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/xml")
    assert "<describeMetadataResponse>" in ok.text and "<xmlName>ApexClass</xmlName>" in ok.text
    assert "<testRequired>true</testRequired>" in ok.text and "<partialSaveAllowed>true</partialSaveAllowed>" in ok.text
    bad = _soap(client, s["instance_url"], "00Dbogus!token")
    assert bad.status_code == 500
    assert "<faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session</faultstring>" in bad.text
    sim.change_user(PROD_USER, modify_metadata=False)
    denied = _soap(client, s["instance_url"], s["access_token"])
    assert denied.status_code == 500
    assert "<faultcode>sf:INSUFFICIENT_ACCESS</faultcode>" in denied.text
    assert ("<faultstring>INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the ModifyAllData "
            "or ModifyMetadata permissions</faultstring>") in denied.text


def test_deactivation_ends_sessions(sim: Simulator, client: httpx.Client, login: Login) -> None:
    s = _session(login)
    sim.change_user(PROD_USER, active=False)
    got = client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}", headers={"Authorization": f"Bearer {s['access_token']}"})
    assert got.status_code == 403


def test_unknown_path_is_html_404(client: httpx.Client) -> None:
    got = client.get(f"https://{PROD_HOST}/services/oauth2/nothing")
    assert got.status_code == 404 and got.headers["content-type"].startswith("text/html")
    assert "<html>" in got.text


# ---- outages, routing, log: in-process and over loopback ----------------------------------------


@pytest.fixture(params=["in_process", "loopback"])
def any_client(request: pytest.FixtureRequest, sim: Simulator) -> Iterator[httpx.Client]:
    if request.param == "in_process":
        with httpx.Client(transport=sim.transport(), timeout=0.3) as c:
            yield c
    else:
        with sim.serve() as server, httpx.Client(transport=LoopbackTransport(server.url), timeout=0.3) as c:
            yield c


@pytest.mark.parametrize(
    ("mode", "status", "content_type", "body"),
    [
        ("html", 503, "text/html", "maintenance"),
        ("server_error", 500, "text/plain", "Internal Server Error"),
        ("empty", 200, "application/json", ""),
        ("garbage", 200, "application/json", "not json"),
    ],
)
def test_outage_answers(sim: Simulator, any_client: httpx.Client, mode: str, status: int, content_type: str,
                        body: str, keys: dict[str, Any]) -> None:
    sim.set_outage(PROD_HOST, mode)
    got = token(any_client, make_assertion(keys), PROD_HOST)
    assert got.status_code == status and got.headers["content-type"].startswith(content_type)
    assert body in got.text if body else got.content == b""
    if mode == "garbage":
        with pytest.raises(json.JSONDecodeError):
            got.json()
    assert token(any_client, make_assertion(keys)).status_code == 200  # other hosts unaffected
    sim.set_outage(PROD_HOST, None)
    assert token(any_client, make_assertion(keys), PROD_HOST).status_code == 200


def test_outage_timeout_and_connect_error(sim: Simulator, any_client: httpx.Client) -> None:
    sim.set_outage(LOGIN, "timeout")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        any_client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}")
    assert time.monotonic() - started < 5
    sim.set_outage(LOGIN, "connect_error")
    with pytest.raises(httpx.ConnectError, match="Name or service not known"):
        any_client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}")


def test_unknown_host_is_dns_failure(any_client: httpx.Client) -> None:
    with pytest.raises(httpx.ConnectError, match=r"\[Errno -2\] Name or service not known"):
        any_client.post("https://acem.my.salesforce.com/services/oauth2/token", data={})


def test_host_routing(any_client: httpx.Client, keys: dict[str, Any]) -> None:
    sandbox = make_assertion(keys, sub=SBX_USER, aud=TEST_URL)
    assert token(any_client, sandbox, TEST).status_code == 200
    assert err(token(any_client, sandbox, LOGIN)) == AUDIENCE_INVALID
    assert err(token(any_client, sandbox, PROD_HOST))["error_description"] == "audience is invalid"
    on_prod = make_assertion(keys, sub=SBX_USER, aud=f"https://{PROD_HOST}")
    assert err(token(any_client, on_prod, PROD_HOST)) == NOT_APPROVED  # the production org has no such user
    assert token(any_client, make_assertion(keys), LOGIN).headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_server_called_directly_answers_as_login(sim: Simulator, keys: dict[str, Any]) -> None:
    with sim.serve() as server, httpx.Client() as c:
        assert server.url == f"http://127.0.0.1:{server.port}"
        for aud in ("https://login.salesforce.com", server.url):
            got = c.post(f"{server.url}/services/oauth2/token",
                         data={"grant_type": JWT_GRANT, "assertion": make_assertion(keys, aud=aud)})
            assert got.status_code == 200, got.text
            assert got.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
        sandbox = make_assertion(keys, sub=SBX_USER, aud=TEST_URL)
        got = c.post(f"{server.url}/services/oauth2/token", data={"grant_type": JWT_GRANT, "assertion": sandbox})
        assert err(got) == AUDIENCE_INVALID
    assert sim.log[-1]["host"] == "127.0.0.1"


def test_loopback_transport_refuses_remote_urls() -> None:
    for url in ("http://10.0.0.1:8080", "https://example.com", "ftp://127.0.0.1:21"):
        with pytest.raises(ValueError):
            LoopbackTransport(url)
    LoopbackTransport("http://localhost:1")
    LoopbackTransport("http://[::1]:1")
    LoopbackTransport("http://127.8.9.10:1")


def test_log_records_exchanges_without_secrets(sim: Simulator, any_client: httpx.Client, keys: dict[str, Any]) -> None:
    assertion = make_assertion(keys)
    issued = token(any_client, assertion).json()["access_token"]
    any_client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}", params={"oauth_token": issued})
    token(any_client, assertion, TEST)
    assert [(e["host"], e["method"], e["path"], e["status"], e["error"]) for e in sim.log] == [
        (LOGIN, "POST", "/services/oauth2/token", 200, None),
        (LOGIN, "GET", f"/id/{PROD_ID}/{PROD_UID}", 200, None),
        (TEST, "POST", "/services/oauth2/token", 400, "invalid_grant"),
    ]
    assert all(e["started"] <= e["ended"] for e in sim.log)
    dumped = repr(sim.log)
    assert assertion not in dumped and issued not in dumped and issued.split("!")[1] not in dumped


def test_latency_is_applied(sim: Simulator, client: httpx.Client) -> None:
    sim.latency = 0.05
    client.get(f"https://{LOGIN}/nothing")
    entry = sim.log[-1]
    assert entry["ended"] - entry["started"] >= 0.05
