"""HTTPS_PROXY is honoured (support tooling often sits behind an egress proxy); the allowlist still applies."""

from __future__ import annotations

import socket
import threading

from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient


class ProxyRecorder:
    """A loopback 'proxy' that records the CONNECT line and refuses the tunnel."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(4096).decode("latin-1")
                self.lines.append(data.split("\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


def test_requests_go_through_the_proxy_and_hostile_urls_never_do(monkeypatch) -> None:
    proxy = ProxyRecorder()
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

    proxy = ProxyRecorder()
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
