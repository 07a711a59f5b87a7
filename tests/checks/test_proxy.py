"""HTTPS_PROXY is honoured (support tooling often sits behind an egress proxy); the allowlist still applies."""

from __future__ import annotations

from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient

from loopback_refuser import LoopbackRefuser


def test_requests_go_through_the_proxy_and_hostile_urls_never_do(monkeypatch) -> None:
    proxy = LoopbackRefuser()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        client = SalesforceClient(Allowlist())  # no transport injected: httpx reads the environment
        reply = client.exchange("https://login.salesforce.com", "a.b.c")
        assert not reply.ok and reply.error.error == "unreachable"
        assert proxy.lines == ["CONNECT login.salesforce.com:443 HTTP/1.1"]
        refused = client.exchange("https://login.salesforce.com.evil.io", "a.b.c")
        assert "refused before calling" in refused.error.error_description
        assert len(proxy.lines) == 1
        client.close()
    finally:
        proxy.close()


def test_a_runs_own_pool_goes_through_the_proxy_too(monkeypatch) -> None:
    from checks.salesforce.deadline import Deadline

    proxy = LoopbackRefuser()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = SalesforceClient(Allowlist())
    try:
        for _ in range(2):  # two runs, two pools made from the one client's set-up
            run = client.bounded(Deadline(5))
            reply = run.exchange("https://login.salesforce.com", "a.b.c")
            run.close()
            assert not reply.ok and reply.error.error == "unreachable"
        assert proxy.lines == ["CONNECT login.salesforce.com:443 HTTP/1.1"] * 2
    finally:
        client.close()
        proxy.close()
