"""Shared fixtures: a simulated Salesforce world served over real loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import LoopbackTransport, SimServer, Simulator


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(Simulator(), tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="session")
def sim_server(world: World) -> Iterator[SimServer]:
    with SimServer(world.sim) as server:
        yield server


@pytest.fixture
def make_engine(sim_server: SimServer) -> Iterator[Callable[..., Engine]]:
    """Engines that reach the simulator over real HTTP; clock offset in seconds."""
    clients: list[SalesforceClient] = []

    def factory(offset: float = 0.0, allowlist: Allowlist | None = None) -> Engine:
        client = SalesforceClient(allowlist or Allowlist(),
                                  transport_factory=lambda: LoopbackTransport(sim_server.url))
        clients.append(client)
        return Engine(client, clock=lambda: time.time() + offset)

    yield factory
    for c in clients:
        c.close()
