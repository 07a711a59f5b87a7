"""Watched connections over the simulator: two failing checks alert once, a blip alerts nobody,
the fix closes the alert session green with the outage's length; skips for running sessions and
for the run limit. The watcher's clock is a fake one; the engine and Slack are real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.store.watch import WatchStore
from bot.watch.watcher import Watcher, next_slot
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, BotHarness, all_text, bot_env, toml_for
from sim_helpers import Clock
from slack_stub import SlackStub
from watch_helpers import ALERTS, HOUR, watched_acme, watched_toml  # noqa: F401

@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict]:
    with watched_acme(tmp_path) as s:
        h, env = s["h"], s["env"]
        clock = Clock(1_800_000_000.0)
        allowed: list[bool] = [True]
        w = Watcher(h.bot.service, WatchStore(env["APRITY_DB"]), alert_channel=ALERTS, interval=HOUR,
                    connections_file=env["APRITY_CONNECTIONS"], private_key_file=str(s["world"].key_file),
                    allow_run=lambda key: allowed[0], may_alert=h.bot.watcher.may_alert, clock=clock)
        yield {**s, "w": w, "clock": clock, "allowed": allowed}


def check(s: dict, advance: float = HOUR) -> str:
    s["clock"].now += advance
    outcome = s["w"].check("acme")
    s["h"].wait_idle()
    return outcome


def deactivate(s: dict, active: bool = False) -> None:
    s["world"].sim.change_user(s["user"].username, active=active)


def test_break_alerts_once_after_two_failing_checks_and_closes_green_with_the_outage(setup) -> None:
    s, h = setup, setup["h"]
    assert check(s) == "working"
    deactivate(s)
    assert check(s) == "failing"
    assert h.sessions() == [], "one failing check must not alert"
    assert check(s) == "alerted"
    sess = h.only_session()
    assert sess["channel"] == ALERTS and sess["requester"] == "automatic watch"
    parent = all_text(h.parent(sess))
    assert "automatic watch" in parent and "<@automatic" not in parent and "an unknown user" not in parent
    assert "❌" in parent and "I fixed it, retest" in parent  # the ordinary session: outcome and buttons
    thread_before = len(h.stub.thread(ALERTS, sess["thread_ts"]))
    assert thread_before >= 1
    assert check(s) == "still failing"
    assert check(s) == "still failing"
    assert len(h.sessions()) == 1, "no new alert while it stays broken"
    assert len(h.stub.thread(ALERTS, sess["thread_ts"])) == thread_before
    deactivate(s, active=True)
    assert check(s, advance=HOUR / 2) == "working again"
    sess = h.bot.store.session(sess["id"])
    assert sess["status"] == "ok"
    assert "✅" in all_text(h.parent(sess))
    last = all_text(h.stub.thread(ALERTS, sess["thread_ts"])[-1])
    # First failing check at +2 h, working again at +5.5 h.
    assert "broken for *3 h 30 min*" in last, last
    row = s["w"].store.watch("acme")
    assert row["alert_session"] is None and row["broken_since"] is None and row["fails"] == 0
    assert check(s) == "working" and len(h.sessions()) == 1


def test_one_failing_check_is_a_blip(setup) -> None:
    s, h = setup, setup["h"]
    assert check(s) == "working"
    deactivate(s)
    assert check(s) == "failing"
    deactivate(s, active=True)
    assert check(s) == "working"
    deactivate(s)
    assert check(s) == "failing", "the streak starts over after a passing check"
    assert h.sessions() == [] and h.stub.channel_messages(ALERTS) == []


def test_never_worked_while_watched_does_not_alert(setup) -> None:
    s, h = setup, setup["h"]
    deactivate(s)
    assert check(s) == "failing, never worked while watched"
    assert check(s) == "failing, never worked while watched"
    assert h.sessions() == []


def test_skipped_while_its_session_runs_and_when_the_run_limit_says_no(setup) -> None:
    s, h = setup, setup["h"]
    sim_log = s["world"].sim.log
    sid = h.bot.store.create_session(channel="C0CUSTOMR", requester="U0SOMEONE", connection=s["conn"].summary())
    h.bot.store.claim(sid)
    before = len(sim_log)
    assert check(s) == "skipped: its session is running"
    assert len(sim_log) == before, "no token request while the session runs"
    assert s["w"].store.watch("acme")["last_check_at"] is None
    h.bot.store.release(sid)
    h.bot.store.close(sid, "closed")
    s["allowed"][0] = False
    assert check(s) == "skipped: run limit reached" and len(sim_log) == before
    # Refused by the per-minute limit, it tries again in a minute, not a whole interval later.
    assert s["w"].store.watch("acme")["next_due_at"] == s["clock"].now + 60
    s["allowed"][0] = True
    assert check(s) == "working" and len(sim_log) > before


def test_unwatching_forgets_the_connection(setup) -> None:
    s = setup
    assert s["w"].sync() and s["w"].store.watch("acme") is not None
    Path(s["env"]["APRITY_CONNECTIONS"]).write_text(toml_for({"acme": s["conn"]}))
    assert check(s) == "not watched any more"
    assert s["w"].store.watch("acme") is None and s["w"].sync() == []


def test_slots_are_spread_and_stable() -> None:
    now = 1_800_000_000.0
    slots = {name: next_slot(name, HOUR, now) for name in ("acme", "globex", "initech", "umbrella")}
    assert all(now < t <= now + HOUR for t in slots.values())
    assert len({round(t) for t in slots.values()}) == 4, "different connections, different offsets"
    assert next_slot("acme", HOUR, now + 5) == slots["acme"] or slots["acme"] <= now + 5
    assert next_slot("acme", HOUR, slots["acme"]) == pytest.approx(slots["acme"] + HOUR)


def test_watch_must_be_a_boolean(tmp_path) -> None:
    from checks.connections import ConfigError, load

    f = tmp_path / "c.toml"
    f.write_text('[connections.a]\nusername = "u"\nlogin_url = "https://login.salesforce.com"\n'
                 'consumer_key = "3MVG9x"\nwatch = "yes"\n')
    with pytest.raises(ConfigError, match=re.escape("watch must be true or false")):
        load("a", f)
    f.write_text(f.read_text().replace('"yes"', "true"))
    assert load("a", f).watch is True


def test_alert_that_could_not_be_posted_is_raised_again(setup) -> None:
    s, h = setup, setup["h"]
    assert check(s) == "working"
    deactivate(s)
    assert check(s) == "failing"
    s["stub"].fail_next("chat.postMessage", "channel_not_found")
    assert check(s) == "alerted"
    lost = h.only_session()
    assert lost["status"] == "closed" and lost["thread_ts"] is None
    assert check(s) == "alerted", "the alert never reached Slack: the next failing check raises it"
    posted = [x for x in h.sessions() if x["thread_ts"]]
    assert len(posted) == 1 and posted[0]["channel"] == ALERTS
    assert check(s) == "still failing" and len(h.sessions()) == 2


def test_alert_session_fixed_by_its_own_retest_gets_the_outage_line_once(setup) -> None:
    s, h = setup, setup["h"]
    assert check(s) == "working"
    deactivate(s)
    check(s)
    assert check(s) == "alerted"
    sess = h.only_session()
    deactivate(s, active=True)
    assert h.bot.service.retest(sess["id"], "U0SUPPORT") is None  # support presses "I fixed it, retest"
    h.wait_idle()
    assert h.bot.store.session(sess["id"])["status"] == "ok"
    before = len(h.stub.thread(ALERTS, sess["thread_ts"]))
    assert check(s) == "working"
    replies = h.stub.thread(ALERTS, sess["thread_ts"])
    assert len(replies) == before + 1 and "works again" in all_text(replies[-1])
    assert check(s) == "working" and len(h.stub.thread(ALERTS, sess["thread_ts"])) == before + 1
    assert s["w"].store.watch("acme")["alert_session"] is None
