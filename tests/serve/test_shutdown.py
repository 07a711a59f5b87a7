"""Stopping at a deploy: runs in flight finish within the grace or are left for the next start,
nobody is told "something went wrong", and a bad setting stops gunicorn for good."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.store.db import Store
from checks.scenarios import World, by_name
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, USER, BotHarness, all_text, bot_env, toml_for
from procs import clean_env, procfile_command, free_port, spawn, spawn_server, stop, wait_until
from slack_stub import SlackStub

WENT_WRONG = "Something went wrong"


class Gate:
    """The real engine, held at the start of each diagnosis until :attr:`open` is set."""

    def __init__(self, real) -> None:
        self.real, self.client = real, real.client
        self.open, self.entered = threading.Event(), threading.Semaphore(0)

    def diagnose(self, connection, on_step=lambda *a: None, **kwargs):
        self.entered.release()
        assert self.open.wait(30), "the test never opened the gate"
        return self.real.diagnose(connection, on_step)


@pytest.fixture
def gated(tmp_path, world, sim_server) -> Iterator[tuple[BotHarness, Gate]]:
    # Distinct connections: a second command for a connection already queued is only pointed to it.
    conns = {"healthy": by_name("healthy").build(world)}
    conns.update({name: world.connection(name, *world.org(f"shutdown-{name}")) for name in ("second", "third")})
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file, APRITY_MAX_RUNS="1"), stub)
        gate = Gate(h.bot.service.engine)
        h.bot.service.engine = gate
        yield h, gate
        gate.open.set()
        h.close()


def _nobody_told_went_wrong(stub: SlackStub) -> None:
    texts = [all_text(c.args) for c in stub.calls()]
    assert not any(WENT_WRONG in t for t in texts)


def test_run_that_ends_within_the_grace_finishes_normally(gated) -> None:
    h, gate = gated
    h.slash("healthy")
    assert gate.entered.acquire(timeout=10)
    threading.Timer(0.3, gate.open.set).start()
    assert h.bot.shutdown(grace=15) is True
    sess = h.only_session()
    assert sess["status"] == "ok" and not sess["busy"]
    assert "✅" in all_text(h.parent(sess))
    _nobody_told_went_wrong(h.stub)
    assert not h.bot.scheduler._scheduler.running


def test_runs_past_the_grace_are_left_for_the_next_start(gated) -> None:
    h, gate = gated
    h.slash("healthy")
    assert gate.entered.acquire(timeout=10)
    h.slash("second")  # queued behind the first (one worker)
    assert h.bot.shutdown(grace=0.2) is False
    h.slash("third")  # arrives while stopping: acked, never started here
    rows = h.sessions()
    assert len(rows) == 3
    # Nothing marked closed or failed: all three are still "running" in SQLite for the next start.
    assert all(h.bot.store.session(r["id"])["status"] == "running" for r in rows)
    _nobody_told_went_wrong(h.stub)
    # Nothing was closed under the run in flight: let it go, and it ends as it would have.
    gate.open.set()
    h.wait_idle()
    done = [r for r in h.sessions() if h.bot.store.session(r["id"])["status"] == "ok"]
    assert len(done) == 1 and h.bot.store.runs(done[0]["id"])
    _nobody_told_went_wrong(h.stub)


# ----- the Procfile's gunicorn, signalled as Heroku does (SIGTERM to every process)

@pytest.fixture
def slow_world(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(latency=0.6), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def _command_mid_run(tmp_path, stub: SlackStub, slow_world, grace: str):
    import httpx
    from urllib.parse import urlencode

    from bot_harness import sign

    world, url = slow_world
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    env = bot_env(tmp_path, stub, url, world.key_file, APRITY_SHUTDOWN_GRACE=grace)
    log = tmp_path / "bot.log"
    proc, port = spawn_server("gunicorn", env, log)
    body = urlencode({"command": "/aprity-diagnose", "text": "healthy", "user_id": USER, "channel_id": CHANNEL,
                      "team_id": "T0EXAMPLE", "trigger_id": "t.1", "response_url": stub.response_url("k")})
    r = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=sign(body), timeout=10)
    assert r.status_code == 200
    stub.wait_for("chat.postMessage", timeout=10)  # the ⏳ parent is up: the run has started
    return proc, log, Store(env["APRITY_DB"])


def test_sigterm_under_gunicorn_lets_the_run_finish(tmp_path, slow_world) -> None:
    with SlackStub() as stub:
        proc, log, store = _command_mid_run(tmp_path, stub, slow_world, grace="20")
        assert stop(proc) == 0
        sess = store.session(store.recent_sessions()[0]["id"])
        assert sess["status"] == "ok" and store.runs(sess["id"])
        assert "✅" in all_text(stub.message(CHANNEL, sess["thread_ts"]))
        _nobody_told_went_wrong(stub)
        assert "Traceback" not in log.read_text()


def test_sigterm_under_gunicorn_hands_a_long_run_to_the_next_start(tmp_path, slow_world) -> None:
    slow_world[0].sim.latency = 3.0  # longer than the grace
    with SlackStub() as stub:
        proc, log, store = _command_mid_run(tmp_path, stub, slow_world, grace="0.5")
        assert stop(proc, timeout=15) == 0
        sess = store.session(store.recent_sessions()[0]["id"])
        assert sess["status"] == "running" and not store.runs(sess["id"])  # neither closed nor failed
        _nobody_told_went_wrong(stub)
        text = log.read_text()
        assert "the next start runs them again" in text and "Traceback" not in text


def test_missing_settings_stop_gunicorn_with_one_line(tmp_path) -> None:
    log = tmp_path / "bot.log"
    port = free_port()
    proc = spawn(procfile_command("web", port), clean_env({}, PORT=str(port)), log)
    code = proc.wait(60)
    text = log.read_text()
    assert code == 3, text  # the arbiter stopped ("Worker failed to boot") instead of respawning
    ours = [line for line in text.splitlines() if line.startswith("aprity-diagnose:")]
    assert len(ours) == 1, text
    assert all(f"{name} (" in ours[0] for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                                                     "APRITY_SUPPORT_CHANNEL"))
    assert text.count("Booting worker") == 1 and "Traceback" not in text


class OneGate(Gate):
    """Only the connection named ``held`` waits at the gate; the others run freely."""

    def diagnose(self, connection, on_step=lambda *a: None, **kwargs):
        if connection.name != "held":
            return self.real.diagnose(connection, on_step)
        return super().diagnose(connection, on_step)


def test_a_retest_due_while_draining_waits_for_the_next_start(tmp_path, world, sim_server) -> None:
    """The scheduler stops first: a retest falling due during the grace does not start (its run
    could be cut by the exit); its due time stays in SQLite and the next start runs it."""
    o, a, u = world.org("drain-retest", app={"profiles": frozenset()})  # not pre-authorized: retests
    conns = {"failing": world.connection("failing", o, a, u), "held": world.connection("held", *world.org("drain-held"))}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, sim_server.url, world.key_file, APRITY_MAX_RUNS="2",
                      APRITY_RETEST_DELAYS="1,600")
        h = BotHarness.start(env, stub)
        gate = OneGate(h.bot.service.engine)
        h.bot.service.engine = gate
        try:
            h.slash("failing")
            sid = wait_until(lambda: next((s["id"] for s in h.sessions()
                                           if h.bot.store.session(s["id"]).get("retest_due_at")
                                           and not h.bot.store.session(s["id"])["busy"]), None),
                             10, "the failing check to plan its retests")
            due = h.bot.store.session(sid)["retest_due_at"]
            h.slash("held")
            assert gate.entered.acquire(timeout=10)
            # The retest falls due 1 s after the first run, while the shutdown waits on "held".
            threading.Timer(2.5, gate.open.set).start()
            assert h.bot.shutdown(grace=15) is True
            assert [r["trigger"] for r in h.bot.store.runs(sid)] == ["command"]
            assert h.bot.store.session(sid)["retest_due_at"] == due and not h.bot.store.session(sid)["busy"]
            _nobody_told_went_wrong(stub)
        finally:
            gate.open.set()
            h.close()
        again = BotHarness.start(env, stub)
        try:
            wait_until(lambda: len(again.bot.store.runs(sid)) == 2, 15, "the retest at the next start")
            assert [r["trigger"] for r in again.bot.store.runs(sid)] == ["command", "scheduled"]
            _nobody_told_went_wrong(stub)
        finally:
            again.close()
