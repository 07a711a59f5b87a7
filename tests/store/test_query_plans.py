"""A log that can grow: every statement the bot runs against ``sessions`` — while acking a command, a click,
a form, during the run, at start-up and for the Home tab — reads through an index, never a scan of the table.

The statements are captured as the real bot runs them (SQLite's trace callback on every connection the
store opens), then asked for their plan (EXPLAIN QUERY PLAN) on the same file."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest

from bot.ids import ActionId
from bot.store import db as store_db
from bot.store import leases
from checks.scenarios import by_name

from bot_harness import USER, BotHarness, bot_env, open_home, toml_for
from slack_stub import SlackStub


@pytest.fixture
def traced(monkeypatch) -> set[str]:
    seen: set[str] = set()
    original = store_db.Store._db

    def db(self: store_db.Store):  # noqa: ANN202
        fresh = getattr(self._local, "db", None) is None
        handle = original(self)
        if fresh:
            handle.conn.set_trace_callback(seen.add)
        return handle

    monkeypatch.setattr(store_db.Store, "_db", db)
    return seen


@pytest.fixture
def harness(tmp_path, world, sim_server, traced) -> Iterator[BotHarness]:
    with SlackStub() as stub:
        conns = {"acme": by_name("not-preauthorized").build(world), "ok": by_name("healthy").build(world)}
        (tmp_path / "connections.toml").write_text(toml_for(conns))
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


def plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def scans_of_sessions(sql: str, lines: list[str]) -> list[str]:
    """"SCAN sessions" (or its alias) reads every row; "SEARCH … USING INDEX" reads the matching ones, and an
    index walked in order under a LIMIT (the newest 100 sessions) reads at most that many."""
    bounded = re.search(r"\bLIMIT \d+\s*$", sql) is not None
    return [line for line in lines if re.match(r"SCAN (sessions|s)\b", line)
            and not (bounded and "USING INDEX" in line)]


def test_no_statement_on_sessions_scans_the_table(harness, traced) -> None:
    h = harness
    for name in ("acme", "ok"):
        assert h.slash(name).status_code == 200
        h.wait_idle()
    sid = next(s["id"] for s in h.sessions() if s["connection_name"] == "acme")
    h.click(ActionId.RETEST, sid)
    h.wait_idle()
    assert h.slash("acme").status_code == 200  # a command while a session of it is known
    h.wait_idle()
    open_home(h, USER)
    from bot.sessions.recovery import recover
    recover(h.bot.service)  # start-up's reads
    h.bot.poll()  # every poll's: lapsed claims, due retests, due watch checks
    h.bot.heartbeat()
    h.bot.store.pending_retests()
    h.bot.retention.run()
    statements = sorted(s for s in traced if re.search(r"\bsessions\b", s) and
                        s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")))
    assert any("busy = 1" in s for s in statements), "the throttle's read was captured"
    conn = sqlite3.connect(h.bot.store.path)
    leases.register(conn)  # the polls' SQL function (a dead owner's claims are free)
    bad = {s: scans_of_sessions(s, plan(conn, s)) for s in statements}
    bad = {s: p for s, p in bad.items() if p}
    assert not bad, bad


def test_the_throttles_read_uses_the_busy_only_index(tmp_path) -> None:
    store = store_db.Store(tmp_path / "bot.db")
    conn = sqlite3.connect(store.path)
    lines = plan(conn, "SELECT * FROM sessions WHERE busy = 1 ORDER BY created_at DESC")
    assert lines == ["SEARCH sessions USING INDEX sessions_busy (busy=?)"]
