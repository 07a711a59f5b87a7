"""Watch checks and the per-connection limit, as the bot wires them (bot.slack.app.build): the watcher's
checks go through Throttle.allow_watch, so they count toward the same six-a-minute as commands, and
the alert session's own first run counts too. Real bot, real HTTP to the simulator and the Slack stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.policy.throttle import LIMIT
from checks.scenarios import World

from bot_harness import BotHarness, all_text
from watch_helpers import ALERTS, watched_acme


@pytest.fixture
def s(tmp_path: Path) -> Iterator[dict]:
    with watched_acme(tmp_path) as s:
        w = s["h"].bot.watcher
        assert w is not None and [name for name, _ in w.sync()] == ["acme"]
        yield {**s, "w": w}


def test_watch_checks_count_toward_the_per_connection_limit(s) -> None:
    h, w, world = s["h"], s["w"], s["world"]
    for _ in range(LIMIT):
        assert w.check("acme") == "working"
    before = len(world.sim.log)
    assert w.check("acme") == "skipped: run limit reached"
    assert len(world.sim.log) == before, "a refused watch check calls nothing"
    # The six watch checks spent the connection's minute: a command now is told when it may run.
    answer = h.slash("acme")
    assert answer.status_code == 200 and f"checked {LIMIT} times in the last minute" in answer.text
    h.wait_idle()
    assert h.sessions() == [] and len(world.sim.log) == before


def test_a_command_counts_toward_the_watch_checks_too(s) -> None:
    h, w = s["h"], s["w"]
    for _ in range(LIMIT - 1):
        assert w.check("acme") == "working"
    assert h.slash("acme").status_code == 200
    h.wait_idle()
    assert len(h.sessions()) == 1
    assert w.check("acme") == "skipped: run limit reached"


def test_the_alert_sessions_first_run_counts_and_waits_when_over_the_limit(s) -> None:
    h, w, world = s["h"], s["w"], s["world"]
    assert w.check("acme") == "working"
    world.sim.change_user(s["user"].username, active=False)
    assert w.check("acme") == "failing"
    # Three runs used so far this minute; leave room for the second failing check but not for its alert.
    for _ in range(LIMIT - 3):
        assert _spend(h, world)
    assert w.check("acme") == "failing, alert postponed: run limit reached"
    h.wait_idle()
    assert h.sessions() == [] and h.stub.channel_messages(ALERTS) == []


def _spend(h: BotHarness, world: World) -> bool:
    """Count one run of acme in the throttle, as another check of it would."""
    from checks.connections import load_all

    conn = load_all(h.bot.service.connections_file)["acme"]
    allowed = h.bot.gate.throttle.allow_watch(conn)
    if allowed:
        h.bot.gate.throttle.watch_done(conn)
    return allowed


def test_an_alert_session_is_counted_once_started(s) -> None:
    h, w, world = s["h"], s["w"], s["world"]
    assert w.check("acme") == "working"
    world.sim.change_user(s["user"].username, active=False)
    assert w.check("acme") == "failing"
    assert w.check("acme") == "alerted"
    h.wait_idle()
    sess = h.only_session()
    assert sess["channel"] == ALERTS and "automatic watch" in all_text(h.parent(sess))
    # Three watch checks plus the alert session's first run: four of the six are spent.
    for _ in range(LIMIT - 4):
        assert _spend(h, world)
    assert not _spend(h, world)
