"""Salesforce behind real TLS, reached through an HTTPS proxy, for benchmarks on loopback.

:class:`TLSFront` is an HTTP ``CONNECT`` proxy that ends each tunnel itself with real TLS
(a certificate for Salesforce's host names, signed by a throwaway CA) and carries the
decrypted HTTP to a :class:`~checks.simulator.SimServer`. A client with ``HTTPS_PROXY``
pointing here and ``SSL_CERT_FILE`` at :meth:`TLSFront.ca_bundle` (certifi's roots plus the
throwaway CA, so loading it costs what certifi's does) runs exactly as against the internet:
its own SSLContext, proxy tunnel, certificate verification and host name check.

It stamps, with the system-wide monotonic clock, when each tunnel's first TLS byte arrives
(the first byte that reaches "Salesforce") and when each answer byte leaves, so a client in
another process can tell its local work from the wait.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOSTS = ["login.salesforce.com", "test.salesforce.com", "*.my.salesforce.com", "*.sandbox.my.salesforce.com",
         "*.develop.my.salesforce.com"]


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for HOSTS signed by it: (ca, cert, key) files."""
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aprity bench CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(leaf.public_bytes(pem))
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_file, cert_file, key_file


class TLSFront:
    """See the module docstring. ``upstream``: the simulator's loopback ``(host, port)``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._dir = tempfile.TemporaryDirectory(prefix="tls-front-")
        folder = Path(self._dir.name)
        ca_file, cert_file, key_file = _certificates(folder)
        self.ca_bundle = folder / "bundle.pem"  # certifi's roots and the throwaway CA, as a proxy's users do
        self.ca_bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca_file.read_bytes())
        self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ctx.load_cert_chain(cert_file, key_file)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self.first_in: list[float] = []  # per tunnel: when its first TLS byte arrived
        self.out: list[float] = []  # when each answer chunk left
        threading.Thread(target=self._accept, name="tls-front", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            target = head.split(b" ", 2)[1].decode("ascii", "replace")
            host = target.rsplit(":", 1)[0]
            if not head.startswith(b"CONNECT ") or not host.endswith(".salesforce.com"):
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection(self._upstream)  # the "TCP connect" to Salesforce
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            conn.recv(1, socket.MSG_PEEK)
            with self._lock:
                self.first_in.append(time.monotonic())
            try:
                tls = self._ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                upstream.close()
                return
            with tls, upstream:
                self._pipe(tls, upstream)

    def _pipe(self, tls: ssl.SSLSocket, upstream: socket.socket) -> None:
        # One thread per tunnel: an SSL object must not read and write from two threads at once.
        sel = selectors.DefaultSelector()
        sel.register(tls, selectors.EVENT_READ)
        sel.register(upstream, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in sel.select(60):
                    if key.fileobj is tls:
                        data = tls.recv(65536)
                        while data and tls.pending():
                            data += tls.recv(tls.pending())
                        if not data:
                            return
                        upstream.sendall(data)
                    else:
                        data = upstream.recv(65536)
                        if not data:
                            return
                        tls.sendall(data)
                        with self._lock:
                            self.out.append(time.monotonic())
        except (ssl.SSLError, OSError):
            return
        finally:
            sel.close()

    def window(self, start: float, end: float) -> tuple[float | None, float | None]:
        """The first byte in and the last answer out between ``start`` and ``end``."""
        with self._lock:
            first = [t for t in self.first_in if start <= t <= end]
            last = [t for t in self.out if start <= t <= end]
        return (min(first) if first else None), (max(last) if last else None)

    def close(self) -> None:
        self._listener.close()
        self._dir.cleanup()
