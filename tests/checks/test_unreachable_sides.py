"""A run cut by its deadline, or a host that is slow: "Salesforce did not answer" is nobody's proven fault.

Only a failure to reach login.salesforce.com at all (DNS, connect, proxy) is put on the side of the
machine running aprity; a host that accepted the connection and then answered too slowly is not.
Over real loopback sockets; the simulator drips one byte every 0.2 s.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.model import CauseId, Status, StepId
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import LoopbackTransport, SimServer, Simulator
from checks.simulator.world import LOGIN_HOST

OUR_SIDE = "machine running aprity is failing"


@pytest.fixture
def slow(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(drip_interval=0.2), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def _diagnose(url: str, conn, deadline: float):
    engine = Engine(SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(url)),
                    deadline=deadline, surface="slack")
    try:
        return engine.diagnose(conn)
    finally:
        engine.client.close()


def _not_reached_steps_skip(d) -> None:
    for step in (StepId.CONSUMER_KEY, StepId.OAUTH_SETTINGS, StepId.DIGITAL_SIGNATURES, StepId.PRE_AUTHORIZATION,
                 StepId.USERNAME_LOGIN_URL, StepId.CLOCK, StepId.VERIFICATION):
        assert d.step(step).status == Status.SKIP, (step, d.step(step).finding)


@pytest.mark.parametrize("mode", ["drip", "timeout"])
def test_slow_login_host_cut_by_the_deadline_is_not_called_our_network(slow, mode) -> None:
    world, url = slow
    o, a, u = world.org("slowlogin")
    world.sim.set_outage(LOGIN_HOST, mode)
    d = _diagnose(url, world.connection("slowlogin", o, a, u), deadline=1.0)
    assert d.cause.id == CauseId.SALESFORCE_UNREACHABLE and d.retryable
    assert d.error.error_description == "Salesforce did not answer within 1 s"
    text = " ".join(d.evidence + list(d.step(StepId.TOKEN_EXCHANGE).fix))
    assert OUR_SIDE not in text and "on the side of the machine running aprity" not in text, text
    assert "may be slow" in text and "org's configuration was not reached" in text
    _not_reached_steps_skip(d)


def test_well_known_question_cut_by_the_deadline_is_unknown_not_our_network(slow) -> None:
    world, url = slow
    o, a, u = world.org("refusing")
    world.sim.set_outage(o.host, "connect_error")  # the My Domain refuses at once...
    world.sim.set_outage(LOGIN_HOST, "drip")  # ...and the question "does login.salesforce.com answer?" drips
    d = _diagnose(url, world.connection("refusing", o, a, u, login_url=f"https://{o.host}"), deadline=1.0)
    assert d.cause.id == CauseId.SALESFORCE_UNREACHABLE and d.retryable
    assert any(e["host"] == LOGIN_HOST and e["method"] == "GET" for e in world.sim.log), "the question was asked"
    assert not any(OUR_SIDE in e or "mistyped" in e for e in d.evidence), d.evidence
    _not_reached_steps_skip(d)


def test_egress_down_is_still_our_side(slow) -> None:
    world, url = slow
    o, a, u = world.org("offline")
    world.sim.set_egress_down(True)
    d = _diagnose(url, world.connection("offline", o, a, u), deadline=5)
    assert d.cause.id == CauseId.SALESFORCE_UNREACHABLE and any(OUR_SIDE in e for e in d.evidence)
    assert "on the side of the machine running aprity" in " ".join(d.step(StepId.TOKEN_EXCHANGE).fix)


def test_verification_reads_cut_by_the_deadline_warn_not_fail(slow) -> None:
    """The login worked; reads that got no answer leave metadata access unproven, not refused."""
    world, url = slow
    o, a, u = world.org("slowreads")
    world.sim.set_outage(o.host, "drip")  # the token comes from login.salesforce.com, the reads from the My Domain
    d = _diagnose(url, world.connection("slowreads", o, a, u), deadline=1.5)
    assert not d.ok and d.cause.id == CauseId.SALESFORCE_UNREACHABLE and d.cause.confidence != "high"
    assert d.step(StepId.TOKEN_EXCHANGE).status == Status.PASS
    assert d.step(StepId.VERIFICATION).status == Status.WARN
    assert not any(s.status == Status.FAIL for s in d.steps), [(s.id, s.status) for s in d.steps]


def test_escalation_does_not_quote_a_missing_answer_as_salesforce_s_error(slow) -> None:
    from datetime import datetime, timezone

    from bot.blocks import EscalationView, escalation_message
    from bot_harness import all_text

    world, url = slow
    o, a, u = world.org("silent")
    world.sim.set_outage(LOGIN_HOST, "timeout")
    d = _diagnose(url, world.connection("silent", o, a, u), deadline=1.0)
    view = EscalationView.from_diagnosis(d, session_id="s1", connection=d.connection, requester_id="U0REQ",
                                         escalated_by="U0REQ", escalated_at=datetime.now(timezone.utc))
    text = all_text(escalation_message(view))
    assert "No answer from Salesforce" in text and "did not answer within 1 s" in text
    assert "Last error from Salesforce" not in text and "none recorded" not in text
