"""The allowlist: only https Salesforce hosts, whatever a user types."""

from __future__ import annotations

import httpx
import pytest

from checks.salesforce.hosts import Allowlist, UnsafeURL, environment_of, sandbox_suffix
from checks.salesforce.client import SalesforceClient

GOOD = [
    ("https://login.salesforce.com", "https://login.salesforce.com"),
    ("https://test.salesforce.com/", "https://test.salesforce.com"),
    ("https://ACME.my.salesforce.com", "https://acme.my.salesforce.com"),
    ("https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"),
    ("https://acme-dev-ed.develop.my.salesforce.com", "https://acme-dev-ed.develop.my.salesforce.com"),
    ("https://login.salesforce.com:443", "https://login.salesforce.com"),
]

HOSTILE = [
    "http://login.salesforce.com",
    "https://login.salesforce.com.evil.io",
    "https://evil.io/login.salesforce.com",
    "https://login.salesforce.com@evil.io",
    "https://user:pw@login.salesforce.com",
    "https://login.salesforce.com:8443",
    "https://127.0.0.1",
    "https://[::1]",
    "https://169.254.169.254",
    "https://acme.lightning.force.com",
    "https://evilsalesforce.com",
    "https://login-salesforce.com",
    "https://acme.my.salesforce.com.attacker.net",
    "file:///etc/passwd",
    "gopher://login.salesforce.com",
    "login.salesforce.com",
    "https://login.salesforce.com/services/oauth2/token?x=1",
    "https://login.salesforce.com/#frag",
    "https://login.salesforce.com\\@evil.io",
    "https://login.salesforce.com /",
    "https://login.salesforce.com\n.evil.io",
    "",
    "https://",
    "https://xn--login-salesforce-com.evil",
    "https://login.salesforce.com./",
]


@pytest.mark.parametrize("url,origin", GOOD)
def test_accepts_salesforce_login_hosts(url: str, origin: str) -> None:
    assert Allowlist().login_origin(url) == origin


@pytest.mark.parametrize("url", HOSTILE)
def test_refuses_hostile_urls(url: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        Allowlist().login_origin(url)
    assert str(info.value)


def test_lightning_host_refusal_names_my_domain() -> None:
    with pytest.raises(UnsafeURL, match="acme.my.salesforce.com"):
        Allowlist().login_origin("https://acme.lightning.force.com")


def test_extra_origins_are_exact() -> None:
    allow = Allowlist.from_env("http://127.0.0.1:8443, https://sf.internal.example")
    assert allow.login_origin("http://127.0.0.1:8443") == "http://127.0.0.1:8443"
    for url in ("http://127.0.0.1:8444", "https://127.0.0.1:8443", "http://127.0.0.2:8443"):
        with pytest.raises(UnsafeURL):
            allow.login_origin(url)
    with pytest.raises(UnsafeURL):
        Allowlist.from_env("http://127.0.0.1:8443/path")


def test_instance_hosts_allowed_only_for_api_calls() -> None:
    allow = Allowlist()
    assert allow.check("https://eu6.salesforce.com/services/data/v62.0/query") == "https://eu6.salesforce.com"
    with pytest.raises(UnsafeURL):
        allow.login_origin("https://eu6.salesforce.com")
    with pytest.raises(UnsafeURL):
        allow.check("https://eu6.salesforce.com.evil.io/x")


def test_environment_and_sandbox_suffix() -> None:
    assert environment_of("https://test.salesforce.com") == "sandbox"
    assert environment_of("https://acme--uat.sandbox.my.salesforce.com") == "sandbox"
    assert environment_of("https://acme.my.salesforce.com") == "production"
    assert environment_of("http://127.0.0.1:8443") == "unknown"
    assert sandbox_suffix("admin@company.com.mysandbox") == "mysandbox"
    assert sandbox_suffix("admin@company.com") is None
    assert sandbox_suffix("admin@company.com.au") is None
    assert sandbox_suffix("admin@company.co.uk") is None


class _Recorder(httpx.BaseTransport):
    def __init__(self, responses: dict[str, httpx.Response]) -> None:
        self.seen: list[str] = []
        self.responses = responses

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        return self.responses.get(request.url.host, httpx.Response(200, json={}))


@pytest.mark.parametrize("url", HOSTILE[:14])
def test_client_makes_no_request_to_refused_hosts(url: str) -> None:
    transport = _Recorder({})
    client = SalesforceClient(Allowlist(), transport=transport)
    reply = client.exchange(url, "a.b.c")
    assert not reply.ok and reply.error.error == "unreachable"
    assert "refused" in reply.error.error_description
    assert transport.seen == []


def test_redirect_off_allowlist_is_refused() -> None:
    evil = httpx.Response(307, headers={"location": "https://evil.io/services/oauth2/token"})
    transport = _Recorder({"login.salesforce.com": evil})
    reply = SalesforceClient(Allowlist(), transport=transport).exchange("https://login.salesforce.com", "a.b.c")
    assert "redirected off the allowlist" in reply.error.error_description
    assert transport.seen == ["https://login.salesforce.com/services/oauth2/token"]


def test_instance_url_from_token_must_pass_the_allowlist() -> None:
    token = httpx.Response(200, json={"access_token": "00Dxx0000001gPL!AR8AQ" + "x" * 40, "scope": "api id",
                                      "instance_url": "https://evil.io", "id": "https://login.salesforce.com/id/a/b"})
    transport = _Recorder({"login.salesforce.com": token})
    client = SalesforceClient(Allowlist(), transport=transport)
    reply = client.exchange("https://login.salesforce.com", "a.b.c")
    assert reply.ok
    api = client.organization(reply.instance_url, reply.token)
    assert not api.ok and api.code == "REFUSED"
    assert all("evil.io" not in u for u in transport.seen)


@pytest.mark.parametrize("location", ["javascript:alert(1)", "mailto:x@evil.io"])
def test_unparseable_redirect_is_refused_not_raised(location: str) -> None:
    """httpx raises InvalidURL (not an HTTPError) on such a Location: it must become a refusal."""
    from checks.salesforce.client import AccessToken

    transport = _Recorder({"login.salesforce.com": httpx.Response(302, headers={"location": location})})
    client = SalesforceClient(Allowlist(), transport=transport)
    reply = client.exchange("https://login.salesforce.com", "a.b.c")
    assert not reply.ok and reply.error.error == "unreachable" and "unusable URL" in reply.error.error_description
    api = client.identity("https://login.salesforce.com/id/a/b", AccessToken("t"))
    assert not api.ok and api.code == "REFUSED"
    assert transport.seen == ["https://login.salesforce.com/services/oauth2/token",
                              "https://login.salesforce.com/id/a/b"]
