"""Posts nobody asked for follow the access policy: a watch alert or a certificate warning names a
connection in the alert channel only where a command for it would be allowed (a staff channel, or a
channel the connection is bound to). Also: the bot's own watcher counts its checks in the
per-connection limit. Everything through the bot as :func:`bot.slack.app.build` wires it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.watch.expiry import DAY, ExpiryWatch
from bot.ids import ActionId
from bot.policy.throttle import LIMIT
from checks.crypto import keys
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, BotHarness, all_text, bot_env
from sim_helpers import Clock
from slack_stub import SlackStub
from watch_helpers import watched_toml

ALERTS = "C0ALERTSQ"


@pytest.fixture
def setup(tmp_path: Path, caplog) -> Iterator[dict]:
    caplog.set_level(logging.INFO)
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server, SlackStub() as stub:
        o, a, u = world.org("acme")
        conn = world.connection("acme", o, a, u)
        toml = tmp_path / "connections.toml"
        toml.write_text(watched_toml({"acme": conn}, {"acme"}))
        # The alert channel is not a staff channel here (the harness's staff channel is CHANNEL).
        h = BotHarness.start(bot_env(tmp_path, stub, server.url, world.key_file, APRITY_ALERT_CHANNEL=ALERTS), stub)
        try:
            yield {"h": h, "world": world, "user": u, "conn": conn, "toml": toml, "caplog": caplog}
        finally:
            h.close()


def bind_to_alerts(s: dict) -> None:
    """Bind acme to the alert channel (and grow the file, so the cached copy is surely replaced)."""
    text = watched_toml({"acme": replace(s["conn"], channels=(ALERTS,))}, {"acme"})
    s["toml"].write_text(text + "\n# bound to the alert channel\n")


def check(s: dict) -> str:
    outcome = s["h"].bot.watcher.check("acme")
    s["h"].wait_idle()
    return outcome


def test_start_up_says_the_alert_channel_cannot_show_the_watched_connection(setup) -> None:
    lines = [r.getMessage() for r in setup["caplog"].get_records("setup") if "alert channel" in r.getMessage()]
    assert lines and ALERTS in lines[0] and "APRITY_STAFF_CHANNELS" in lines[0]


def test_no_alert_session_where_the_policy_does_not_show_the_connection(setup) -> None:
    s, h = setup, setup["h"]
    assert check(s) == "working"
    s["world"].sim.change_user(s["user"].username, active=False)
    assert check(s) == "failing"
    assert check(s) == "failing, no alert: the alert channel is not a staff channel"
    assert h.sessions() == [] and h.stub.channel_messages(ALERTS) == []
    assert "acme" not in all_text(h.stub.accepted("chat.postMessage"))

    bind_to_alerts(s)  # a channel bound to acme may show acme: the alert goes out, and its buttons work there
    assert check(s) == "alerted"
    [sess] = h.sessions()
    assert sess["channel"] == ALERTS and h.stub.channel_messages(ALERTS)
    h.click(ActionId.RETEST, sess["id"], channel=ALERTS)
    deadline = time.monotonic() + 10  # the listener acks first, then queues the run
    while len(h.bot.store.runs(sess["id"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    h.wait_idle()
    assert [r["trigger"] for r in h.bot.store.runs(sess["id"])] == ["command", "button"], \
        "the alert session's button acts in the alert channel"


def test_no_certificate_warning_where_the_policy_does_not_show_the_connection(setup) -> None:
    s, h = setup, setup["h"]
    ew = h.bot.watcher.on_sweep.__self__  # the bot's own sweep, as build() wired it
    assert isinstance(ew, ExpiryWatch)
    not_after = keys.read_certificate(s["world"].cert_file).not_valid_after_utc.timestamp()
    ew.clock = Clock(not_after - 6.5 * DAY)
    before = len(h.stub.accepted("chat.postMessage"))
    assert ew.sweep() == []
    assert len(h.stub.accepted("chat.postMessage")) == before and h.stub.channel_messages(ALERTS) == []
    bind_to_alerts(s)
    assert ew.sweep() == [("acme", 7)], "not remembered as sent while it could not be posted"
    assert "acme" in all_text(h.stub.channel_messages(ALERTS))


def test_the_bots_watcher_counts_in_the_per_connection_limit(setup) -> None:
    s, h = setup, setup["h"]
    for _ in range(LIMIT):
        h.slash("acme", channel=CHANNEL)
        h.wait_idle()
    before = len(s["world"].sim.log)
    assert check(s) == "skipped: run limit reached" and len(s["world"].sim.log) == before
    text = h.slash("acme", channel=CHANNEL).text
    assert "next check is possible" in text
