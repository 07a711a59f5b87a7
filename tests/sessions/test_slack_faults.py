"""Slack faults on post and update: every parent ends showing its session's final state.

The Slack stand-in answers late (after the call took effect, or not at all) and
throws storms of 5xx longer than slack_sdk's retries. Whatever it does, no parent
stays ⏳ once its session has a verdict, no session stays busy, nothing stays owed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, BotHarness, all_text, bot_env, toml_for
from slack_stub import SlackStub
from procs import wait_until


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


@pytest.fixture
def own_world(tmp_path) -> Iterator[tuple[World, str]]:
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server:
        yield world, server.url


@pytest.fixture
def bot(tmp_path, stub, own_world) -> Iterator[BotHarness]:
    world, url = own_world
    o, a, u = world.org("initech")
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": world.connection("healthy", o, a, u)}))
    # Slack calls time out after 1 s here (30 s in production); owed messages are retried every 0.3 s.
    h = BotHarness.start(bot_env(tmp_path, stub, url, world.key_file), stub, slack_timeout=1, repair_interval=0.3)
    yield h
    h.close()


def settled(h: BotHarness) -> dict:
    """Wait until the one session is final in SQLite and in Slack; return it."""
    def done() -> dict | None:
        rows = h.sessions()
        if len(rows) != 1:
            return None
        sess = h.bot.store.session(rows[0]["id"])
        if sess["busy"] or sess["status"] == "running" or not sess["thread_ts"] or h.bot.repairer.ledger.owed():
            return None
        return sess

    return wait_until(done, 40, "the session to end final in SQLite and Slack")


def assert_final(h: BotHarness, sess: dict) -> None:
    text = all_text(h.parent(sess))
    assert "Connection works" in text and "⏳" not in text and "Running" not in text
    assert sess["status"] == "ok"


def test_a_read_timeout_is_retried_and_a_parent_that_landed_twice_points_to_the_live_one(bot: BotHarness) -> None:
    bot.stub.stall_next("chat.postMessage", 2.5, deliver=True)  # the first parent lands; its answer is lost
    bot.slash("healthy")
    sess = settled(bot)
    assert_final(bot, sess)
    parents = bot.stub.channel_messages(CHANNEL)
    assert len(parents) == 2
    # Retried within the call (a read timeout counts as a fault), so the run had its thread:
    # the requester needed no note through the response_url.
    assert bot.stub.calls("webhook") == []
    orphan = next(m for m in parents if m["ts"] != sess["thread_ts"])
    assert "continues in" in all_text(orphan) and "⏳" not in all_text(orphan)
    assert all(b.get("type") != "actions" for b in orphan["blocks"]), "no buttons left that would do nothing"


def test_final_update_timing_out_is_repaired(bot: BotHarness, own_world) -> None:
    world, _ = own_world
    world.sim.latency = 0.5  # time to place the fault between the last progress update and the final one
    bot.slash("healthy")
    bot.stub.wait_for("chat.update", 3)  # "running step …" for the key, the exchange and the verification
    bot.stub.stall_next("chat.update", 1.5, deliver=False, times=3)  # every attempt of the final update
    sess = settled(bot)
    assert_final(bot, sess)
    stalled = [c for c in bot.stub.calls("chat.update") if c.response == "stalled"]
    assert len(stalled) == 3


def test_a_5xx_storm_on_update_ends_with_the_parent_final(bot: BotHarness) -> None:
    bot.stub.fail_next("chat.update", status=503, times=1000)
    bot.slash("healthy")
    wait_until(lambda: bot.sessions() and not bot.bot.store.session(bot.sessions()[0]["id"])["busy"]
               and bot.bot.store.session(bot.sessions()[0]["id"])["status"] == "ok", 60, "the run to end")
    sess = bot.bot.store.session(bot.sessions()[0]["id"])
    assert bot.bot.repairer.ledger.owes(sess["id"], "parent"), "the final state is owed while Slack fails"
    assert "⏳" in all_text(bot.parent(sess))
    bot.stub.clear_faults()
    sess = settled(bot)
    assert_final(bot, sess)


def test_a_5xx_storm_on_post_delivers_parent_and_thread_once_slack_recovers(bot: BotHarness) -> None:
    bot.stub.fail_next("chat.postMessage", status=500, times=1000)
    bot.slash("healthy")
    wait_until(lambda: bot.sessions() and bot.bot.store.session(bot.sessions()[0]["id"])["status"] == "ok"
               and not bot.bot.store.session(bot.sessions()[0]["id"])["busy"], 60, "the run to end")
    assert bot.stub.accepted("chat.postMessage") == []
    # The requester learns the outcome through the command's response_url meanwhile.
    assert "Connection works" in all_text(bot.stub.wait_for("webhook")[0].args)
    bot.stub.clear_faults()
    sess = settled(bot)
    assert_final(bot, sess)
    assert len(bot.stub.channel_messages(CHANNEL)) == 1
    assert bot.stub.thread(CHANNEL, sess["thread_ts"]), "the step-by-step replies follow the parent"


def test_after_a_failed_call_runs_stop_waiting_on_slack_until_it_answers(bot: BotHarness) -> None:
    """An outage must not hold pool slots: updates and replies go straight to the ledger meanwhile."""
    bot.slash("healthy")
    sess = settled(bot)
    delivery = bot.bot.service.delivery
    bot.stub.fail_next("chat.update", status=500, times=3)  # one call and its two retries
    assert not delivery.update_parent(sess, {"text": "first"})
    assert delivery.quiet
    before = len(bot.stub.calls())
    assert not delivery.update_parent(sess, {"text": "second"})
    assert not delivery.reply(sess, {"text": "a reply"})
    assert len(bot.stub.calls()) == before, "no call to Slack while it is failing"
    # The repair pass finds Slack answering again, replays the latest rendering and the reply.
    sess = wait_until(lambda: None if bot.bot.repairer.ledger.owed() else sess, 20, "the repair pass")
    assert not delivery.quiet
    assert bot.parent(sess)["text"] == "second"
    assert bot.stub.thread(CHANNEL, sess["thread_ts"])[-1]["text"] == "a reply"


def test_what_slack_was_owed_before_a_restart_is_repaired_at_start_up(tmp_path, stub, own_world) -> None:
    world, url = own_world
    o, a, u = world.org("initech")
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": world.connection("healthy", o, a, u)}))
    env = bot_env(tmp_path, stub, url, world.key_file)
    first = BotHarness.start(env, stub, slack_timeout=1, repair_interval=3600)  # the storm outlasts every try
    try:
        stub.fail_next("chat.update", status=503, times=1000)
        first.slash("healthy")
        first.wait_idle(60)
        sid = first.sessions()[0]["id"]
        assert first.bot.repairer.ledger.owes(sid, "parent")
    finally:
        first.close()
    stub.clear_faults()
    second = BotHarness.start(env, stub, slack_timeout=1, repair_interval=3600)
    try:
        sess = settled(second)
        assert_final(second, sess)
    finally:
        second.close()
