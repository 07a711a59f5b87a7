"""The App Home: app_home_opened → views.publish, showing each viewer only what their channels allow;
the visibility rule table-driven; ``aprity-diagnose stats`` over the same SQLite figures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.store import stats
from bot.blocks.home import home_view
from bot.terminal.cli import main
from bot.slack.home import HomeData, WatchedRow, connection_visible, visible_channels
from checks.scenarios import World
from checks.simulator import SimServer, Simulator
from slack_sdk.signature import SignatureVerifier

from bot_harness import CHANNEL, SIGNING_SECRET, SUPPORT, BotHarness, all_text, bot_env, open_home  # noqa: F401
from slack_stub import SlackStub
from watch_helpers import watched_toml

CUSTOMER, OTHER = "C0CUSTOMR", "C0OTHERCH"
MEMBER, OUTSIDER, STAFF, ESCALATIONS_ONLY = "U0MEMBER", "U0OUTSIDE", "U0STAFF", "U0ESCONLY"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server, SlackStub() as stub:
        o, a, u = world.org("acme", user={"active": False})
        o2, a2, u2 = world.org("globex")
        o3, a3, u3 = world.org("initech", user={"active": False})
        conns = {"acme": world.connection("acme", o, a, u), "globex": world.connection("globex", o2, a2, u2),
                 "initech": world.connection("initech", o3, a3, u3)}
        # Each broken connection is bound to its customer's channel; globex to none (staff only).
        text = watched_toml(conns, {"globex"})
        for name, channel in (("acme", CUSTOMER), ("initech", OTHER)):
            text = text.replace(f'[connections."{name}"]\n', f'[connections."{name}"]\nchannels = ["{channel}"]\n')
        (tmp_path / "connections.toml").write_text(text)
        for cid, name in ((CUSTOMER, "acme-support"), (OTHER, "other-customer"), (SUPPORT, "aprity-escalations"),
                          (CHANNEL, "aprity-staff")):
            stub.add_channel(cid, name)
        stub.add_member(CUSTOMER, MEMBER)
        stub.add_member(OTHER, OUTSIDER)
        stub.add_member(CHANNEL, STAFF)  # the harness's staff channel (APRITY_STAFF_CHANNELS)
        stub.add_member(SUPPORT, ESCALATIONS_ONLY)  # the support channel alone is not a staff channel
        harness = BotHarness.start(bot_env(tmp_path, stub, server.url, world.key_file), stub)
        try:
            yield harness
        finally:
            harness.close()





def test_home_shows_each_viewer_only_their_channels(h: BotHarness) -> None:
    for name, channel in (("acme", CUSTOMER), ("initech", OTHER)):
        assert h.slash(name, channel=channel).status_code == 200
    h.wait_idle()
    sessions = {s["channel"]: s for s in h.sessions()}
    assert set(sessions) == {CUSTOMER, OTHER} and all(s["status"] == "failing" for s in sessions.values())

    member = all_text(open_home(h, MEMBER))
    assert "Open sessions* (1)" in member and "the channels you are in" in member
    assert f"archives/{CUSTOMER}/" in member and f"archives/{OTHER}/" not in member
    assert "*Sessions:* 1" in member
    assert "globex" not in member, "a connection bound to none of the viewer's channels stays hidden"

    nobody = all_text(open_home(h, "U0NOCHANNEL"))
    assert "Open sessions* (0)" in nobody and "archives/" not in nobody and "*Sessions:* 0" in nobody

    staff = all_text(open_home(h, STAFF))
    assert "Open sessions* (2)" in staff and "all channels" in staff
    assert f"archives/{CUSTOMER}/" in staff and f"archives/{OTHER}/" in staff
    assert "*globex*" in staff and "not checked yet" in staff and "certificate expires" in staff
    assert "Top causes" in staff and "*Sessions:* 2" in staff

    # One rule with the access policy: staff are members of APRITY_STAFF_CHANNELS, not of the support channel.
    escalations = all_text(open_home(h, ESCALATIONS_ONLY))
    assert "Open sessions* (0)" in escalations and "archives/" not in escalations and "globex" not in escalations


def test_home_shows_nothing_when_channels_cannot_be_read(h: BotHarness) -> None:
    assert h.slash("acme", channel=CUSTOMER).status_code == 200
    h.wait_idle()
    h.stub.fail_next("users.conversations", "missing_scope")
    text = all_text(open_home(h, STAFF))
    assert "could not read which channels" in text and "Open sessions* (0)" in text and "globex" not in text


@pytest.mark.parametrize("mine, staff, expected", [
    ({"C1"}, {"C9"}, frozenset({"C1"})),
    ({"C1", "C9"}, {"C9"}, None),
    (set(), {"C9"}, frozenset()),
])
def test_visible_channels(mine, staff, expected) -> None:
    assert visible_channels(mine, staff) == expected


@pytest.mark.parametrize("bound, scope, expected", [
    (("C1",), None, True), ((), None, True), (("C1",), frozenset({"C1", "C2"}), True),
    (("C3",), frozenset({"C1"}), False), ((), frozenset({"C1"}), False),
])
def test_connection_visible(bound, scope, expected) -> None:
    assert connection_visible(bound, scope) is expected


def test_home_view_is_within_limits() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [{"id": f"s{i}", "channel": "C1", "thread_ts": "1.2", "connection_name": f"c{i}", "username": "u",
             "status": "failing", "cause_id": "user_inactive", "retest_due_at": now.timestamp(), "requester": "U0REQ",
             "escalated": i % 2 == 0, "link": "https://example.slack.com/archives/C1/p12"} for i in range(40)]
    watched = [WatchedRow(f"w{i}", False, now, now, now, 3.0) for i in range(40)]
    figures = stats.Stats(days=30, since=0, sessions=40, open=40, fixed=0, median_fix_seconds=None, escalations=3)
    view = home_view(HomeData("U1", True, now, rows, watched, figures))
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = all_text(view)
    assert "and 20 more open session(s)" in text and "and 10 more watched connection(s)" in text
    assert "Last 30 days" in text and "Median time to fix" in text


def test_stats_cli_matches_the_store(h: BotHarness, capsys, monkeypatch) -> None:
    assert h.slash("acme", channel=CUSTOMER).status_code == 200
    h.wait_idle()
    monkeypatch.setenv("APRITY_DB", h.bot.store.path)
    assert main(["stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sessions"] == 1 and out["open"] == 1 and out["days"] == 30
    assert out["top_causes"][0]["sessions"] == 1 and out["median_fix_seconds"] is None
    assert main(["stats", "--days", "7"]) == 0
    assert "Last 7 days" in capsys.readouterr().out
    monkeypatch.setenv("APRITY_DB", str(Path(h.bot.store.path).parent / "missing.db"))
    assert main(["stats"]) == 2


def test_home_block_ids_come_from_the_ids_module() -> None:
    """House rule: every block id lives in bot/ids.py; the Home tab's too, and each is unique in the view."""
    from bot.ids import HomeBlock

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [{"id": "s1", "channel": "C1", "thread_ts": "1.2", "connection_name": "c", "username": "u",
             "status": "failing", "cause_id": None, "retest_due_at": None, "requester": "U0REQ", "escalated": False,
             "link": None}] * 25
    watched = [WatchedRow("w", True, now, now, now, 40.0)] * 35
    figures = stats.Stats(days=30, since=0, sessions=1, open=1, fixed=0, median_fix_seconds=None, escalations=0)
    for data in (HomeData("U1", True, now, rows, watched, figures), HomeData("U1", False, now, [], [], figures)):
        ids = [b["block_id"] for b in home_view(data)["blocks"] if "block_id" in b]
        assert len(ids) == len(set(ids))
        known = {str(v) for v in HomeBlock}
        rows_of = (str(HomeBlock.SESSION), str(HomeBlock.WATCHED))
        assert all(i in known or (i.startswith(rows_of) and i.lstrip("home_sw").isdigit()) for i in ids), ids
    assert Path(home_view.__code__.co_filename).read_text().count('"home_') == 0  # no literal ids left behind
