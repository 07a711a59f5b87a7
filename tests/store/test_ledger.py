"""The durability ledger: migration of older databases, owed messages, interrupted runs, reply URLs."""

from __future__ import annotations

import sqlite3

from bot.store.ledger import REPLY_URL_USES, Ledger
from bot.store.db import Store
from checks.model import ConnectionSummary

from store_helpers import FakeClock

SUMMARY = ConnectionSummary(name="acme", username="int@acme.com", login_url="https://login.salesforce.com",
                            consumer_key="3MVG9key", environment="production")
NEW_COLUMNS = ("run_trigger", "restarted_at", "reply_url", "reply_url_expires", "reply_url_uses")


def test_a_database_from_before_the_ledger_is_migrated_in_place(tmp_path) -> None:
    path = tmp_path / "old.db"
    sid = Store(path).create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE owed")
    for column in NEW_COLUMNS:  # back to the schema of the previous release
        conn.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
    conn.commit()
    conn.close()
    store = Store(path)
    sess = store.session(sid)
    assert sess is not None and sess["username"] == "int@acme.com"
    assert all(column in sess for column in NEW_COLUMNS) and sess["reply_url_uses"] == 0
    Ledger(store).owe_reply(sid, {"text": "hello"})
    assert [r["message"] for r in Ledger(store).owed()] == [{"text": "hello"}]


def test_owed_parent_keeps_only_the_latest_rendering_and_settles(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    sid = store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY)
    ledger = Ledger(store)
    assert not ledger.owing
    ledger.owe_parent(sid, {"text": "running"})
    ledger.owe_parent(sid, {"text": "works"})
    assert ledger.owing and [r["message"]["text"] for r in ledger.owed()] == ["works"]
    ledger.settle_parent(sid)
    assert ledger.owed() == [] and not ledger.owing


def test_interrupted_sessions_are_the_lapsed_claims_and_the_acked_ones_never_run(tmp_path) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db", clock=clock)
    claimed = store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY, claimed=True)
    idle = store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY)
    store.close(idle, "ok")
    ledger = Ledger(store)
    assert ledger.interrupted() == []  # a claim this live process holds under its lease is nobody's to take
    clock.now += store.lease + 1
    assert [s["id"] for s in ledger.interrupted()] == [claimed]
    assert store.session(claimed)["run_trigger"] == "command"


def test_reply_url_is_used_at_most_five_times_and_not_after_30_minutes(tmp_path) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db", clock=clock)
    url = "https://hooks.slack.com/commands/T0/1/x"
    sid = store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY, reply_url=url)
    ledger = Ledger(store)
    assert [ledger.take_reply_url(sid) for _ in range(REPLY_URL_USES + 1)] == [url] * REPLY_URL_USES + [None]
    other = store.create_session(channel="C0AAA", requester="U0AAA", connection=SUMMARY, reply_url=url)
    clock.now += 30 * 60
    assert ledger.take_reply_url(other) is None
