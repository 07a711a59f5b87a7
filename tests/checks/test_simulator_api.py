"""checks.simulator after login: the API endpoints, outages, host routing, transports and the exchange log.

The token endpoint's rules: test_simulator.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from checks.simulator import JWT_GRANT, LoopbackTransport, SimServer, SimTransport, Simulator
from checks.simulator.server import TIMEOUT_HOLD

from sim_helpers import (
    KEY, LOGIN, PROD_HOST, PROD_ID, PROD_UID, PROD_USER, SBX_HOST, SBX_USER, TEST, TEST_URL, AUDIENCE_INVALID,
    NOT_APPROVED, Login, err, make_assertion, token,
)
from sim_helpers import client, clock, keys, login, sim  # noqa: F401 - fixtures, found by name


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
    # A loaded machine may take seconds to answer: only the request meant to time out gets a short timeout.
    if request.param == "in_process":
        with httpx.Client(transport=SimTransport(sim), timeout=30) as c:
            yield c
    else:
        with SimServer(sim) as server, httpx.Client(transport=LoopbackTransport(server.url), timeout=30) as c:
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
    with pytest.raises(httpx.ReadTimeout):  # the server holds the connection: no answer, not a 504
        any_client.get(f"https://{LOGIN}/id/{PROD_ID}/{PROD_UID}", timeout=0.3)
    assert time.monotonic() - started < TIMEOUT_HOLD  # the client gave up, the server did not let go
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
    with SimServer(sim) as server, httpx.Client() as c:
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
