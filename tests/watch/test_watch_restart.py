"""A watch check that falls due while the bot is down (killed with SIGKILL) runs once after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from bot.store.watch import WatchStore
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import bot_env
from slack_stub import SlackStub
from procs import free_port, spawn_on, wait_until
from watch_helpers import watched_toml

INTERVAL = 8.0


def test_watch_check_due_during_kill_9_runs_after_restart(tmp_path) -> None:
    world = World(Simulator(), tmp_path / "world")
    o, a, u = world.org("durable")
    (tmp_path / "connections.toml").write_text(
        watched_toml({"durable": world.connection("durable", o, a, u)}, {"durable"}))
    with SimServer(world.sim) as server, SlackStub() as stub:
        env = bot_env(tmp_path, stub, server.url, world.key_file, APRITY_WATCH_INTERVAL=str(int(INTERVAL)))
        log, port = tmp_path / "bot.log", free_port()
        proc = spawn_on("dev-server", env, log, port)
        try:
            store = WatchStore(env["APRITY_DB"])
            row = wait_until(lambda: store.watch("durable"), what="the watch to be scheduled")
            if row["next_due_at"] - time.time() < 2:  # too close to kill before it: let it run, take the next
                first = row["next_due_at"]
                row = wait_until(lambda: (r := store.watch("durable"))["next_due_at"] > first and r,
                                 what="the first check")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            due, checked = row["next_due_at"], row["last_check_at"]
            wait_until(lambda: time.time() > due + 0.5, INTERVAL + 2, "the due time to pass while the bot is down")
            assert store.watch("durable")["last_check_at"] == checked, "a check ran while the bot was down"
            proc = spawn_on("dev-server", env, log, port)
            after = wait_until(lambda: (r := store.watch("durable"))["last_check_at"] and
                               r["last_check_at"] > due and r, 20, "the missed check after restart")
            assert after["last_ok"] == 1
            # At start-up, not at the next slot of the grid (which would hide a lost check).
            assert after["last_check_at"] < due + INTERVAL
            # The missed check ran once, and the schedule moved on to the next slot of the grid.
            assert after["next_due_at"] > after["last_check_at"]
            assert abs((after["next_due_at"] - due) % INTERVAL) < 0.01 or \
                abs((after["next_due_at"] - due) % INTERVAL - INTERVAL) < 0.01
            assert "watch check of durable: working" in log.read_text()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
