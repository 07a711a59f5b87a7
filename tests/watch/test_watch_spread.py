"""After downtime, overdue watch checks are spread over the polls (a few each) on the background lane,
and a person's command goes first."""

from __future__ import annotations

import time

from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import BotHarness, bot_env
from slack_stub import SlackStub
from watch_helpers import watched_toml


def test_forty_overdue_checks_are_taken_two_per_poll_behind_a_command(tmp_path) -> None:
    world = World(Simulator(), tmp_path / "world")
    conns = {f"c{i:02}": world.connection(f"c{i:02}", *world.org(f"c{i:02}")) for i in range(40)}
    (tmp_path / "connections.toml").write_text(watched_toml(conns, set(conns)))
    with SimServer(world.sim) as server, SlackStub() as stub:
        # Polls only when the test says (a long poll interval), one worker per lane.
        env = bot_env(tmp_path, stub, server.url, world.key_file, APRITY_MAX_RUNS="2",
                      APRITY_POLL_INTERVAL="3000", APRITY_LEASE="3600")
        h = BotHarness.start(env, stub)
        try:
            h.wait_idle()
            watches = h.bot.watcher.store
            for name in conns:  # the bot was down for a day: every check is overdue
                watches.update(name, next_due_at=time.time() - 86_400)
            world.sim.latency = 0.2
            assert h.bot.watcher.poll() == 2  # not forty at once
            r = h.slash("c39")
            assert r.status_code == 200 and "queued" not in r.text  # the command has its own lane
            checked = lambda: sum(1 for w in watches.watches() if w["last_check_at"])
            h.wait_idle()
            assert checked() == 2
            assert h.bot.store.runs(h.sessions()[0]["id"]), "the command reached its verdict"
            assert h.bot.watcher.poll() == 2
            h.wait_idle()
            assert checked() == 4 and len(watches.due(time.time(), 100)) == 36
        finally:
            world.sim.latency = 0.0
            h.close()
