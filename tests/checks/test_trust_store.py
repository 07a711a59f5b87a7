"""The trust store is loaded once per process and setting: no run, and no client after the first, pays for it."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from checks.crypto import keys
from checks.salesforce import trust
from checks.salesforce.deadline import Deadline
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient

from procs import free_port


@pytest.fixture
def ca_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SSL_CERT_FILE pointing at a bundle of one self-signed certificate (a new setting each test)."""
    path = tmp_path / "bundle.pem"
    path.write_bytes(keys.self_signed_certificate(keys.generate_private_key(), "proxy CA"))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return path


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, str | None]]:
    """Every verifying context made, by anyone (httpx makes its own with ssl.create_default_context too)."""
    seen: list[tuple[str | None, str | None]] = []
    real = ssl.create_default_context

    def counting(*args, cafile=None, capath=None, **kwargs) -> ssl.SSLContext:  # noqa: ANN001, ANN002, ANN003
        seen.append((cafile, capath))
        return real(*args, cafile=cafile, capath=capath, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    return seen


def test_the_context_trusts_what_ssl_cert_file_names_and_is_made_once(ca_file: Path, loads) -> None:
    context = trust.trust_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509"] == 1  # the bundle's one certificate, not certifi's roots
    assert trust.trust_context() is context
    assert loads == [(str(ca_file), None)]


def test_another_setting_gets_its_own_context(ca_file: Path, tmp_path: Path, monkeypatch, loads) -> None:
    first = trust.trust_context()
    other = tmp_path / "other.pem"
    other.write_bytes(keys.self_signed_certificate(keys.generate_private_key(), "other CA"))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    second = trust.trust_context()
    assert second is not first and second.cert_store_stats()["x509"] == 1
    assert loads == [(str(ca_file), None), (str(other), None)]


def test_clients_and_their_runs_share_one_load(ca_file: Path, loads, monkeypatch) -> None:
    # Each run makes its httpx client and tries a connection (the proxy's port is closed: refused at once).
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    trust.preload()  # what the CLI does before its imports; the clients below wait for it, not load again
    for _ in range(2):
        with SalesforceClient(Allowlist()) as client:
            for _ in range(2):
                run = client.bounded(Deadline(5))
                assert run.warm("https://login.salesforce.com") is False
                run.close()
    assert loads == [(str(ca_file), None)]


def test_clients_with_an_injected_transport_load_no_trust_store(ca_file: Path, loads) -> None:
    import httpx

    SalesforceClient(Allowlist(), transport=httpx.MockTransport(lambda r: httpx.Response(200))).close()
    assert loads == []
