"""Shared fixtures: a simulated Salesforce world served over real loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import LoopbackTransport, SimServer, Simulator

TESTS = Path(__file__).resolve().parent
# The files that take longest (bot processes, a browser, real waits for Slack and Salesforce), longest
# first. make test gives each xdist worker whole files in collection order: starting these first keeps
# a long one from being the last to start while the other workers sit idle. A stale entry costs nothing.
LONG_FIRST = ("deploy/test_wheel.py", "playground/test_playground_page.py", "playground/test_playground_browser.py",
              "sessions/test_slack_faults.py", "sessions/test_retests.py", "serve/test_socket_mode.py",
              "serve/test_overlap.py", "serve/test_shutdown.py", "serve/test_http_guard.py",
              "serve/test_deploy_restart.py", "slack/test_slack_end_to_end.py", "checks/test_deadline.py",
              "checks/test_explain_safety.py", "policy/test_secrets_never_leave.py",
              "playground/test_playground_http.py", "checks/test_unreachable_sides.py", "slack/test_access_in_slack.py",
              "sessions/test_crash_recovery.py", "playground/test_playground.py", "watch/test_watch_restart.py",
              "slack/test_escalation_and_certificate.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FIRST)}

    def order(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(TESTS).as_posix(), len(rank))
        except ValueError:
            return len(rank)

    items.sort(key=order)  # stable: every other file, and the tests inside each file, keep their order


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
