"""A deadline per run: no Salesforce behaviour holds a run (or a pool slot) past APRITY_RUN_DEADLINE.

The simulator misbehaves over real loopback sockets: it trickles one byte at a
time (no read timeout ever trips), stalls without answering, or redirects to
itself forever.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.runtime import EngineSettings, SettingsError
from checks.model import CauseId
from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import LoopbackTransport, SimServer, Simulator

from bot_harness import BotHarness, all_text, bot_env, toml_for
from slack_stub import SlackStub
from procs import wait_until


@pytest.fixture
def dripping(tmp_path) -> Iterator[tuple[World, str]]:
    """A world of its own whose dripping answers send one byte every 0.2 s (a 60 s read never times out)."""
    world = World(Simulator(drip_interval=0.2), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def _engine(url: str, deadline: float) -> Engine:
    return Engine(SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(url)), deadline=deadline)


def _diagnose(url: str, conn, deadline: float):
    engine = _engine(url, deadline)
    try:
        return engine.diagnose(conn)
    finally:
        engine.client.close()


def _my_domain(world: World, slug: str):
    o, a, u = world.org(slug)
    return world.connection(slug, o, a, u, login_url=f"https://{o.host}"), o


def test_a_dripping_token_endpoint_ends_the_run_at_the_deadline(dripping) -> None:
    world, url = dripping
    conn, org = _my_domain(world, "drip")
    world.sim.set_outage(org.host, "drip")
    d = _diagnose(url, conn, deadline=1.5)
    assert not d.ok and d.cause is not None and d.cause.id == CauseId.SALESFORCE_UNREACHABLE
    assert d.retryable
    assert d.error is not None and d.error.error_description == "Salesforce did not answer within 1.5 s"
    assert any("did not answer within 1.5 s" in e for e in d.evidence)
    # The drip was real (status line and headers trickle too), and the client cut it short:
    # the simulator got only a few bytes of its answer out before the connection went.
    # (HEAD requests are round 2's warm-ups; the one to the My Domain drips as well.)
    assert [e["fault"] for e in world.sim.log if e["method"] != "HEAD"] == ["drip"]
    drips = [e for e in world.sim.log if e["fault"] == "drip"]
    wait_until(lambda: len(world.sim.dripped) == len(drips), what="the simulator to notice every cut")
    assert all(0 < sent < total / 4 for sent, total in world.sim.dripped)


def test_dripping_verification_reads_end_as_unreachable(dripping) -> None:
    world, url = dripping
    o, a, u = world.org("slowapi")
    conn = world.connection("slowapi", o, a, u)  # logs in on login.salesforce.com, reads on the My Domain
    world.sim.set_outage(o.host, "drip")
    d = _diagnose(url, conn, deadline=1.5)
    assert not d.ok and d.cause is not None and d.cause.id == CauseId.SALESFORCE_UNREACHABLE
    assert any("did not answer within 1.5 s" in e for e in d.evidence)


def test_a_stalled_server_ends_at_the_deadline_not_the_read_timeout(dripping) -> None:
    world, url = dripping
    conn, org = _my_domain(world, "stall")
    world.sim.set_outage(org.host, "timeout")  # accepts, then never answers (30 s)
    d = _diagnose(url, conn, deadline=1.0)
    assert d.error is not None and d.error.error_description == "Salesforce did not answer within 1 s"


def test_endless_redirects_of_an_allowed_host_stop(dripping) -> None:
    world, url = dripping
    conn, org = _my_domain(world, "loop")
    world.sim.set_outage(org.host, "redirect_loop")
    d = _diagnose(url, conn, deadline=30)
    assert not d.ok and d.cause is not None and d.cause.id == CauseId.SALESFORCE_UNREACHABLE
    assert "too many redirects" in (d.error.error_description if d.error else "")
    # HEAD: warm-ups, one request each; the GET / to login.salesforce.com asks whether our egress works.
    calls = [e for e in world.sim.log if e["method"] != "HEAD" and e["host"] == org.host]
    assert 2 <= len(calls) <= 4 and {e["status"] for e in calls} == {302}


def test_nothing_of_a_run_outlives_it_when_its_my_domain_drips(tmp_path) -> None:
    """The exchange and the warm-up of a dripping My Domain are both cut at the deadline, the warmed
    connections to the other hosts close with the run, and none of the run's threads is left."""
    world = World(Simulator(drip_interval=0.2), tmp_path / "world")
    conn, org = _my_domain(world, "dripall")
    world.sim.set_outage(org.host, "drip")
    deadline = 1.5
    ours = ("warm-up", "presign", "probe", "verify", "deadline")
    before = set(threading.enumerate())
    with SimServer(world.sim) as server:
        engine = _engine(server.url, deadline=deadline)
        try:
            d = engine.diagnose(conn)
            # Measured before the client itself is closed: the run's end must be enough.
            wait_until(lambda: server.open_connections == 0, what="every connection of the run to close")
            left = [t.name for t in set(threading.enumerate()) - before if t.is_alive() and t.name.startswith(ours)]
        finally:
            engine.client.close()
    assert d.error is not None and d.error.error_description == "Salesforce did not answer within 1.5 s"
    assert left == []
    warm_ups = [e for e in world.sim.log if e["method"] == "HEAD"]
    assert {e["host"] for e in warm_ups} == {org.host, "login.salesforce.com", "test.salesforce.com"}
    drips = [e for e in world.sim.log if e["fault"] == "drip"]
    assert {e["method"] for e in drips} == {"POST", "HEAD"}  # the exchange and the My Domain's warm-up
    assert len(world.sim.dripped) == len(drips)
    # Bytes out before each cut, one per 0.2 s: each answer was cut early on (~8 bytes), not read on to its
    # end; a quarter of it is seconds past the deadline, so a loaded machine's late timers do not matter.
    assert all(0 < sent < total / 4 for sent, total in world.sim.dripped), world.sim.dripped


def test_the_setting_is_read_and_checked() -> None:
    assert EngineSettings.from_env({}).run_deadline == 60.0
    assert EngineSettings.from_env({"APRITY_RUN_DEADLINE": "12.5"}).run_deadline == 12.5
    for bad in ("0", "-3", "soon", "99999"):
        with pytest.raises(SettingsError, match="APRITY_RUN_DEADLINE"):
            EngineSettings.from_env({"APRITY_RUN_DEADLINE": bad})


def test_the_pool_serves_the_next_command_once_the_deadline_frees_the_worker(tmp_path, dripping) -> None:
    world, url = dripping
    slow, org = _my_domain(world, "trickle")
    o, a, u = world.org("healthy")
    world.sim.set_outage(org.host, "drip")
    (tmp_path / "connections.toml").write_text(toml_for({"trickle": slow, "healthy": world.connection("healthy", o, a, u)}))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, url, world.key_file, APRITY_MAX_RUNS="1", APRITY_RUN_DEADLINE="1.5")
        h = BotHarness.start(env, stub)
        try:
            first = h.slash("trickle")
            second = h.slash("healthy")
            assert "Checking" in first.text
            assert "queued" in second.text and "next" in second.text  # one worker, busy: exactly one ahead
            h.wait_idle(timeout=30)
            by_name = {s["connection_name"]: h.bot.store.session(s["id"]) for s in h.sessions()}
            dripped, served = by_name["trickle"], by_name["healthy"]
            assert dripped["status"] == "failing" and dripped["cause_id"] == CauseId.SALESFORCE_UNREACHABLE
            assert dripped["retest_due_at"] is not None, "an unreachable Salesforce is retested"
            assert not dripped["busy"]
            assert "did not answer within 1.5 s" in h.thread_text(dripped)
            assert served["status"] == "ok" and "Connection works" in all_text(h.parent(served))
        finally:
            h.close()


def test_the_cli_honours_the_same_deadline(tmp_path, dripping, monkeypatch, capsys) -> None:
    import json

    from bot.terminal.cli import main

    world, url = dripping
    slow, org = _my_domain(world, "clidrip")
    world.sim.set_outage(org.host, "drip")
    (tmp_path / "connections.toml").write_text(toml_for({"clidrip": slow}))
    monkeypatch.setenv("APRITY_CONNECTIONS", str(tmp_path / "connections.toml"))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", url)
    monkeypatch.setenv("APRITY_RUN_DEADLINE", "1")
    assert main(["check", "--connection", "clidrip", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["cause"]["id"] == "salesforce_unreachable"
    assert out["error"]["error_description"] == "Salesforce did not answer within 1 s"
