"""A connection pool per diagnosis, so a run's connections live and die with the run.

Keep-alive lets round 2 reuse the connections warmed while round 1 was in flight, but a
pooled connection opened by another run would be one whose socket this run's deadline
never saw. So each run gets its own httpx client, made cheaply from set-up done once (the
process's one SSLContext, see trust.py; proxies from the environment), and every connection
in it is opened under the run's :class:`~checks.salesforce.deadline.Cutoff`, which can cut them all.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable

# httpx imports httpcore (and h11, idna) only when it makes its first transport: imported here,
# that ~30 ms is paid at start-up rather than inside a run, before its first byte.
import encodings.idna  # noqa: F401
import httpcore  # noqa: F401
import httpx

from checks.salesforce.deadline import Cutoff, Deadline
from checks.salesforce.trust import trust_context

TransportFactory = Callable[[], httpx.BaseTransport]


class _Shared(httpx.BaseTransport):
    """An injected transport lent to one run: the run's end must not close it for the others."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


class Pools:
    """Makes each run's httpx client.

    ``transport_factory`` gives each run a fresh transport (use it for anything that keeps
    connections, e.g. the simulator's LoopbackTransport); ``transport`` is one transport
    shared by every run (fine for in-process ones that hold no sockets). With neither,
    httpx's own transport with ``trust_env``: HTTPS_PROXY and SSL_CERT_FILE apply, and the trust
    store is loaded here, when the client is made, not in its first run.
    """

    def __init__(self, *, transport: httpx.BaseTransport | None, transport_factory: TransportFactory | None,
                 timeout: httpx.Timeout, headers: dict[str, str]) -> None:
        if transport is not None and transport_factory is not None:
            raise ValueError("pass a transport or a transport_factory, not both")
        self._transport = transport
        self._factory = transport_factory
        self._timeout = timeout
        self._headers = headers
        self._ssl: ssl.SSLContext | None = trust_context() if transport is None and transport_factory is None else None

    def client(self) -> httpx.Client:
        common = {"timeout": self._timeout, "follow_redirects": False, "headers": self._headers}
        if self._factory is not None:
            return httpx.Client(transport=self._factory(), **common)
        if self._transport is not None:
            return httpx.Client(transport=_Shared(self._transport), **common)
        return httpx.Client(verify=self._ssl, trust_env=True, **common)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class RunPool:
    """One run's connections: its httpx client (made on first use) and the cutoff over them."""

    def __init__(self, pools: Pools, deadline: Deadline) -> None:
        self.cutoff = Cutoff(deadline)
        self._pools = pools
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def deadline(self) -> Deadline:
        return self.cutoff.deadline

    def http(self) -> httpx.Client:
        """The run's client; raises httpx.TransportError once the run has ended."""
        with self._lock:
            if self.cutoff.closed:
                raise httpx.TransportError("this run has ended; its connections are closed")
            if self._http is None:
                self._http = self._pools.client()
            self.cutoff.arm()
            return self._http

    def close(self) -> None:
        """Cut every connection of the run (a warm-up still waiting included), then close the pool."""
        with self._lock:
            self.cutoff.close()
            http, self._http = self._http, None
        if http is not None:
            http.close()
