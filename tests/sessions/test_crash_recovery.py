"""kill -9 mid-run under real processes: after a restart every acked command shows a verdict.

The bot runs as the dev server and as the Procfile's gunicorn; Salesforce (the
simulator, in this process) answers slowly so the kill lands while one check runs
and others wait in the queue, some of them before their parent message was posted.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from bot.store.db import Store
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, all_text, bot_env, slash_at, toml_for
from slack_stub import SlackStub
from procs import free_port, spawn_on, wait_until


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


@pytest.fixture
def slow_sf(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("server", ["dev-server", "gunicorn"])
def test_kill_9_mid_run_every_acked_command_reaches_a_verdict(tmp_path, stub, slow_sf, server) -> None:
    world, url = slow_sf
    names = ["alpha", "beta", "gamma"]
    conns = {n: world.connection(n, *world.org(n)) for n in names}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    env = bot_env(tmp_path, stub, url, world.key_file, APRITY_MAX_RUNS="1")
    log = tmp_path / "bot.log"
    port = free_port()
    world.sim.latency = 30.0  # the first check hangs on Salesforce; the others queue behind it
    proc = spawn_on(server, env, log, port)
    store = Store(env["APRITY_DB"])
    try:
        for i, name in enumerate(names):
            assert slash_at(port, stub, name, i).status_code == 200
        wait_until(lambda: len(store.recent_sessions()) == 3, what="three acked sessions")
        stub.wait_for("chat.postMessage", 1)  # the first parent is up: its check is running
        running = [s for s in store.recent_sessions() if s["thread_ts"]]
        assert len(running) == 1 and all(not store.runs(s["id"]) for s in store.recent_sessions())
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        world.sim.latency = 0.0

        proc = spawn_on(server, env, log, port)

        def all_final() -> bool:
            rows = [store.session(s["id"]) for s in store.recent_sessions()]
            return all(r and r["status"] == "ok" and not r["busy"] and r["thread_ts"] for r in rows)

        wait_until(all_final, 30, "every session to reach a verdict after the restart")
        for sess in (store.session(s["id"]) for s in store.recent_sessions()):
            parent = stub.message(CHANNEL, sess["thread_ts"])
            assert parent is not None
            text = all_text(parent)
            assert "Connection works" in text and "restarted during this check; checked again" in text
            assert [r["trigger"] for r in store.runs(sess["id"])] == ["command"]
        # One parent per session: the one posted before the kill was updated, not posted again.
        parents = [m for m in stub.channel_messages(CHANNEL)]
        assert len(parents) == 3
        assert "running again 3 check(s)" in log.read_text()
    finally:
        _stop(proc)
