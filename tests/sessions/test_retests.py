"""Automatic retests across Salesforce's propagation window, and their survival of kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ids import ActionId
from bot.store.db import Store
from checks.scenarios import PROFILE, World, by_name
from checks.simulator import SimServer, Simulator

from procs import free_port, spawn_on, wait_until
from bot_harness import CHANNEL, USER, BotHarness, all_text, bot_env, sign, toml_for
from slack_stub import SlackStub


@pytest.fixture
def slow_world(tmp_path) -> Iterator[tuple[World, str]]:
    """A world of its own where Connected App changes take 1.5 s to propagate."""
    world = World(Simulator(propagation_delay=1.5), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


def start(tmp_path: Path, stub: SlackStub, world: World, sim_url: str, delays: str, **conns) -> BotHarness:
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    return BotHarness.start(bot_env(tmp_path, stub, sim_url, world.key_file, APRITY_RETEST_DELAYS=delays), stub)


@pytest.fixture
def unapproved(tmp_path, stub, slow_world):
    """Start a bot on one connection whose user is not pre-authorized: ``make(delays, name) -> (bot, app)``."""
    world, url = slow_world
    started: list[BotHarness] = []

    def make(delays: str, name: str):
        o, a, u = world.org(name, app={"profiles": frozenset()})
        h = start(tmp_path, stub, world, url, delays, **{name: world.connection(name, o, a, u)})
        started.append(h)
        return h, a

    yield make
    for h in started:
        h.close()


def test_fix_between_retests_turns_green_without_a_click(unapproved, slow_world) -> None:
    world, _ = slow_world
    h, a = unapproved("1,2.5,4", "propagate")
    h.slash("propagate")
    h.wait_idle()
    sess = h.only_session()
    assert sess["status"] == "failing" and sess["retest_due_at"]
    assert "Next automatic retest at" in all_text(h.parent(sess))
    world.sim.change_app(a.consumer_key, profiles=frozenset({PROFILE}))  # visible 1.5 s later
    wait_until(lambda: h.bot.store.session(sess["id"])["status"] == "ok", what="the session to turn ok")
    h.wait_idle()
    sess = h.bot.store.session(sess["id"])
    triggers = [r["trigger"] for r in h.bot.store.runs(sess["id"])]
    assert triggers[0] == "command" and triggers[-1] == "scheduled" and "button" not in triggers
    assert f"<@{USER}> the connection works now" in h.thread_text(sess)
    assert "✅" in all_text(h.parent(sess))
    assert h.bot.store.pending_retests() == [] and h.bot.scheduler.next_run(sess["id"]) is None


def test_fix_that_never_comes_ends_in_still_failing(unapproved) -> None:
    h, _ = unapproved("0.5,1", "never")
    h.slash("never")
    h.wait_idle()
    sid = h.only_session()["id"]
    wait_until(lambda: len(h.bot.store.runs(sid)) == 3, what="two scheduled retests")
    h.wait_idle()
    sess = h.bot.store.session(sid)
    thread = h.stub.thread(CHANNEL, sess["thread_ts"])
    last = thread[-1]
    assert "Still failing after" in all_text(last)
    assert any(e.get("action_id") == ActionId.ESCALATE for b in last["blocks"] if b["type"] == "actions"
               for e in b["elements"])
    assert "Automatic retests stopped" in all_text(h.parent(sess))
    assert sess["retest_due_at"] is None and h.bot.store.pending_retests() == []


def test_click_replaces_the_schedule(unapproved) -> None:
    h, _ = unapproved("30,60", "replace")
    h.slash("replace")
    h.wait_idle()
    sid = h.only_session()["id"]
    first = h.bot.scheduler.next_run(sid)
    time.sleep(0.05)
    h.click(ActionId.RETEST, sid)
    h.wait_idle()
    second = h.bot.scheduler.next_run(sid)
    assert first is not None and second is not None and second > first
    jobs = [j.id for j in h.bot.scheduler._scheduler.get_jobs() if j.id.startswith("retest:")]
    assert jobs == [f"retest:{sid}"]
    assert len(h.bot.store.session(sid)["retest_plan"]) == 2


def test_no_retests_when_waiting_cannot_help(tmp_path, stub, slow_world) -> None:
    world, url = slow_world
    bad = by_name("bad-key").build(world)
    h = start(tmp_path, stub, world, url, "30", bad=bad)
    try:
        h.slash("bad")
        h.wait_idle()
        sess = h.only_session()
        assert sess["retest_due_at"] is None and h.bot.scheduler.next_run(sess["id"]) is None
        assert "waiting will not fix" in all_text(h.parent(sess))
    finally:
        h.close()


def test_escalation_cancels_pending_retests(unapproved) -> None:
    h, _ = unapproved("30", "escalated")
    h.slash("escalated")
    h.wait_idle()
    sid = h.only_session()["id"]
    assert h.bot.scheduler.next_run(sid) is not None
    h.click(ActionId.ESCALATE, sid)
    h.wait_idle()
    assert h.bot.scheduler.next_run(sid) is None and h.bot.store.pending_retests() == []


# ----- a real process, killed with SIGKILL, restarted

@pytest.mark.parametrize("server", ["dev-server", "gunicorn"])
def test_pending_retest_survives_kill_9(tmp_path, stub, slow_world, server) -> None:
    import httpx
    from urllib.parse import urlencode

    world, url = slow_world
    o, a, u = world.org("durable", app={"profiles": frozenset()})
    (tmp_path / "connections.toml").write_text(toml_for({"durable": world.connection("durable", o, a, u)}))
    env = bot_env(tmp_path, stub, url, world.key_file, APRITY_RETEST_DELAYS="3,60")
    log = tmp_path / "bot.log"
    port = free_port()
    proc = spawn_on(server, env, log, port)
    store = Store(env["APRITY_DB"])
    try:
        body = urlencode({"command": "/aprity-diagnose", "text": "durable", "user_id": USER, "channel_id": CHANNEL,
                          "team_id": "T0EXAMPLE", "trigger_id": "t.1", "response_url": stub.response_url("k")})
        r = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=sign(body), timeout=10)
        assert r.status_code == 200
        # Killed once the run has let go of its session: a kill while it still holds it (its verdict
        # stored, its messages still going to Slack) is an interrupted run, which the next start runs
        # again (tests/test_crash_recovery.py), and this test is about the retest plan.
        sid = wait_until(lambda: next((s["id"] for s in store.recent_sessions()
                                       if s.get("retest_due_at") and not s["busy"]), None),
                         what="the first run to plan retests and let go of its session")
        assert [r["trigger"] for r in store.runs(sid)] == ["command"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert [r["trigger"] for r in store.runs(sid)] == ["command"], "the retest ran before the kill"
        proc = spawn_on(server, env, log, port)
        wait_until(lambda: len(store.runs(sid)) >= 2, 30, "the retest after restart")
        assert [r["trigger"] for r in store.runs(sid)][:2] == ["command", "scheduled"]
        sess = store.session(sid)
        wait_until(lambda: any("Retest" in all_text(m) for m in stub.thread(CHANNEL, sess["thread_ts"])),
                   what="the retest result in the thread")
        assert "re-added 1 pending retest" in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# ----- review fixes: retests are neither lost nor run twice

class _Gated:
    """The real engine, with a hook per call number (1 = the command's run)."""

    def __init__(self, real, hooks) -> None:
        self.real, self.client, self.hooks, self.calls = real, real.client, hooks, 0

    def diagnose(self, connection, on_step=lambda *a: None, **kwargs):
        self.calls += 1
        hook = self.hooks.get(self.calls)
        if hook == "explode":
            raise RuntimeError("kaboom")
        d = self.real.diagnose(connection, on_step)
        if callable(hook):
            hook()
        return d


def test_retest_already_due_waits_for_the_previous_run_to_let_go(tmp_path, stub, slow_world) -> None:
    import threading

    world, url = slow_world
    o, a, u = world.org("overdue", app={"profiles": frozenset()})
    h = start(tmp_path, stub, world, url, "0.3,0.4", due=world.connection("due", o, a, u))
    third, proceed = threading.Event(), threading.Event()
    gate = _Gated(h.bot.service.engine, {2: lambda: time.sleep(0.5),  # retest 1 ends after retest 2 is due
                                         3: lambda: (third.set(), proceed.wait(10))})
    h.bot.service.engine = gate
    try:
        h.slash("due")
        sid = h.only_session()["id"]
        assert third.wait(15), "the overdue retest never ran"
        wait_until(lambda: h.bot.background.in_flight == 1, what="retest 1 to finish")
        h.click(ActionId.RETEST, sid)  # retest 2 is still running: this click must start nothing
        stub.wait_for("webhook")
        proceed.set()
        h.wait_idle()
        assert [r["trigger"] for r in h.bot.store.runs(sid)] == ["command", "scheduled", "scheduled"]
        assert any("already running" in all_text(c.args) for c in stub.accepted("webhook"))
    finally:
        proceed.set()
        h.close()


def test_a_crashed_retest_does_not_end_the_plan(tmp_path, stub, slow_world) -> None:
    world, url = slow_world
    o, a, u = world.org("crashy", app={"profiles": frozenset()})
    h = start(tmp_path, stub, world, url, "0.3,0.8", crash=world.connection("crash", o, a, u))
    h.bot.service.engine = _Gated(h.bot.service.engine, {2: "explode"})
    try:
        h.slash("crash")
        sid = h.only_session()["id"]
        wait_until(lambda: len(h.bot.store.runs(sid)) == 2, what="the second retest")
        h.wait_idle()
        sess = h.bot.store.session(sid)
        assert [r["trigger"] for r in h.bot.store.runs(sid)] == ["command", "scheduled"]
        assert "Something went wrong" in h.thread_text(sess) and "Still failing after" in h.thread_text(sess)
        assert "Running" not in all_text(h.parent(sess))
    finally:
        h.close()


def test_stale_retest_job_after_escalation_runs_nothing(unapproved) -> None:
    h, _ = unapproved("30", "stale")
    h.slash("stale")
    h.wait_idle()
    sid = h.only_session()["id"]
    h.click(ActionId.ESCALATE, sid)
    h.wait_idle()
    h.bot.service.scheduled_retest(sid)  # APScheduler had already handed the job over when it was cancelled
    h.wait_idle()
    assert [r["trigger"] for r in h.bot.store.runs(sid)] == ["command"]
    assert "Still failing" not in h.thread_text(h.bot.store.session(sid))


def test_escalating_during_a_run_plans_no_retests(tmp_path, stub, slow_world) -> None:
    world, url = slow_world
    o, a, u = world.org("midrun", app={"profiles": frozenset()})
    h = start(tmp_path, stub, world, url, "30", mid=world.connection("mid", o, a, u))
    world.sim.latency = 0.3
    try:
        h.slash("mid")
        sid = h.only_session()["id"]
        wait_until(lambda: h.bot.store.session(sid)["thread_ts"], what="the parent message")
        h.click(ActionId.ESCALATE, sid)  # the parent shows Escalate while the run is in progress
        h.wait_idle()
        sess = h.bot.store.session(sid)
        assert h.bot.store.escalation(sid) is not None and h.bot.store.runs(sid)
        assert sess["retest_due_at"] is None and h.bot.scheduler.next_run(sid) is None
        assert "Next automatic retest" not in all_text(h.parent(sess))
    finally:
        world.sim.latency = 0.0
        h.close()


def test_busy_click_keeps_the_automatic_retests(tmp_path, stub, slow_world) -> None:
    from bot.sessions.executor import RunExecutor

    world, url = slow_world
    o, a, u = world.org("busy", app={"profiles": frozenset()})
    h = start(tmp_path, stub, world, url, "30,60", busy=world.connection("busy", o, a, u))
    real = h.bot.service.executor
    try:
        h.slash("busy")
        h.wait_idle()
        sid = h.only_session()["id"]
        due = h.bot.store.session(sid)["retest_due_at"]
        assert due and h.bot.scheduler.next_run(sid) is not None
        h.bot.service.executor = full = RunExecutor(max_workers=1, max_waiting=0)  # every submit: QueueFull
        h.click(ActionId.RETEST, sid)
        assert "busy" in all_text(stub.wait_for("webhook")[0].args)
        sess = h.bot.store.session(sid)
        assert sess["retest_due_at"] == due and h.bot.scheduler.next_run(sid) is not None
        assert not sess["busy"]
        full.shutdown()
    finally:
        h.bot.service.executor = real
        h.close()


class _HoldFirstRetest:
    """The real engine; the first second run of any connection (its first retest) waits for ``release``."""

    def __init__(self, real) -> None:
        self.real, self.client = real, real.client
        self.seen: set[str] = set()
        self.holding, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def diagnose(self, connection, on_step=lambda *a: None, **kwargs):
        with self._lock:
            again = connection.name in self.seen
            self.seen.add(connection.name)
            hold = again and not self.holding.is_set()
            if hold:
                self.holding.set()
        if hold:
            self.release.wait(30)
        return self.real.diagnose(connection, on_step, **kwargs)


def test_many_retests_due_at_once_do_not_hold_a_command(tmp_path, stub, slow_world) -> None:
    """Due retests queue on the background lane behind one that is held; a new command is acked without
    waiting and reaches its verdict on the people's lane meanwhile."""
    world, url = slow_world
    # six connections: one connection runs one check at a time
    conns = {f"crowd{i}": world.connection(f"crowd{i}", *world.org(f"crowd{i}", app={"profiles": frozenset()}))
             for i in range(6)}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    h = BotHarness.start(bot_env(tmp_path, stub, url, world.key_file, APRITY_RETEST_DELAYS="0.5",
                                 APRITY_MAX_RUNS="1"), stub)
    engine = h.bot.service.engine = _HoldFirstRetest(h.bot.service.engine)
    try:
        for i in range(5):
            assert h.slash(f"crowd{i}").status_code == 200
        assert engine.holding.wait(30), "no retest started"
        sids = [s["id"] for s in h.sessions()]
        wait_until(lambda: all(h.bot.store.runs(sid) for sid in sids) and h.bot.executor.in_flight == 0,
                   what="the five commands' verdicts (the people's lane idle)")
        wait_until(lambda: h.bot.background.in_flight >= 3, what="several retests queued at once")
        r = h.slash("crowd5")
        assert r.status_code == 200 and "queued" not in r.text  # people first: nothing waits ahead of it
        new = next(s["id"] for s in h.sessions() if s["id"] not in sids)
        wait_until(lambda: h.bot.store.runs(new), what="the command's verdict while a retest holds its lane")
        assert not engine.release.is_set()
        engine.release.set()
        wait_until(lambda: all(len(h.bot.store.runs(sid)) == 2 for sid in sids), what="every retest to run")
        h.wait_idle(60)
        assert all([x["trigger"] for x in h.bot.store.runs(sid)] == ["command", "scheduled"] for sid in sids)
    finally:
        engine.release.set()
        h.close()
