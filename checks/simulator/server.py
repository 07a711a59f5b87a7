"""A real HTTP server on loopback that answers as every simulated Salesforce host.

Requests are routed by their ``Host`` header, so one port stands in for
login.salesforce.com, test.salesforce.com and each org's My Domain. A request
addressed to the server's own address (``127.0.0.1:PORT``) is answered as
login.salesforce.com. Failures that have no HTTP answer in reality (DNS failure,
unknown host) come back as a 502 marked with ``X-Simulator-Fault``, which
:class:`~.transport.LoopbackTransport` turns into the matching httpx exception.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from checks.simulator.core import Unreachable
from checks.simulator.transport import FAULT_HEADER
from checks.simulator.wire import TEXT_TYPE, SimRequest, SimResponse, is_loopback
from checks.simulator.world import LOGIN_HOST

if TYPE_CHECKING:
    from checks.simulator.core import Simulator

# How long a "timeout" outage holds the connection: far beyond a client's short
# read timeout, yet bounded so a forgotten client cannot pin a thread forever.
TIMEOUT_HOLD = 30.0


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: "SimServer"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that gave up (timeouts) break pipes; that is expected here


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def _is_own_address(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without TCP_NODELAY, Nagle plus the
    # client's delayed ACK adds ~40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "SFDC-Simulator"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # the simulator keeps its own log, without bodies

    def setup(self) -> None:
        super().setup()
        owner = self.server.owner
        owner.count_connection()
        sim = owner.sim
        self._connected_at: float | None = None
        if sim.connect_rtts > 0 and sim.latency > 0:
            self._connected_at = time.monotonic()
            # A new connection: TCP and TLS set-up before the first request can even be read.
            # Each connection has its own handler thread, so set-ups overlap like real ones.
            owner.closing.wait(sim.connect_rtts * sim.latency)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner.count_connection(-1)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: SimResponse) -> None:
        self.send_response_only(response.status)
        self.send_header("Server", self.server_version)
        headers = dict(response.headers)
        headers.setdefault("Date", formatdate(self.server.owner.sim.now(), usegmt=True))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if response.drip is not None:
            self._drip(response)
            return
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _drip(self, response: SimResponse) -> None:
        """Status line, headers and body one byte at a time; the simulator notes how far it got."""
        self._headers_buffer.append(b"\r\n")
        head, self._headers_buffer = b"".join(self._headers_buffer), []
        whole = SimResponse(response.status, head + (b"" if self.command == "HEAD" else response.body),
                            drip=response.drip)
        sent = 0
        try:
            for chunk in whole.chunks(self.server.owner.closing.wait):
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
        except OSError:
            pass  # the client gave up on the trickle
        self.close_connection = True
        self.server.owner.sim.note_drip(sent, len(whole.body))

    def _handle(self) -> None:
        owner = self.server.owner
        host_header = self.headers.get("Host", "").strip()
        hostname = (urlsplit(f"//{host_header}").hostname or "").lower()
        own = _is_own_address(hostname)
        split = urlsplit(self.path)
        request = SimRequest(
            method=self.command,
            host=LOGIN_HOST if own else hostname,
            path=split.path,
            query=split.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
            # Called directly, the server is also its own login URL: accept that as aud.
            extra_audiences=(f"http://{host_header}",) if own else (),
            connected_at=self._connected_at,
        )
        self._connected_at = None  # later requests on this connection reuse it: no set-up
        try:
            response = owner.sim.respond(request, log_host=hostname if own else None)
        except Unreachable as exc:
            if exc.kind == "timeout" and owner.closing.wait(TIMEOUT_HOLD):
                self.close_connection = True  # server closing: drop the connection unanswered
                return
            response = SimResponse(504 if exc.kind == "timeout" else 502, str(exc).encode(), {"Content-Type": TEXT_TYPE})
            response.headers[FAULT_HEADER] = exc.kind
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class SimServer:
    """A running loopback server for one :class:`Simulator`; close it (or use ``with``)."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"the simulator only listens on loopback, not {host!r}")
        self.sim = sim
        self.closing = threading.Event()
        self.connections = 0  # accepted so far: keep-alive reuse shows as fewer connections than requests
        self.open_connections = 0  # accepted and not yet closed (by either side)
        self._count_lock = threading.Lock()
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, port), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sf-simulator", daemon=True
        )
        self._thread.start()

    def count_connection(self, change: int = 1) -> None:
        """+1 when a connection is accepted, -1 when it ends."""
        with self._count_lock:
            self.connections += max(change, 0)
            self.open_connections += change

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        if self.closing.is_set():
            return
        self.closing.set()  # releases handlers holding a "timeout" connection
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "SimServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
