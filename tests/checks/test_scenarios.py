"""Every cause in the guide, and each other outcome, end to end over loopback HTTP."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from checks.model import STEP_ORDER, CauseId, Confidence, Status, StepId
from checks.scenarios import SCENARIOS, by_name, consumer_key
from checks.simulator import SimTransport


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_diagnosis(scenario, world, make_engine) -> None:
    conn = scenario.build(world)
    d = make_engine(scenario.clock_offset).diagnose(conn)
    assert [s.id for s in d.steps] == list(STEP_ORDER)
    if scenario.expected is None:
        assert d.ok, d.evidence
        assert d.cause is None
        assert d.org is not None and d.org.id and d.org.id.startswith("00D")
        # A working connection fails no step; only the local certificate may still deserve a warning.
        assert all(s.status == Status.PASS or (s.id == StepId.CERTIFICATE and s.status == Status.WARN)
                   for s in d.steps), [(s.id, s.status, s.finding) for s in d.steps]
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
    from checks.engine import Engine
    from checks.salesforce.hosts import Allowlist
    from checks.salesforce.client import SalesforceClient
    from checks.scenarios import PROFILE, World
    from checks.simulator import Simulator

    now = [1_800_000_000.0]
    sim = Simulator(clock=lambda: now[0], propagation_delay=300)
    w = World(sim, tmp_path)
    o, a, u = w.org("wonka", app={"profiles": frozenset()})
    conn = w.connection("wonka", o, a, u)
    engine = Engine(SalesforceClient(Allowlist(), transport=SimTransport(sim)), clock=lambda: now[0])
    assert engine.diagnose(conn).cause.id == CauseId.USER_NOT_PREAUTHORIZED
    sim.change_app(a.consumer_key, profiles=frozenset({PROFILE}))
    now[0] += 120
    assert not engine.diagnose(conn).ok
    now[0] += 200
    assert engine.diagnose(conn).ok


@pytest.mark.parametrize("mode,words", [
    ("timeout", "timed out"), ("server_error", "HTTP 500"), ("garbage", "not JSON"), ("empty", "empty body"),
    ("html", "HTML page"), ("connect_error", "DNS lookup failed"),
])
def test_salesforce_unreachable_outcomes(world, sim_server, mode, words) -> None:
    """Every way the token endpoint can fail to answer ends as salesforce_unreachable (or a typo'd host)."""
    import httpx

    from checks.engine import Engine
    from checks.salesforce.hosts import Allowlist
    from checks.salesforce.client import SalesforceClient
    from checks.simulator import LoopbackTransport

    o, a, u = world.org(f"outage-{mode.replace('_', '-')}")
    world.sim.set_outage(o.host, mode)
    conn = world.connection(mode, o, a, u, login_url=o.instance_url)
    client = SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(sim_server.url),
                              timeout=httpx.Timeout(1.0, connect=1.0))
    try:
        d = Engine(client).diagnose(conn)
    finally:
        client.close()
    assert not d.ok and d.error.error == "unreachable" and words in d.error.error_description
    expected = CauseId.USERNAME_OR_LOGIN_URL if mode == "connect_error" else CauseId.SALESFORCE_UNREACHABLE
    assert d.cause.id == expected
    assert d.retryable == (mode != "connect_error")


def test_inactive_org(world, make_engine) -> None:
    o, a, u = world.org("expired-trial", org={"active": False})
    d = make_engine().diagnose(world.connection("expired", o, a, u))
    assert (d.cause.id, d.cause.confidence) == (CauseId.USER_OR_ORG_INACTIVE, Confidence.HIGH)
    assert d.error.error_description == "inactive organization"


def test_production_username_on_sandbox_host(world, make_engine) -> None:
    from dataclasses import replace

    prod = world.org("pinewood")
    o, a, u = world.org("pinewood--qa", sandbox_of="pinewood")
    conn = replace(world.connection("prod-user-on-test", o, a, u), username=prod[2].username)
    d = make_engine().diagnose(conn)
    assert (d.cause.id, d.cause.confidence) == (CauseId.USERNAME_OR_LOGIN_URL, Confidence.HIGH)
    assert any("login.salesforce.com" in e and "production" in e for e in d.evidence), d.evidence


def test_simulate_command_serves_over_loopback(tmp_path) -> None:
    """`aprity-diagnose simulate` + APRITY_SALESFORCE_SIMULATOR: the CLI diagnoses across processes."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    keys_dir = tmp_path / "keys"
    sim = subprocess.Popen([sys.executable, "-m", "bot", "simulate", "--port", str(port), "--keys", str(keys_dir)],
                           stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(ln.strip().startswith("healthy") for ln in lines):
            line = sim.stdout.readline()
            assert line, "simulate exited early"
            lines.append(line)
        healthy = next(ln for ln in lines if ln.strip().startswith("healthy")).split()
        username, login = healthy[1], healthy[3]
        # The consumer key is printed shortened; the scenario module rebuilds it deterministically.
        from checks.scenarios import consumer_key

        env = {**os.environ, "APRITY_SALESFORCE_SIMULATOR": f"http://127.0.0.1:{port}"}
        proc = subprocess.run([sys.executable, "-m", "bot", "check", "--username", username, "--login-url", login,
                               "--consumer-key", consumer_key("globex"), "--private-key",
                               str(keys_dir / "aprity.key"), "--json"], env=env, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(proc.stdout)["org"]["name"] == "Globex Inc."
    finally:
        sim.terminate()
        sim.wait(10)


def test_sandbox_only_app_key_on_production_is_not_a_confident_answer(world, make_engine) -> None:
    """The key is known at test.salesforce.com but the user is a production user: two causes stay open."""
    from dataclasses import replace

    from checks.scenarios import consumer_key

    prod = world.org("quartz")
    world.org("quartz--dev", sandbox_of="quartz", app={"consumer_key": consumer_key("quartz-sandbox-only")})
    conn = replace(world.connection("wrong-app", *prod), consumer_key=consumer_key("quartz-sandbox-only"))
    d = make_engine().diagnose(conn)
    assert d.error.error == "invalid_client_id"
    assert all(c.confidence != Confidence.HIGH for c in d.candidates), d.candidates
    assert {CauseId.USERNAME_OR_LOGIN_URL, CauseId.CONSUMER_KEY_MISMATCH} <= {c.id for c in d.candidates}


def test_token_without_scope_field_trusts_the_live_calls(world) -> None:
    """No `scope` in the token answer is not proof that `api` is missing when the REST and SOAP calls work."""
    import httpx

    from checks.engine import Engine
    from checks.salesforce.hosts import Allowlist
    from checks.salesforce.client import SalesforceClient

    inner = SimTransport(world.sim)

    class DropScope(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            if request.url.path != "/services/oauth2/token" or response.status_code != 200:
                return response
            body = json.loads(response.read())
            body.pop("scope", None)
            return httpx.Response(200, json=body, headers={"Date": response.headers["Date"]})

    conn = world.connection("no-scope-field", *world.org("scopeless"))
    with SalesforceClient(Allowlist(), transport=DropScope()) as client:
        d = Engine(client).diagnose(conn)
    assert d.ok and d.cause is None, (d.candidates, d.evidence)
    assert d.step(StepId.VERIFICATION).status == Status.PASS


@pytest.mark.parametrize("sandbox_user", [True, False])
def test_my_domain_of_the_wrong_environment_probes_the_other_one(world, make_engine, sandbox_user) -> None:
    """A sandbox user sent to the production My Domain (or the reverse) is found by the other generic host."""
    prod = world.org("helios")
    sandbox = world.org("helios--uat", sandbox_of="helios")
    host_org, user_org = (prod, sandbox) if sandbox_user else (sandbox, prod)
    conn = world.connection("wrong-env-my-domain", *host_org, login_url=host_org[0].instance_url)
    conn = replace(conn, username=user_org[2].username)
    d = make_engine().diagnose(conn)
    assert (d.cause.id, d.cause.confidence) == (CauseId.USERNAME_OR_LOGIN_URL, Confidence.HIGH), d.evidence
    right = "test.salesforce.com" if sandbox_user else "login.salesforce.com"
    assert any(f"accepted by {right}" in e for e in d.evidence), d.evidence
    assert not any("switching between production and sandbox hosts does not help" in e for e in d.evidence)


def test_key_known_at_the_other_host_is_not_called_a_refusal(world, make_engine) -> None:
    """'invalid assertion' at test.salesforce.com means the key is known there: never 'switching does not help'."""
    world.org("eos")
    o, a, u = world.org("eos--uat", sandbox_of="eos",
                        app={"consumer_key": consumer_key("eos-sandbox-only"), "certificate_pem": world.other_cert})
    conn = world.connection("sandbox-app-on-login", o, a, u, login_url="https://login.salesforce.com",
                            certificate_file=None)
    d = make_engine().diagnose(conn)
    assert d.error.error == "invalid_client_id"
    assert not any("does not help" in e for e in d.evidence), d.evidence
    assert any("test.salesforce.com knows this consumer key" in e for e in d.evidence), d.evidence
    assert (d.cause.id, d.cause.confidence) == (CauseId.USERNAME_OR_LOGIN_URL, Confidence.MEDIUM), d.candidates


def test_eca_on_my_domain_refuses_generic_audience(world, make_engine) -> None:
    """Spring '26: an External Client App wants the My Domain as audience too; the probe must not 'succeed'."""
    o, a, u = world.org("zenith", app={"external_client_app": True})
    d = make_engine().diagnose(world.connection("eca-my-domain", o, a, u, login_url=o.instance_url))
    assert d.ok, d.evidence  # My Domain for host and audience: works
    d = make_engine().diagnose(world.connection("eca-generic", o, a, u, login_url="https://login.salesforce.com"))
    assert d.cause.id == CauseId.USERNAME_OR_LOGIN_URL and d.error.error == "app_not_found"


def test_server_error_with_json_body_is_unreachable() -> None:
    import httpx

    from checks.salesforce.hosts import Allowlist
    from checks.salesforce.client import SalesforceClient

    body = {"error": "unknown_error", "error_description": "retry your request"}
    transport = httpx.MockTransport(lambda request: httpx.Response(503, json=body,
                                                                    headers={"Date": "Sat, 28 Nov 2026 14:00:00 -0000"}))
    reply = SalesforceClient(Allowlist(), transport=transport).exchange("https://login.salesforce.com", "a.b.c")
    assert reply.error.error == "unreachable" and "unknown_error: retry your request" in reply.error.error_description
    assert reply.server_date is not None and reply.server_date.tzinfo is not None


def test_user_without_api_enabled(world, make_engine) -> None:
    o, a, u = world.org("no-api-user", user={"api_enabled": False})
    d = make_engine().diagnose(world.connection("no-api-user", o, a, u))
    assert (d.cause.id, d.cause.confidence) == (CauseId.METADATA_ACCESS_MISSING, Confidence.HIGH)
    assert any("API is disabled for this User" in e for e in d.evidence)


def test_identity_failure_alone_does_not_fail_a_working_connection() -> None:
    from checks.rules.causes import judge
    from checks.connections import Connection
    from checks.rules.facts import Facts, Verification
    from checks.salesforce.client import AccessToken, ApiReply, TokenReply

    facts = Facts(connection=Connection("a@b.com", "https://login.salesforce.com", "3MVG9x"), now=0.0)
    facts.reply = TokenReply("https://login.salesforce.com/services/oauth2/token", 200,
                             token=AccessToken("t"), scope=("api",))
    ok_org = ApiReply(True, 200, data={"Id": "00D000000000001AAA"})
    facts.verification = Verification(identity=ApiReply(False, 403, code="Bad_OAuth_Token"), organization=ok_org,
                                       metadata=ApiReply(True, 200, data={"metadata_types": 3}))
    verdict = judge(facts)
    assert verdict.ok and any("identity URL did not answer" in e for e in verdict.evidence)
    facts.verification.metadata = ApiReply(False, None, code="UNREACHABLE", message="timed out")
    assert not judge(facts).ok
