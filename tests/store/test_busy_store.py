"""Another process holding SQLite's write lock for seconds does not cost the command its answer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import pytest

from bot_harness import BotHarness, bot_env, toml_for
from slack_stub import SlackStub


@pytest.fixture
def harness(tmp_path, world, sim_server) -> Iterator[BotHarness]:
    o, a, u = world.org("lockbox")
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": world.connection("healthy", o, a, u)}))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        # Slack gives up on a command after 3 s: so does this client.
        h._http.timeout = 3.0
        yield h
        h.close()


def test_a_held_write_lock_gets_a_clear_busy_answer_in_time(harness: BotHarness, tmp_path) -> None:
    other = sqlite3.connect(tmp_path / "bot.db", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a second process writing, e.g. a long maintenance job
    try:
        r = harness.slash("healthy")
        assert r.status_code == 200
        assert "busy" in r.text and "try again" in r.text
        assert harness.sessions() == []  # nothing half-written
    finally:
        other.execute("ROLLBACK")
        other.close()
    r = harness.slash("healthy")
    assert "Checking" in r.text
    harness.wait_idle()
    assert harness.only_session()["status"] == "ok"


def test_a_lock_released_within_the_wait_still_queues_the_command(harness: BotHarness, tmp_path) -> None:
    other = sqlite3.connect(tmp_path / "bot.db", timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: other.execute("ROLLBACK"))
    release.start()
    try:
        r = harness.slash("healthy")
    finally:
        release.join()
        other.close()
    assert "Checking" in r.text
    harness.wait_idle()
    assert harness.only_session()["status"] == "ok"
