"""A deploy end to end under the Procfile's gunicorn: SIGTERM while one run is in flight and others
wait in the queue (their acks said "queued"), then the next start. Every acked command reaches a
verdict after the restart, nobody is told "something went wrong", and a watched connection whose
check fell due while the bot was down is checked too.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from bot.store.db import Store
from bot.store.watch import WatchStore
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, USER, all_text, bot_env, slash_at, toml_for
from procs import spawn_server, stop, wait_until
from slack_stub import SlackStub
from watch_helpers import watched_toml

WENT_WRONG = "went wrong"


@pytest.fixture
def slow_world(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(latency=3.0), tmp_path / "world")  # each call outlasts the grace
    with SimServer(world.sim) as server:
        yield world, server.url


def _slash(port: int, stub: SlackStub, text: str, n: int) -> str:
    r = slash_at(port, stub, text, n)
    assert r.status_code == 200
    return r.text

def test_sigterm_with_runs_queued_then_restart_every_command_gets_its_verdict(tmp_path, slow_world) -> None:
    world, url = slow_world
    names = ["alpha", "beta", "gamma", "delta"]
    conns = {n: world.connection(n, *world.org(n)) for n in names}
    conns["watched"] = world.connection("watched", *world.org("watched"))
    (tmp_path / "connections.toml").write_text(watched_toml(conns, {"watched"}))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, url, world.key_file, APRITY_MAX_RUNS="1", APRITY_SHUTDOWN_GRACE="0.5")
        log = tmp_path / "bot.log"
        proc, port = spawn_server("gunicorn", env, log)
        store, watches = Store(env["APRITY_DB"]), WatchStore(env["APRITY_DB"])
        try:
            acks = [_slash(port, stub, name, i) for i, name in enumerate(names)]
            # One worker: at least three wait (all four when the start-up certificate sweep holds it).
            assert sum("queued" in a for a in acks) >= len(names) - 1
            wait_until(lambda: len(store.recent_sessions()) == len(names), 10, "every command to be acked")
            stub.wait_for("chat.postMessage", 1, timeout=10)  # the first check is running
            assert stop(proc, timeout=20) == 0  # SIGTERM to the process group, as Heroku sends it
            text = log.read_text()
            assert "left for the next start" in text and "Traceback" not in text, text[-3000:]
            rows = [store.session(s["id"]) for s in store.recent_sessions()]
            assert all(r["status"] == "running" and not store.runs(r["id"]) for r in rows), rows
            # The one running outlasted the grace: its process left it (lease ended); the queued ones were handed back.
            interrupted = {r["id"] for r in rows if r["run_started"]}
            assert len(interrupted) == 1 and all(r["owner"] is None for r in rows if r["id"] not in interrupted)
            assert not any(WENT_WRONG in all_text(c.args).lower() for c in stub.calls())
            # The watched connection's check fell due while the bot was down.
            assert watches.watch("watched") is not None and watches.watch("watched")["last_check_at"] is None
            watches.update("watched", next_due_at=time.time() - 60)

            world.sim.latency = 0.0
            proc, port = spawn_server("gunicorn", env, log)

            def all_final() -> bool:
                rows = [store.session(s["id"]) for s in store.recent_sessions()
                        if s["requester"] == USER]
                return len(rows) == len(names) and all(
                    r["status"] == "ok" and not r["busy"] and r["thread_ts"] for r in rows)

            wait_until(all_final, 30, "every acked command to show a verdict within 30 s of the restart")
            for s in store.recent_sessions():
                if s["requester"] != USER:
                    continue
                sess = store.session(s["id"])
                parent = all_text(stub.message(CHANNEL, sess["thread_ts"]))
                assert "Connection works" in parent
                # Only the check a restart interrupted says so; a queued one handed back simply ran.
                assert ("restarted during this check; checked again" in parent) == (sess["id"] in interrupted)
                assert [r["trigger"] for r in store.runs(sess["id"])] == ["command"]
            assert len(stub.channel_messages(CHANNEL)) == len(names)  # one parent each, none posted twice
            wait_until(lambda: (watches.watch("watched") or {}).get("last_check_at"), 30,
                       "the watched connection's missed check to run after the restart")
            assert watches.watch("watched")["last_ok"] == 1
            assert not any(WENT_WRONG in all_text(c.args).lower() for c in stub.calls())
        finally:
            stop(proc, timeout=20)
        assert "Traceback" not in log.read_text()


def test_a_slack_5xx_storm_during_recovery_at_start_up_ends_with_every_parent_final(tmp_path, slow_world) -> None:
    """kill -9 mid-run, then a start-up whose recovery runs meet a Slack that answers 5xx to every
    post and update: the runs still end, what Slack is owed waits in SQLite, and once Slack answers
    again the repair pass leaves every parent final (the requesters heard through response_url)."""
    world, url = slow_world
    names = ["alpha", "beta", "gamma"]
    conns = {n: world.connection(n, *world.org(n)) for n in names}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, url, world.key_file, APRITY_MAX_RUNS="1")
        log = tmp_path / "bot.log"
        world.sim.latency = 30.0
        proc, port = spawn_server("gunicorn", env, log)
        store = Store(env["APRITY_DB"])
        try:
            for i, name in enumerate(names):
                _slash(port, stub, name, i)
            wait_until(lambda: len(store.recent_sessions()) == len(names), 10, "every command to be acked")
            stub.wait_for("chat.postMessage", 1, timeout=10)
            stop(proc, signal.SIGKILL)

            world.sim.latency = 0.0
            stub.fail_next("chat.postMessage", status=500, times=10_000)
            stub.fail_next("chat.update", status=503, times=10_000)
            hooks_before = len(stub.accepted("webhook"))
            proc, port = spawn_server("gunicorn", env, log)

            def ran() -> bool:
                rows = [store.session(s["id"]) for s in store.recent_sessions()]
                return all(r["status"] == "ok" and not r["busy"] and store.runs(r["id"]) for r in rows)

            wait_until(ran, 60, "every interrupted check to run again while Slack fails")
            # Each requester learned the outcome through the command's response_url meanwhile.
            hooks = stub.wait_for("webhook", hooks_before + len(names), timeout=20)[hooks_before:]
            assert sum("Connection works" in all_text(c.args) for c in hooks) >= len(names)
            stub.clear_faults()

            def final() -> bool:
                rows = [store.session(s["id"]) for s in store.recent_sessions()]
                if not all(r["thread_ts"] for r in rows):
                    return False
                texts = [all_text(stub.message(CHANNEL, r["thread_ts"]) or {}) for r in rows]
                return all("Connection works" in t and "⏳" not in t for t in texts)

            wait_until(final, 40, "the repair pass to leave every parent final once Slack answers")
            assert len(stub.channel_messages(CHANNEL)) == len(names)  # none posted twice
            assert not any(WENT_WRONG in all_text(c.args).lower() for c in stub.calls())
        finally:
            stop(proc, timeout=20)
        assert "Traceback" not in log.read_text()
