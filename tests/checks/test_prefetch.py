"""Round 2 prepared during round 1: warm-ups stay on the allowlist, keep-alive is per host,
pre-signed probe assertions are exactly what signing would give, and the simulator charges
TCP + TLS set-up to new connections only."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest

from checks.crypto.assertion import claims_for, sign
from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.prefetch import Prefetch, probe_audiences, warm_targets
from checks.salesforce.client import SalesforceClient
from checks.scenarios import by_name
from checks.simulator import LoopbackTransport, SimServer, SimTransport, Simulator


class Recording(httpx.BaseTransport):
    """The simulator in-process, remembering every (method, host) that reached it."""

    def __init__(self, sim: Simulator) -> None:
        self.inner, self.seen = SimTransport(sim), []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.host))
        return self.inner.handle_request(request)


MY_DOMAIN = "https://acme.my.salesforce.com"
SANDBOX = "https://acme--uat.sandbox.my.salesforce.com"


@pytest.mark.parametrize("origin", ["https://login.salesforce.com", "https://test.salesforce.com", MY_DOMAIN,
                                    SANDBOX, "https://login.example.test"])
def test_warm_targets_are_allowlisted_login_hosts(origin) -> None:
    allow = Allowlist.from_env("https://login.example.test")
    for target in warm_targets(origin):
        assert allow.check(target + "/") == target
    assert warm_targets("https://login.example.test") == []  # an extra origin: nothing guessed
    assert set(warm_targets(SANDBOX)) == {"https://test.salesforce.com", "https://login.salesforce.com", SANDBOX}


@pytest.mark.parametrize("url", ["https://evil.example.com", "http://login.salesforce.com",
                                 "https://login.salesforce.com:8443", "https://login.salesforce.com.evil.io"])
def test_warm_never_touches_a_host_off_the_allowlist(world, url) -> None:
    transport = Recording(world.sim)
    with SalesforceClient(Allowlist(), transport=transport) as client:
        assert client.warm(url) is False
        assert client.warm("https://test.salesforce.com") is True  # the recorder does see allowed ones
    assert transport.seen == [("HEAD", "test.salesforce.com")]


@pytest.mark.parametrize("name", ["healthy", "not-preauthorized", "cert-regenerated"])
def test_a_diagnosis_warms_only_its_round_two_hosts(world, name) -> None:
    conn = by_name(name).build(world)
    transport = Recording(world.sim)
    with SalesforceClient(Allowlist(), transport=transport) as client:
        Engine(client).diagnose(conn)
        deadline = time.monotonic() + 5
        while not any(m == "HEAD" for m, _ in transport.seen) and time.monotonic() < deadline:
            time.sleep(0.01)  # warm-ups are not waited for: let the last one land
    heads = sorted(h for m, h in transport.seen if m == "HEAD")
    assert heads == ["test.salesforce.com"]  # login.salesforce.com login: only the other environment


def test_no_warm_up_when_nothing_is_sent(world) -> None:
    transport = Recording(world.sim)
    conn = replace(by_name("healthy").build(world), login_url="https://evil.example.com")
    with SalesforceClient(Allowlist(), transport=transport) as client:
        Engine(client).diagnose(conn)
    assert transport.seen == []


def test_pre_signed_assertions_match_signing_and_only_for_the_same_claims(world) -> None:
    conn = by_name("cert-regenerated").build(world)
    from checks.crypto import keys

    key = keys.read_private_key(conn.private_key_file)
    claims = claims_for(conn.consumer_key, conn.username, MY_DOMAIN, 1_700_000_000)
    with SalesforceClient(Allowlist(), transport=Recording(world.sim)) as client:
        pre = Prefetch(client, MY_DOMAIN, key, claims)
        try:
            assert probe_audiences(MY_DOMAIN)  # a My Domain has probes to prepare
            for aud in probe_audiences(MY_DOMAIN):
                probe = claims_for(conn.consumer_key, conn.username, aud, 1_700_000_000)
                assert pre.assertion(probe) == sign(probe, key)
                assert pre.assertion(replace(probe, exp=probe.exp + 1)) is None
                assert pre.assertion(replace(probe, sub="someone@else.example")) is None
            assert pre.assertion(replace(claims, aud="https://unplanned.my.salesforce.com")) is None
        finally:
            pre.close()


def test_loopback_keep_alive_is_per_host_and_set_up_costs_two_round_trips(world) -> None:
    sim = Simulator(connect_rtts=2, latency=0.05)
    with SimServer(sim) as server, httpx.Client(transport=LoopbackTransport(server.url)) as http:
        for _ in range(2):
            http.get("https://login.salesforce.com/nothing-here")
        assert server.connections == 1  # the second request reused the first's connection
        http.get("https://test.salesforce.com/nothing-here")
        assert server.connections == 2  # another host never rides on login's connection
    first, second, third = sim.log
    assert first["ended"] - first["started"] >= 3 * 0.05  # TCP + TLS + the request
    assert second["ended"] - second["started"] >= 0.05
    assert third["ended"] - third["started"] >= 3 * 0.05


def test_probes_use_the_prepared_assertions(world, monkeypatch) -> None:
    import checks.engine

    signed_by_engine = []
    real = checks.engine.sign
    monkeypatch.setattr(checks.engine, "sign", lambda claims, key: signed_by_engine.append(claims.aud) or
                        real(claims, key))
    conn = by_name("cert-regenerated").build(world)  # invalid assertion: two probes in round 2
    with SalesforceClient(Allowlist(), transport=SimTransport(world.sim)) as client:
        d = Engine(client).diagnose(conn)
    assert not d.ok and d.cause is not None
    assert signed_by_engine == ["https://login.salesforce.com"]  # round 1 only: probes were pre-signed


def test_a_warm_up_stuck_on_a_silent_host_does_not_hold_the_cli(tmp_path, world, sim_server) -> None:
    # test.salesforce.com swallows the warm-up (no answer for 30 s; the client's read timeout is 15 s).
    # The healthy diagnosis never needs that host, so the command must end as soon as it has answered.
    import os
    import subprocess
    import sys
    from pathlib import Path

    from bot_harness import toml_for

    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    env = {**os.environ, "APRITY_CONNECTIONS": str(tmp_path / "connections.toml"),
           "APRITY_SALESFORCE_SIMULATOR": sim_server.url, "PYTHONPATH": str(Path(__file__).parents[2])}
    world.sim.set_outage("test.salesforce.com", "timeout")
    try:
        done = subprocess.run([sys.executable, "-m", "bot", "check", "--connection", "healthy"], env=env,
                              capture_output=True, text=True, timeout=12, check=False)
    finally:
        world.sim.set_outage("test.salesforce.com", None)
    assert done.returncode == 0, done.stderr
    assert any(e["host"] == "test.salesforce.com" and e["method"] == "HEAD" for e in world.sim.log)


def test_each_run_opens_and_closes_its_own_connections(tmp_path) -> None:
    from checks.scenarios import World
    from procs import wait_until

    world = World(Simulator(), tmp_path / "world")
    conn = by_name("cert-regenerated").build(world)  # round 2: probes on the warmed login hosts
    needed = 1 + len(warm_targets(conn.login_url))  # the exchange's and one per warm-up (hosts differ)
    with SimServer(world.sim) as server:
        client = SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(server.url))
        try:
            for _ in range(2):
                before = server.connections
                d = Engine(client, deadline=30).diagnose(conn)
                assert not d.ok and d.cause is not None
                # A second run on the same client reuses nothing of the first: its pool is its own.
                assert server.connections - before >= needed
                # ...and the run's end closes all of it, the client itself still open.
                wait_until(lambda: server.open_connections == 0, 5, "the run's connections to close")
        finally:
            client.close()


def test_a_warm_up_that_sends_after_its_run_ended_is_ignored(world) -> None:
    """A warm-up thread may take the run's client just before the run closes it: no exception escapes."""
    from checks.salesforce.deadline import Deadline

    client = SalesforceClient(Allowlist(), transport=SimTransport(world.sim))
    try:
        run = client.bounded(Deadline(5))
        lent = run._run.http()  # what the late warm-up already holds
        run._run.http = lambda: lent  # type: ignore[method-assign]
        run._run.close()  # the run ends
        assert lent.is_closed
        assert run.warm("https://login.salesforce.com") is False
        with pytest.raises(httpx.TransportError):
            run._fetch("HEAD", "https://login.salesforce.com/")
    finally:
        client.close()
