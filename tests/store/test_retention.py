"""At rest: an owner-only database, and nothing kept longer than APRITY_RETENTION_DAYS."""

from __future__ import annotations

import os
import stat
import time

from bot.store.retention import DAY, FIRST_PASS_DELAY, JOB_ID, Retention
from bot.store.db import Store

from store_helpers import conn_summary, failing, raw
from sim_helpers import Clock

T0 = 1_700_000_000.0


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_and_wal_files_are_owner_only(tmp_path) -> None:
    old = os.umask(0o022)  # the usual umask would give 0644
    try:
        path = tmp_path / "db" / "bot.db"
        store = Store(path)
        store.create_session(channel="C1", requester="U1", connection=conn_summary())
        files = [path, path.with_name("bot.db-wal"), path.with_name("bot.db-shm")]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600] * 3
        store.disconnect()
        path.chmod(0o644)  # an older file is tightened at the next start
        Store(path)
        assert mode(path) == 0o600
    finally:
        os.umask(old)


def add(store: Store, clock: Clock, at: float, *, escalate: bool = False) -> str:
    clock.now = at
    sid = store.create_session(channel="C1", requester="U1", connection=conn_summary())
    store.record_run(sid, trigger="command", diagnosis=failing(), started_at=at)
    if escalate:
        store.record_escalation(sid, by_user="U2", channel="C9")
    return sid


def test_old_sessions_go_with_their_runs_steps_and_escalations(tmp_path) -> None:
    clock = Clock(T0)
    store = Store(tmp_path / "bot.db", clock=clock)
    old = add(store, clock, T0, escalate=True)
    busy = add(store, clock, T0)
    store.claim(busy)  # a run in progress is never deleted under it
    recent = add(store, clock, T0 + 60 * DAY, escalate=True)
    clock.now = T0 + 90 * DAY + 5
    assert Retention(store, 90, clock=clock).run() == 1
    assert store.session(old) is None and store.session(recent) and store.session(busy)
    db = raw(tmp_path / "bot.db")
    counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "steps", "escalations")}
    assert counts == {"runs": 2, "steps": 6, "escalations": 1}
    assert db.execute("SELECT COUNT(*) FROM runs WHERE session_id = ?", (old,)).fetchone()[0] == 0
    clock.now = T0 + 200 * DAY
    store.release(busy)
    assert Retention(store, 90, clock=clock).run() == 2
    assert db.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 0


def test_bot_purges_after_it_serves_and_then_daily(tmp_path) -> None:
    from bot.slack.app import build
    from bot.settings import Settings

    clock = Clock(T0)
    db = tmp_path / "bot.db"
    store = Store(db, clock=clock)
    sid = add(store, clock, T0)
    clock.now = T0 + 8 * DAY
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "APRITY_SUPPORT_CHANNEL": "C0SUPPORT",
           "APRITY_DB": str(db), "APRITY_RETENTION_DAYS": "7", "APRITY_CONNECTIONS": str(tmp_path / "none.toml"),
           "SLACK_API_URL": "http://127.0.0.1:9/api"}
    bot = build(Settings.from_env(env), clock=clock)
    try:
        # Not before serving: start-up leaves the old session for a pass a minute later, on the scheduler.
        assert bot.store.session(sid) is not None
        job = bot.scheduler._scheduler.get_job(JOB_ID)
        assert job is not None and job.trigger.interval.total_seconds() == DAY
        first_in = job.next_run_time.timestamp() - time.time()
        assert FIRST_PASS_DELAY - 5 < first_in <= FIRST_PASS_DELAY
        job.func()  # that pass, as the scheduler runs it
        assert bot.store.session(sid) is None
    finally:
        bot.shutdown()


def test_a_pass_deletes_in_small_transactions_with_a_pause_between(tmp_path) -> None:
    clock = Clock(T0)
    store = Store(tmp_path / "bot.db", clock=clock)
    sids = [add(store, clock, T0 + i) for i in range(7)]
    keep = add(store, clock, T0 + 50 * DAY)
    clock.now = T0 + 91 * DAY
    commits, pauses = [], []
    store._db().conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    assert Retention(store, 90, clock=clock, batch=3, pause=lambda: pauses.append(1)).run() == 7
    assert len(commits) == 3 and len(pauses) == 2  # 3 + 3 + 1: three transactions, a pause between each
    assert all(store.session(s) is None for s in sids) and store.session(keep) is not None


def test_a_failed_batch_keeps_what_was_deleted_before(tmp_path) -> None:
    clock = Clock(T0)
    store = Store(tmp_path / "bot.db", clock=clock)
    for i in range(5):
        add(store, clock, T0 + i)
    clock.now = T0 + 91 * DAY
    calls = []

    def locked_on_second() -> None:
        calls.append(1)
        raise_next[0] = True

    raise_next = [False]
    real = store.purge_before

    def purge(cutoff: float, *, batch: int) -> int:
        if raise_next[0]:
            import sqlite3
            raise sqlite3.OperationalError("database is locked")
        return real(cutoff, batch=batch)

    store.purge_before = purge  # type: ignore[method-assign]
    assert Retention(store, 90, clock=clock, batch=2, pause=locked_on_second).run() == 2
    assert len(raw(tmp_path / "bot.db").execute("SELECT id FROM sessions").fetchall()) == 3


def test_a_new_watch_store_file_is_owner_only(tmp_path) -> None:
    from bot.store.watch import WatchStore

    old = os.umask(0o022)
    try:
        path = tmp_path / "watch.db"  # on its own, before any Store made the file
        WatchStore(path).ensure("acme", T0)
        assert mode(path) == 0o600
    finally:
        os.umask(old)


def test_owed_slack_messages_go_with_their_session(tmp_path) -> None:
    from bot.store.ledger import Ledger

    clock = Clock(T0)
    store = Store(tmp_path / "bot.db", clock=clock)
    old = add(store, clock, T0)
    Ledger(store).owe_parent(old, {"text": "owed since an outage that never ended"})
    Ledger(store).owe_reply(old, {"text": "a reply"})
    clock.now = T0 + 91 * DAY
    assert Retention(store, 90, clock=clock).run() == 1, "one owed message must not block the whole pass"
    assert store.session(old) is None
    assert raw(tmp_path / "bot.db").execute("SELECT COUNT(*) FROM owed").fetchone()[0] == 0
