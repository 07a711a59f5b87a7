"""One run per connection at a time, a handful per minute, and the first "I fixed it" always honoured."""

from __future__ import annotations

import pytest

from bot.store.db import Store
from bot.policy.throttle import Busy, Later, Started, Throttle, busy_text, later_text, permalink
from checks.connections import Connection

from sim_helpers import Clock


CONN = Connection(username="integration@acme.com", login_url="https://login.salesforce.com",
                  consumer_key="3MVG9public.consumer.key", name="acme-prod")


@pytest.fixture
def clock() -> Clock:
    return Clock(1_700_000_000.0)


@pytest.fixture
def store(tmp_path, clock) -> Store:
    return Store(tmp_path / "t.db", clock=clock)


def starter(store: Store, conn: Connection = CONN):
    """A stand-in for SessionService.start: the insert and the claim it does, nothing else."""
    def start() -> str:
        sid = store.create_session(channel="C1", requester="U1", connection=conn.summary())
        store.claim(sid)
        return sid
    return start


def test_a_busy_connection_points_to_its_session(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    first = t.command(CONN, starter(store))
    assert isinstance(first, Started)
    same = Connection(username="Integration@ACME.com", login_url="https://login.salesforce.com/",
                      consumer_key=CONN.consumer_key)  # the same connection, typed differently
    again = t.command(same, starter(store))
    assert isinstance(again, Busy) and again.session["id"] == first.value
    other = Connection(username="other@acme.com", login_url=CONN.login_url, consumer_key=CONN.consumer_key)
    assert isinstance(t.command(other, starter(store, other)), Started)
    store.release(first.value)  # the run is over: a new command may start
    assert isinstance(t.command(CONN, starter(store)), Started)


def test_six_per_rolling_minute_then_a_time(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    for i in range(6):
        outcome = t.command(CONN, starter(store))
        assert isinstance(outcome, Started), i
        store.release(outcome.value)
        clock.now += 5
    refused = t.command(CONN, starter(store))
    assert isinstance(refused, Later) and refused.at == 1_700_000_000.0 + 60
    assert "possible at 22:14:20 UTC (in 30 s)" in later_text(refused.at, clock.now)
    clock.now = refused.at
    assert isinstance(t.command(CONN, starter(store)), Started)


def test_first_button_after_a_run_is_never_refused(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    sids = []
    for _ in range(6):
        outcome = t.command(CONN, starter(store))
        store.release(outcome.value)
        sids.append(outcome.value)
    sess = store.session(sids[-1])
    assert isinstance(t.retest(sess, lambda: None, button=False), Later)  # a scheduled retest waits
    assert isinstance(t.retest(sess, lambda: None, button=True), Started)  # "I fixed it" goes through
    assert isinstance(t.retest(sess, lambda: None, button=True), Later)  # but not again and again
    clock.now += 61
    assert isinstance(t.retest(sess, lambda: None, button=True), Started)


def test_a_press_that_started_nothing_does_not_count(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    sid = starter(store)()
    store.release(sid)
    sess = store.session(sid)
    for _ in range(10):
        t.retest(sess, lambda: "already running", button=False, ran=lambda notice: notice is None)
    assert isinstance(t.retest(sess, lambda: None, button=False), Started)


def test_scheduled_retests_over_the_limit_are_moved(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    sid = starter(store)()
    store.release(sid)
    ran, moved = [], []
    gated = t.gate_scheduled(ran.append, lambda s, at: moved.append((s, at)))
    for _ in range(8):
        gated(sid)
    assert ran == [sid] * 6 and moved == [(sid, clock.now + 60)] * 2


def test_pointer_texts(store) -> None:
    sess = {"channel": "C1", "thread_ts": "1700000000.000100"}
    assert permalink("C1", "1700000000.000100", "acme") == "https://acme.slack.com/archives/C1/p1700000000000100"
    assert "https://acme.slack.com/archives/C1/p1700000000000100" in busy_text(sess, "C1", "acme")
    assert "starting in <#C1>" in busy_text({"channel": "C1", "thread_ts": None}, "C1", "acme")
    elsewhere = busy_text(sess, "C2", "acme")
    assert "another channel" in elsewhere and "C1" not in elsewhere


# ----- limits that hold: one rule for every path, keyed by the normalised connection, on a monotonic clock


def released(store: Store, conn: Connection = CONN) -> dict:
    """An old session of ``conn`` whose run is over (what a retest button acts on)."""
    sid = starter(store, conn)()
    store.release(sid)
    return store.session(sid)


def test_the_default_port_case_and_trailing_slash_make_one_connection(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    ported = Connection(username=CONN.username, consumer_key=CONN.consumer_key,
                        login_url="HTTPS://Login.Salesforce.com:443")
    first = t.command(ported, starter(store, ported))
    assert isinstance(first, Started)
    slashed = Connection(username=CONN.username, consumer_key=CONN.consumer_key,
                         login_url="https://login.salesforce.com/")
    assert isinstance(t.command(slashed, starter(store, slashed)), Busy)
    store.release(first.value)
    for _ in range(5):  # the six a minute are shared too
        store.release(t.command(slashed, starter(store, slashed)).value)
    assert isinstance(t.command(ported, starter(store, ported)), Later)
    other_port = Connection(username=CONN.username, consumer_key=CONN.consumer_key,
                            login_url="https://login.salesforce.com:8443")
    assert isinstance(t.command(other_port, starter(store, other_port)), Started)  # a real other port is another


def test_windows_count_on_the_monotonic_clock(store, clock) -> None:
    mono = Clock(500.0)
    t = Throttle(store, clock=clock, monotonic=mono)
    for _ in range(6):
        store.release(t.command(CONN, starter(store)).value)
    refused = t.command(CONN, starter(store))
    assert isinstance(refused, Later) and refused.at == clock.now + 60  # shown on the wall clock
    clock.now -= 3600  # the wall clock is stepped back an hour: the window still ends a minute after
    mono.now += 60
    assert isinstance(t.command(CONN, starter(store)), Started)


def test_the_first_press_is_free_once_per_connection_not_per_session(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    old = [released(store) for _ in range(6)]
    for _ in range(6):
        store.release(t.command(CONN, starter(store)).value)
    assert isinstance(t.retest(old[0], lambda: None, button=True), Started)  # the first press after the runs
    assert all(isinstance(t.retest(s, lambda: None, button=True), Later) for s in old[1:])


def test_a_retest_waits_for_any_run_of_its_connection(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    old = released(store)
    running = t.command(CONN, starter(store))
    ran: list[str] = []
    outcome = t.retest(old, lambda: ran.append("run"), button=True)
    assert isinstance(outcome, Busy) and outcome.session["id"] == running.value and ran == []
    moved: list[tuple[str, float]] = []
    gated = t.gate_scheduled(ran.append, lambda s, at: moved.append((s, at)))
    gated(old["id"])
    assert ran == [] and moved == [(old["id"], clock.now + 60)]  # tried again in a minute, not lost
    store.release(running.value)
    gated(old["id"])
    assert ran == [old["id"]]


def test_a_watch_check_holds_its_connection_until_done(store, clock) -> None:
    t = Throttle(store, clock=clock, monotonic=clock)
    assert t.allow_watch(CONN)
    outcome = t.command(CONN, starter(store))
    assert isinstance(outcome, Busy) and outcome.session is None
    assert "automatic check" in busy_text(None, "C1", "acme")
    assert isinstance(t.retest(released(store), lambda: None, button=True), Busy)
    assert not t.allow_watch(CONN)  # nor a second watch check
    t.watch_done(CONN)
    assert isinstance(t.command(CONN, starter(store)), Started)
    assert not t.allow_watch(CONN)  # now the session's run holds it
