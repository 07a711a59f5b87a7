"""The run's deadline cuts a TLS handshake that trickles, not only one that stalls.

A stalled handshake trips the connect timeout (capped to the budget left), but a server that
sends its ServerHello one byte at a time resets that timeout with every byte. The stand-in here
is a real TLS server on loopback with a self-signed certificate the client trusts through an
SSLContext, as the run's pools do (checks/salesforce/runpool.py); it counts the bytes it got out before the
client cut the connection.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checks.salesforce.deadline import Deadline
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient
from checks.simulator import LoopbackTransport

DRIP = 0.1  # seconds between two bytes of the server's handshake
CAP = 80  # bytes the server trickles at most before hanging up (bounds the test if the cut fails)


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class TricklingTLS:
    """Accepts connections and answers each TLS handshake one byte every ``DRIP`` seconds
    (``trickle=False``: at full speed, then an HTTP 400 to whatever is asked)."""

    def __init__(self, cert: bytes, key: bytes, trickle: bool = True) -> None:
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "c.pem").write_bytes(cert)
            (Path(d) / "k.pem").write_bytes(key)
            self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ctx.load_cert_chain(Path(d) / "c.pem", Path(d) / "k.pem")
        self._trickle = trickle
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        self.sent: list[int] = []  # per connection: handshake bytes out before the client hung up
        self.closed = threading.Event()  # set when a connection ended
        threading.Thread(target=self._accept, name="tls-stand-in", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self._ctx.wrap_bio(incoming, outgoing, server_side=True)
        sent = 0
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                incoming.write(data)
                try:
                    tls.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                out = outgoing.read()
                for i in range(len(out)):
                    if self._trickle:
                        if sent >= CAP:
                            return
                        time.sleep(DRIP)
                    conn.sendall(out[i:i + 1])
                    sent += 1
                if done:
                    break
            # The request may have come in the same read as the handshake's last bytes: read what
            # the TLS layer already holds before waiting on the socket again.
            answered = False
            while True:
                try:
                    chunk = tls.read(65536)
                except ssl.SSLWantReadError:
                    chunk = b""
                pending = outgoing.read()  # TLS 1.3 session tickets, or the answer
                if pending:
                    conn.sendall(pending)
                if chunk and not answered:
                    tls.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 2\r\n\r\n{}")
                    conn.sendall(outgoing.read())
                    answered = True
                    continue
                data = conn.recv(65536)  # then wait for the client to hang up
                if not data:
                    return
                incoming.write(data)
        except OSError:
            return  # the client cut the connection
        finally:
            self.sent.append(sent)
            conn.close()
            self.closed.set()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def cert_and_key() -> tuple[bytes, bytes]:
    return _self_signed()


@pytest.fixture
def trickling(cert_and_key) -> Iterator[TricklingTLS]:
    server = TricklingTLS(*cert_and_key)
    yield server
    server.close()


def _client(server: TricklingTLS, cert: bytes) -> SalesforceClient:
    context = ssl.create_default_context()  # what httpx.create_ssl_context gives, trusting our certificate
    context.load_verify_locations(cadata=cert.decode())
    return SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(
        server.url, inner=httpx.HTTPTransport(verify=context)))


def test_a_trickled_tls_handshake_is_cut_at_the_deadline(trickling, cert_and_key) -> None:
    client = _client(trickling, cert_and_key[0])
    deadline = 1.0
    run = client.bounded(Deadline(deadline))
    try:
        reply = run.exchange("https://login.salesforce.com", "not-a-real-assertion")
    finally:
        run.close()
        client.close()
    assert reply.error is not None and reply.error.error_description == "Salesforce did not answer within 1 s"
    assert trickling.closed.wait(30)
    # One byte per DRIP went out until the cut (~10 at the deadline); without the cut the handshake runs
    # until the server gives up at CAP bytes (8 s). Half of CAP leaves a loaded machine 3 s of slack.
    assert len(trickling.sent) == 1 and 0 < trickling.sent[0] < CAP / 2, trickling.sent


class _SlowConnect(httpcore.SyncBackend):
    """A TCP connect that takes ``delay`` seconds (a far or loaded server) before the handshake."""

    def __init__(self, delay: float) -> None:
        self._delay = delay

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        time.sleep(self._delay)
        return super().connect_tcp(*args, **kwargs)


def test_a_trickled_handshake_after_a_slow_connect_still_ends_at_the_deadline(trickling, cert_and_key) -> None:
    """The handshake gets only the budget left after the TCP connect, not the connect timeout
    capped when the request was built (that would end it 2.6 s past the deadline)."""
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=cert_and_key[0].decode())

    def transport() -> httpx.BaseTransport:
        inner = httpx.HTTPTransport(verify=context)
        inner._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=_SlowConnect(2.6))
        return LoopbackTransport(trickling.url, inner=inner)

    client = SalesforceClient(Allowlist(), transport_factory=transport)
    run = client.bounded(Deadline(3.0))
    try:
        reply = run.exchange("https://login.salesforce.com", "not-a-real-assertion")
    finally:
        run.close()
        client.close()
    assert reply.error is not None and reply.error.error_description == "Salesforce did not answer within 3 s"
    assert trickling.closed.wait(30)
    # The handshake had 0.4 s of budget left (4 bytes); uncapped it would get 3 s (30 bytes). Halfway
    # between leaves 1.3 s either way for a loaded machine's late timers.
    assert len(trickling.sent) == 1 and 0 < trickling.sent[0] <= 17, trickling.sent


def test_a_handshake_at_full_speed_completes(cert_and_key) -> None:
    """The stand-in is a real TLS server the client trusts: without the trickle, it answers."""
    server = TricklingTLS(*cert_and_key, trickle=False)
    client = _client(server, cert_and_key[0])
    run = client.bounded(Deadline(30))
    try:
        reply = run.exchange("https://login.salesforce.com", "not-a-real-assertion")
    finally:
        run.close()
        client.close()
        server.close()
    assert reply.status == 400 and reply.error is not None and reply.error.error == "unknown"
    assert server.closed.wait(30)  # the run's end closed its connection
