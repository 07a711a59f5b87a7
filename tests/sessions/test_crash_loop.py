"""A run that stops the process is not resumed forever: real processes, killed (-9) twice mid-run.

After the first kill the interrupted check runs again (bot.sessions.recovery); when that run stops the
process too, the next start ends the session with a clear message instead of a crash loop."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from bot.store.db import Store
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, all_text, bot_env, slash_at, toml_for
from procs import free_port, spawn_on, stop, wait_until
from slack_stub import SlackStub


@pytest.fixture
def slow_sf(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def test_a_run_that_stops_the_bot_twice_is_ended_not_resumed_again(tmp_path, slow_sf) -> None:
    world, url = slow_sf
    (tmp_path / "connections.toml").write_text(toml_for({"alpha": world.connection("alpha", *world.org("alpha"))}))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, url, world.key_file)
        log, port = tmp_path / "bot.log", free_port()
        world.sim.latency = 60.0  # the check hangs on Salesforce: each kill lands mid-run
        store = Store(env["APRITY_DB"])
        proc = spawn_on("dev-server", env, log, port)
        try:
            assert slash_at(port, stub, "alpha", 1).status_code == 200
            wait_until(lambda: store.recent_sessions(), 20, "the acked session")
            sid = store.recent_sessions()[0]["id"]
            for crash in (1, 2):
                wait_until(lambda: (store.session(sid) or {}).get("run_starts") == crash, 20, f"run {crash} to begin")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
                proc = spawn_on("dev-server", env, log, port)
            wait_until(lambda: not (store.session(sid) or {}).get("busy"), 20, "the session to be let go")
            sess = store.session(sid)
            wait_until(lambda: "stopped the bot twice" in all_text(stub.thread(CHANNEL, sess["thread_ts"])), 20,
                       "the crash-loop notice in the thread")
            assert sess["status"] == "failing" and store.runs(sid) == []
            # the thread is told first, then the status message is edited
            wait_until(lambda: "stopped the bot twice" in all_text(stub.message(CHANNEL, sess["thread_ts"])), 20,
                       "the status message to say so")
            text = log.read_text()
            assert "stopped the bot 2 times" in text
            assert text.count("running again 1 check(s)") == 1, "resumed after the first kill, not after the second"
        finally:
            stop(proc)
