"""httpx transports onto the simulator: in-process, or over real loopback HTTP.

:class:`SimTransport` answers without sockets, routed by the URL's host.
:class:`LoopbackTransport` sends each request to a :class:`~.server.SimServer`
while keeping the original ``Host`` header, as if DNS pointed every Salesforce
host at the loopback server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from checks.simulator.core import DNS_FAILURE, NETWORK_DOWN, Unreachable
from checks.simulator.wire import SimRequest, SimResponse, is_loopback

if TYPE_CHECKING:
    from checks.simulator.core import Simulator

# Set by the server when it simulates a failure that has no HTTP answer in reality.
FAULT_HEADER = "X-Simulator-Fault"


def _raise_unreachable(kind: str, message: str, request: httpx.Request) -> None:
    if kind == "timeout":
        raise httpx.ReadTimeout(message, request=request)
    raise httpx.ConnectError(message, request=request)


def to_sim_request(request: httpx.Request, host: str) -> SimRequest:
    """The httpx request as the simulator sees it, answered as ``host``."""
    return SimRequest(
        method=request.method.upper(),
        host=host.lower(),
        path=request.url.path,
        query=request.url.query.decode("ascii", "replace"),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=request.read(),
    )


class SimTransport(httpx.BaseTransport):
    """In-process transport: no sockets, routed by ``request.url.host``."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = self._sim.respond(to_sim_request(request, request.url.host))
        except Unreachable as exc:
            _raise_unreachable(exc.kind, str(exc), request)
            raise  # unreachable: _raise_unreachable always raises
        if answer.drip is not None:
            stop = threading.Event()
            return httpx.Response(answer.status, headers=answer.headers, request=request,
                                  stream=_Drip(answer, stop))
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)


class _Drip(httpx.SyncByteStream):
    """A dripping body in-process; closing the response stops it."""

    def __init__(self, answer: "SimResponse", stop: threading.Event) -> None:
        self._answer, self._stop = answer, stop

    def __iter__(self) -> Iterator[bytes]:
        yield from self._answer.chunks(self._stop.wait)

    def close(self) -> None:
        self._stop.set()


class LoopbackTransport(httpx.BaseTransport):
    """Carry each request to a loopback simulator server, keeping the original ``Host``."""

    def __init__(self, server_url: str, inner: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(server_url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not is_loopback(host):
            # Rewriting every Salesforce URL to a remote address would leak requests off the machine.
            raise ValueError(f"{server_url!r} is not a loopback http(s) URL (127.0.0.0/8, ::1, localhost)")
        self._scheme = parts.scheme
        self._host = host
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._inner = inner
        # One connection pool per Salesforce host, as DNS would give each its own address:
        # keep-alive never carries a request for one host over another host's connection.
        self._pools: dict[str, httpx.BaseTransport] = {}
        self._pools_lock = threading.Lock()

    def _pool(self, original_host: str) -> httpx.BaseTransport:
        if self._inner is not None:
            return self._inner
        with self._pools_lock:
            pool = self._pools.get(original_host.lower())
            if pool is None:
                # Plain http to loopback needs no certificate store (loading one costs ~20 ms per pool).
                pool = httpx.HTTPTransport(verify=self._scheme == "https")
                self._pools[original_host.lower()] = pool
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original_host = request.headers.get("host") or request.url.netloc.decode("ascii")
        headers = request.headers.copy()
        headers["Host"] = original_host
        forwarded = httpx.Request(
            request.method,
            request.url.copy_with(scheme=self._scheme, host=self._host, port=self._port),
            headers=headers,
            content=request.read(),
            extensions=request.extensions,
        )
        response = self._pool(original_host).handle_request(forwarded)
        fault = response.headers.get(FAULT_HEADER)
        if fault:
            response.read()
            response.close()
            message = {"timeout": "timed out", "network_down": NETWORK_DOWN}.get(fault, DNS_FAILURE)
            _raise_unreachable(fault, message, request)
        return response

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
