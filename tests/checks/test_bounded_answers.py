"""A hostile Salesforce cannot grow the bot's memory: every answer is read against a cap counted after
decoding (gzip included), and the run says "Salesforce answered something too large" instead.

Real httpx over real loopback HTTP to a server that sends a gzip bomb; the client is the production one."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checks.salesforce.client import AccessToken, SalesforceClient
from checks.salesforce.hosts import Allowlist
from checks.simulator.transport import LoopbackTransport

LOGIN = "https://login.salesforce.com"
CAP = 64 * 1024
INFLATED = 64 * 1024 * 1024  # what the bomb becomes once decoded: a thousand times the cap


def _bomb() -> bytes:
    return gzip.compress(b"\0" * INFLATED, compresslevel=9)  # about 64 kB on the wire


class _Hostile(BaseHTTPRequestHandler):
    bomb = b""
    plain = b'{"access_token": "00Dx!tok", "instance_url": "https://acme.my.salesforce.com", "id": "x"}'

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        gzipped = "bomb" in self.path or self.path.endswith("/token")
        body = self.bomb if gzipped else self.plain
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    _Hostile.bomb = _bomb()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def _client(url: str, cap: int = CAP) -> SalesforceClient:
    return SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(url), max_answer_bytes=cap)


def test_a_gzip_bomb_token_answer_is_stopped_at_the_cap(server) -> None:
    with _client(server) as client:
        reply = client.exchange(LOGIN, "a.b.c")
    assert not reply.ok and reply.status == 200
    assert reply.error is not None and reply.error.error == "unreachable"
    assert "Salesforce answered something too large" in reply.error.error_description


def test_the_cap_counts_decoded_bytes_not_wire_bytes(server) -> None:
    # The wire body (~64 kB) is under a 1 MB cap; decoded it is 64 MB: still refused.
    with _client(server, cap=1024 * 1024) as client:
        reply = client.exchange(LOGIN, "a.b.c")
    assert reply.error is not None and "too large" in reply.error.error_description


def test_a_verification_read_too_large_is_a_clear_failure(server) -> None:
    with _client(server) as client:
        reply = client.identity(f"{LOGIN}/id/bomb", AccessToken("00Dx!tok"))
    assert not reply.ok and reply.code == "TOO_LARGE" and "too large" in (reply.message or "")


def test_an_answer_under_the_cap_reads_as_before(server) -> None:
    with _client(server) as client:
        reply = client.identity(f"{LOGIN}/id/plain", AccessToken("00Dx!tok"))
    assert reply.ok and reply.data["instance_url"] == "https://acme.my.salesforce.com"


def test_the_run_reports_it_as_an_unusable_answer_from_salesforce(server, world) -> None:
    from checks.engine import Engine
    from checks.model import CauseId
    from checks.scenarios import by_name

    conn = by_name("healthy").build(world)
    with _client(server) as client:
        d = Engine(client).diagnose(conn)
    assert not d.ok and d.cause is not None and d.cause.id is CauseId.SALESFORCE_UNREACHABLE
    assert d.last_error is not None and "Salesforce answered something too large" in d.last_error.error_description
    findings = " ".join(s.finding for s in d.steps)
    assert "too large" in findings  # the token step says what Salesforce sent
    assert d.retryable
