"""Claims with an owner and a lease: two stores on one file stand for two processes, an injected clock
for time. A live claim is nobody else's; a lapsed or handed-back one is taken by exactly one process."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from bot.store import leases
from bot.store.db import Store
from bot.store.leases import Claims
from bot.store.watch import WatchStore
from checks.model import ConnectionSummary

from sim_helpers import Clock

SUMMARY = ConnectionSummary(name="acme", username="int@acme.com", login_url="https://login.salesforce.com",
                            consumer_key="3MVG9key", environment="production")
LEASE = 30.0


@pytest.fixture
def two(tmp_path):
    """Two processes' stores on one file, sharing a clock."""
    clock = Clock(1_700_000_000.0)
    a = Store(tmp_path / "bot.db", clock=clock, lease=LEASE)
    b = Store(tmp_path / "bot.db", clock=clock, lease=LEASE)
    return a, b, clock


def _session(store: Store, claimed: bool = True) -> str:
    return store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY, claimed=claimed)


def test_a_live_claim_is_not_adopted_and_the_heartbeat_keeps_it_live(two) -> None:
    a, b, clock = two
    sid = _session(a)
    claims = Claims(a)
    claims.hold(sid)  # a job of this process has it (queued or running)
    assert Claims(b).adoptable() == [] and not Claims(b).adopt(sid)
    for _ in range(5):  # five leases long, renewed every third of one
        clock.now += LEASE / 3
        assert claims.heartbeat() == 1
    assert Claims(b).adoptable() == [] and not Claims(b).adopt(sid)
    claims.drop(sid)  # its job ended without letting go (say SQLite failed under it): no longer renewed
    clock.now += LEASE / 3
    assert claims.heartbeat() == 0
    clock.now += LEASE + 1  # no heartbeat any more: the owner is presumed gone
    assert Claims(b).adoptable() == [sid]
    assert Claims(b).adopt(sid) and not Claims(a).adopt(sid)  # one process wins
    sess = b.session(sid)
    assert sess["owner"] == b.owner and sess["busy"] and sess["restarted_at"] == clock.now
    assert not Claims(a).begin_run(sid), "the old owner must not start a run it lost"
    a.release(sid)  # a late release by the old owner leaves the new owner's claim alone
    assert b.session(sid)["busy"] and b.session(sid)["owner"] == b.owner


def test_a_stopping_process_hands_back_what_it_queued_but_not_what_runs(two) -> None:
    a, b, clock = two
    queued, running = _session(a), _session(a)
    assert Claims(a).begin_run(running)
    assert Claims(a).hand_back_unstarted() == 1
    assert Claims(b).adoptable() == [queued]  # at once: no lease to wait for
    assert not Claims(a).begin_run(queued)  # a worker that picks it up late starts nothing
    assert Claims(b).adopt(queued)
    assert b.session(queued)["restarted_at"] is None, "a handed-back run never started: no restart note"
    assert Claims(b).begin_run(queued) and b.session(queued)["run_started"] == clock.now
    Claims(a).expire_mine()  # leaving with the running one still going: the other process reruns it now
    assert Claims(b).adoptable() == [running] and Claims(b).adopt(running)
    assert b.session(running)["restarted_at"] is not None


def test_a_due_retest_is_claimed_by_one_process_and_a_deferred_one_waits(two) -> None:
    a, b, clock = two
    sid = _session(a, claimed=False)
    a.set_retest_plan(sid, [clock.now + 60, clock.now + 120], started_at=clock.now)
    assert Claims(b).due_retests() == [] and not Claims(b).claim_due_retest(sid)
    clock.now += 60
    assert Claims(a).due_retests() == Claims(b).due_retests() == [sid]
    assert Claims(b).claim_due_retest(sid) and not Claims(a).claim_due_retest(sid)
    assert Claims(a).due_retests() == []  # claimed: nobody else sees it due
    b.release(sid)
    Claims(b).defer_retest(sid, clock.now + 30)  # the limit said "not before"
    assert Claims(a).due_retests() == []
    clock.now += 30
    assert Claims(a).claim_due_retest(sid)
    assert a.session(sid)["retest_plan"] == [clock.now - 30, clock.now + 30]  # the plan itself is unchanged


def test_a_claim_of_a_killed_process_on_this_machine_is_taken_at_once(tmp_path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(child.stdout)
    me = leases.new_owner()
    host, ns, _, nonce = me.split("/")
    assert leases.owner_gone(f"{host}/{ns}/{dead}/{nonce}")
    assert not leases.owner_gone(me)
    assert not leases.owner_gone(f"{host}/{ns}/{os.getppid()}/x")  # alive
    assert not leases.owner_gone(f"{host}-elsewhere/{ns}/{dead}/x")  # another machine: only its lease tells
    assert leases.owner_gone(f"{host}/{ns}/{os.getpid()}/earlierlife")  # our PID in an earlier life
    clock = Clock(1_700_000_000.0)
    store = Store(tmp_path / "bot.db", clock=clock, owner=f"{socket.gethostname()}/{ns}/{dead}/gone")
    sid = _session(store)
    other = Store(tmp_path / "bot.db", clock=clock)
    assert Claims(other).adoptable() == [sid]  # no lease to wait for


def test_an_older_database_gains_the_lease_columns_and_its_claims_lapse_after_a_lease(tmp_path) -> None:
    path = tmp_path / "old.db"
    clock = Clock(1_700_000_000.0)
    sid = _session(Store(path, clock=clock))
    WatchStore(path).ensure("acme", clock.now)
    conn = sqlite3.connect(path)
    for index in ("sessions_busy", "sessions_status", "sessions_retest_due"):
        conn.execute(f"DROP INDEX {index}")
    for column in ("owner", "lease_until", "run_started"):  # back to the schema of the previous release
        conn.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
    for column in ("owner", "lease_until"):
        conn.execute(f"ALTER TABLE watches DROP COLUMN {column}")
    conn.commit()
    conn.close()
    store = Store(path, clock=clock, lease=LEASE)
    WatchStore(path)
    sess = store.session(sid)
    assert sess["busy"] and sess["owner"] is None and sess["lease_until"] is None
    # An old process may still be running it: taken only once untouched for a lease.
    assert Claims(store).adoptable() == []
    clock.now += LEASE + 1
    assert Claims(store).adoptable() == [sid] and Claims(store).adopt(sid)
    assert store.session(sid)["restarted_at"] is not None


def test_a_watch_check_is_claimed_by_one_process_before_it_runs(tmp_path) -> None:
    clock = Clock(1_700_000_000.0)
    Store(tmp_path / "bot.db", clock=clock)
    watches = WatchStore(tmp_path / "bot.db")
    watches.ensure("acme", clock.now + 60)
    a, b = leases.new_owner(), leases.new_owner()
    assert watches.due(clock.now, 10) == [] and not watches.claim("acme", owner=a, now=clock.now)
    clock.now += 60
    assert watches.due(clock.now, 10) == ["acme"]
    assert watches.claim("acme", owner=a, now=clock.now, lease=LEASE)
    assert not watches.claim("acme", owner=b, now=clock.now, lease=LEASE)
    assert not watches.claim("acme", owner=b, now=clock.now, lease=LEASE, force=True)  # held: not even forced
    assert watches.due(clock.now, 10) == []
    clock.now += LEASE + 1  # its checker died mid-check
    assert watches.due(clock.now, 10, lease=LEASE) == ["acme"]
    assert watches.claim("acme", owner=b, now=clock.now, lease=LEASE)
    watches.update("acme", next_due_at=clock.now + 3600)
    watches.release("acme", b)
    assert watches.due(clock.now, 10) == [] and not watches.claim("acme", owner=a, now=clock.now)


def test_every_poll_reads_through_an_index(tmp_path) -> None:
    store = Store(tmp_path / "bot.db", clock=Clock(1_700_000_000.0), lease=LEASE)
    conn = store._db().conn
    seen: list[str] = []
    conn.set_trace_callback(seen.append)  # the statements as run, their parameters filled in
    claims = Claims(store)
    claims.hold("a-session")
    claims.adoptable(), claims.due_retests(), claims.heartbeat()
    conn.set_trace_callback(None)
    polls = [sql for sql in seen if "sessions" in sql and not sql.startswith(("BEGIN", "COMMIT"))]
    assert len(polls) == 3, polls
    for sql in polls:
        plan = " | ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN sessions" not in plan, (sql, plan)


def test_overdue_checks_are_taken_a_few_at_a_time(tmp_path) -> None:
    clock = Clock(1_700_000_000.0)
    Store(tmp_path / "bot.db", clock=clock)
    watches = WatchStore(tmp_path / "bot.db")
    for i in range(40):
        watches.ensure(f"c{i:02}", clock.now - 3600 + i)
    assert watches.due(clock.now, 2) == ["c00", "c01"]  # the most overdue first, two per poll
