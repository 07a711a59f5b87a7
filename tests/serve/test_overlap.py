"""Several processes, one database: two real bot processes (the Procfile's gunicorn) share one SQLite
file for a whole deploy. Both serve commands; a watched connection breaks, stays broken and recovers
while both poll for its checks; then the old process gets a queue held past its first lease (its
heartbeat renews it, the new process takes none of it) and is stopped (SIGTERM) with runs still
queued and a retest it planned not yet due.

Every acked command reaches exactly one verdict, nothing runs twice (one run, one parent, one set of
steps each), the retest runs once in the new process, and the outage raises one alert, closed once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.blocks.text import AUTOMATIC_WATCH
from bot.store.db import Store
from bot.store.watch import WatchStore
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, USER, all_text, bot_env, slash_at
from procs import spawn_server, stop, wait_until
from slack_stub import SlackStub
from watch_helpers import ALERTS, watched_toml

LEASE = 3.0  # seconds: short, so the old process's queue outlives several leases (its heartbeat must renew them)


@pytest.fixture
def world(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(latency=0.3), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


def _slash(port: int, stub: SlackStub, text: str, n: int) -> str:
    r = slash_at(port, stub, text, n)
    assert r.status_code == 200
    return r.text

def test_two_processes_on_one_database_for_a_whole_deploy(tmp_path, world) -> None:
    world, url = world
    first, later, new_names = ["alpha", "beta"], ["gamma", "delta", "eta"], ["epsilon", "zeta"]
    conns = {n: world.connection(n, *world.org(n)) for n in first + later + new_names}
    conns["fixme"] = world.connection("fixme", *world.org("fixme", app={"profiles": frozenset()}))  # retests
    o, a, u = world.org("watched", user={"active": False})  # the outage
    conns["watched"] = world.connection("watched", o, a, u)
    (tmp_path / "connections.toml").write_text(watched_toml(conns, {"watched"}))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, url, world.key_file, APRITY_MAX_RUNS="1", APRITY_SHUTDOWN_GRACE="25",
                      APRITY_RETEST_DELAYS="15", APRITY_LEASE=str(LEASE), APRITY_POLL_INTERVAL="0.5",
                      APRITY_ALERT_CHANNEL=ALERTS, APRITY_STAFF_CHANNELS=f"{CHANNEL},{ALERTS}")
        old_log, new_log = tmp_path / "old.log", tmp_path / "new.log"
        old, old_port = spawn_server("gunicorn", env, old_log)
        new, new_port = spawn_server("gunicorn", env, new_log)
        store, watches = Store(env["APRITY_DB"]), WatchStore(env["APRITY_DB"])
        n = iter(range(100))
        ours = lambda: [store.session(s["id"]) for s in store.recent_sessions(50) if s["requester"] == USER]
        try:
            # Both serve: a failing connection at the old process (its run plans a retest due after it
            # has left), commands at both.
            acks = [_slash(old_port, stub, name, next(n)) for name in ["fixme", *first]]
            acks += [_slash(new_port, stub, name, next(n)) for name in new_names]
            wait_until(lambda: len(ours()) == len(acks), 10, "every command to be acked")

            # The watched connection worked, failed once, and is due now: both processes poll for it.
            watches.update("watched", worked=1, fails=1, broken_since=time.time(), next_due_at=time.time())
            wait_until(lambda: watches.watch("watched")["alert_session"], 20, "the outage alert")
            # Still broken at the next check (due in both processes again): no second alert.
            alert = watches.watch("watched")["alert_session"]
            # (once the alert's first run let go: a check skips a connection whose session is running)
            wait_until(lambda: store.runs(alert) and not store.session(alert)["busy"], 20, "the alert's first run")
            watches.update("watched", next_due_at=time.time())
            wait_until(lambda: watches.watch("watched")["fails"] >= 3, 20, "a second failing check")
            world.sim.change_user(u.username, org_id=o.org_id, active=True)
            watches.update("watched", next_due_at=time.time())
            wait_until(lambda: watches.watch("watched")["alert_session"] is None, 20, "the recovery")

            # The deploy: the old process gets slow checks, one running and two queued behind it...
            world.sim.latency = 2.0
            acks += [_slash(old_port, stub, name, next(n)) for name in later]
            wait_until(lambda: len(ours()) == len(acks), 10, "every command to be acked")
            queued = [s for s in ours() if s["connection_name"] in later and not s["run_started"]]
            assert len(queued) >= len(later) - 1
            # ... held past their first lease: the heartbeat renews them, the new process takes none.
            held = {s["id"]: s["lease_until"] for s in queued}
            wait_until(lambda: all((store.session(sid)["lease_until"] or 0) > until + LEASE
                                   for sid, until in held.items()), 15, "the old process to renew its leases")
            assert all(store.session(sid)["owner"] == queued[0]["owner"] for sid in held)
            # SIGTERM: what it queued goes back at once, the check it runs finishes within the grace.
            fixme = next(s for s in ours() if s["connection_name"] == "fixme")
            assert store.session(fixme["id"])["retest_due_at"] > time.time(), "the retest fell due too early"
            assert stop(old, timeout=40) == 0
            world.sim.latency = 0.3
            assert "Traceback" not in old_log.read_text()

            def all_final() -> bool:
                rows = ours()
                return all(r["status"] in ("ok", "failing") and not r["busy"] and r["thread_ts"]
                           and r["retest_due_at"] is None for r in rows)

            wait_until(all_final, 60, "every acked command's verdict, and the retest, after the old process left")
            for sess in ours():
                triggers = [r["trigger"] for r in store.runs(sess["id"])]
                if sess["connection_name"] == "fixme":
                    assert triggers == ["command", "scheduled"], triggers  # the retest ran, once
                else:
                    assert triggers == ["command"] and sess["status"] == "ok", (sess["connection_name"], triggers)
                    parent = all_text(stub.message(CHANNEL, sess["thread_ts"]))
                    assert "Connection works" in parent and "restarted" not in parent
            assert len(stub.channel_messages(CHANNEL)) == len(acks)  # one parent each, none posted twice
            replies = {len(stub.thread(CHANNEL, s["thread_ts"])) for s in ours() if s["status"] == "ok"}
            assert len(replies) == 1, "a thread got its steps twice"

            alerts = [s for s in store.recent_sessions(50) if s["requester"] == AUTOMATIC_WATCH]
            assert [s["id"] for s in alerts] == [alert] and alerts[0]["status"] == "ok"  # one alert, closed
            assert len(stub.channel_messages(ALERTS)) == 1
            new_text = new_log.read_text()
            assert "Traceback" not in new_text
            assert "handed back" in old_log.read_text() and "took over" in new_text  # the queue changed hands
            assert "went wrong" not in " ".join(all_text(c.args) for c in stub.calls()).lower()
        finally:
            stop(old, timeout=40)
            stop(new, timeout=40)
