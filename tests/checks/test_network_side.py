"""Our network is not their configuration: egress down vs a mistyped My Domain, over loopback HTTP."""

from __future__ import annotations

import pytest

from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.model import CauseId, Confidence, Status, StepId
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import LoopbackTransport, SimServer, Simulator


@pytest.fixture
def own(tmp_path):
    """A world of its own: switching its egress off must not disturb the shared simulator."""
    world = World(Simulator(), tmp_path)
    with SimServer(world.sim) as server:
        client = SalesforceClient(Allowlist(), transport=LoopbackTransport(server.url))
        yield world, Engine(client)
        client.close()


def test_egress_down_is_our_side_and_retried(own) -> None:
    world, engine = own
    o, a, u = world.org("aperture")
    conn = world.connection("egress", o, a, u, login_url="https://apertrue.my.salesforce.com")
    world.sim.set_egress_down(True)
    d = engine.diagnose(conn)
    assert (d.cause.id, d.cause.confidence) == (CauseId.SALESFORCE_UNREACHABLE, Confidence.HIGH)
    assert d.retryable, "an outage on our side must plan retests"
    assert any("machine running aprity" in e and "not the org's configuration" in e for e in d.evidence)
    assert not any("mistyped" in e for e in d.evidence)
    # The well-known host was asked through the same client and transport, and failed too.
    failed = {e["host"] for e in world.sim.log if e["fault"] == "egress_down"}
    assert {"apertrue.my.salesforce.com", "login.salesforce.com"} <= failed
    assert d.step(StepId.USERNAME_LOGIN_URL).status == Status.SKIP
    fix = " ".join(d.step(StepId.TOKEN_EXCHANGE).fix)
    assert "machine running aprity" in fix
    world.sim.set_egress_down(False)
    typo = engine.diagnose(conn)
    assert (typo.cause.id, typo.cause.confidence) == (CauseId.USERNAME_OR_LOGIN_URL, Confidence.HIGH)
    assert not typo.retryable and any("probably mistyped" in e for e in typo.evidence)
    assert typo.step(StepId.USERNAME_LOGIN_URL).status == Status.FAIL


def test_generic_host_unreachable_is_never_a_typo(own) -> None:
    world, engine = own
    o, a, u = world.org("globex")
    world.sim.set_egress_down(True)
    d = engine.diagnose(world.connection("generic", o, a, u))
    assert d.cause.id == CauseId.SALESFORCE_UNREACHABLE and d.retryable
    assert not any("mistyped" in e for e in d.evidence)


def test_maintenance_page_is_salesforce_unavailable_without_proxy_advice(own) -> None:
    world, engine = own
    o, a, u = world.org("monsters")
    world.sim.set_outage(o.host, "html")
    d = engine.diagnose(world.connection("maintenance", o, a, u, login_url=o.instance_url))
    assert d.cause.id == CauseId.SALESFORCE_UNREACHABLE and d.retryable
    text = " ".join(d.step(StepId.TOKEN_EXCHANGE).fix + d.step(StepId.TOKEN_EXCHANGE).verify)
    assert "proxy" not in text and "status.salesforce.com" in text
