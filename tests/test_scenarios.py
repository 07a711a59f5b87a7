"""Every cause in the guide, and each other outcome, end to end over loopback HTTP."""

from __future__ import annotations

import pytest

from checks.model import STEP_ORDER, CauseId, Confidence, Status, StepId
from checks.scenarios import SCENARIOS, by_name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_diagnosis(scenario, world, make_engine) -> None:
    conn = scenario.build(world)
    d = make_engine(scenario.clock_offset).diagnose(conn)
    assert [s.id for s in d.steps] == list(STEP_ORDER)
    if scenario.expected is None:
        assert d.ok, d.evidence
        assert d.cause is None
        assert d.org is not None and d.org.id and d.org.id.startswith("00D")
        assert all(s.status == Status.PASS for s in d.steps), [(s.id, s.status, s.finding) for s in d.steps]
        return
    assert not d.ok
    assert d.cause is not None, d.evidence
    assert (d.cause.id, d.cause.confidence) == (scenario.expected, scenario.confidence), (d.candidates, d.evidence)
    failing = [s for s in d.steps if s.status == Status.FAIL]
    assert failing, "a failing diagnosis names at least one failing step"
    for step in failing:
        assert step.fix, f"{step.id} fails without a fix"


def _diagnose(name, world, make_engine):
    s = by_name(name)
    return make_engine(s.clock_offset).diagnose(s.build(world))


def test_sandbox_probe_is_named_in_evidence(world, make_engine) -> None:
    d = _diagnose("sandbox-on-login", world, make_engine)
    assert any("test.salesforce.com" in e and "sandbox" in e for e in d.evidence), d.evidence
    assert d.step(StepId.USERNAME_LOGIN_URL).status == Status.FAIL
    assert d.error is not None and d.error.error_description == "user hasn't approved this consumer"


def test_signatures_off_keeps_both_candidates(world, make_engine) -> None:
    """The token endpoint cannot tell 'another certificate' from 'signatures off': say both."""
    d = _diagnose("signatures-off", world, make_engine)
    ids = {c.id: c.confidence for c in d.candidates}
    assert ids.get(CauseId.DIGITAL_SIGNATURES_DISABLED) == Confidence.MEDIUM
    assert all(c.confidence != Confidence.HIGH for c in d.candidates)


def test_signature_probe_clears_certificate(world, make_engine) -> None:
    """Invalid assertion for an unknown user: the bogus-audience probe proves the signature is fine."""
    from dataclasses import replace

    s = by_name("healthy")
    o, a, u = world.org("sirius", org={"unknown_user_error": "invalid_assertion"})
    conn = replace(world.connection("ghost", o, a, u), username="nobody@sirius.com")
    d = make_engine().diagnose(conn)
    assert d.error.error_description == "invalid assertion"
    assert CauseId.CERTIFICATE_MISMATCH not in {c.id for c in d.candidates}
    assert d.step(StepId.DIGITAL_SIGNATURES).status == Status.PASS
    assert d.cause.id == CauseId.USERNAME_OR_LOGIN_URL
    assert d.cause.confidence != Confidence.HIGH


def test_not_retryable_outcomes(world, make_engine) -> None:
    assert not _diagnose("bad-key", world, make_engine).retryable
    assert not _diagnose("my-domain-typo", world, make_engine).retryable
    assert _diagnose("not-preauthorized", world, make_engine).retryable


def test_clock_step_reports_skew(world, make_engine) -> None:
    d = _diagnose("clock-behind", world, make_engine)
    clock = d.step(StepId.CLOCK)
    assert clock.status == Status.FAIL and "behind" in clock.finding


def test_healthy_reports_org_and_scopes(world, make_engine) -> None:
    d = _diagnose("healthy", world, make_engine)
    assert "api" in d.step(StepId.OAUTH_SETTINGS).finding
    assert d.org.is_sandbox is False and d.org.name


def test_propagation_delay_fix_takes_effect_later(tmp_path) -> None:
    """A fixed profile assignment is invisible until Salesforce propagates it."""
    import time as _time

    from checks.engine import Engine
    from checks.hosts import Allowlist
    from checks.salesforce import SalesforceClient
    from checks.scenarios import PROFILE, World
    from checks.simulator import Simulator

    now = [1_800_000_000.0]
    sim = Simulator(clock=lambda: now[0], propagation_delay=300)
    w = World(sim, tmp_path)
    o, a, u = w.org("wonka", app={"profiles": frozenset()})
    conn = w.connection("wonka", o, a, u)
    engine = Engine(SalesforceClient(Allowlist(), transport=sim.transport()), clock=lambda: now[0])
    assert engine.diagnose(conn).cause.id == CauseId.USER_NOT_PREAUTHORIZED
    sim.change_app(a.consumer_key, profiles=frozenset({PROFILE}))
    now[0] += 120
    assert not engine.diagnose(conn).ok
    now[0] += 200
    assert engine.diagnose(conn).ok
    del _time
