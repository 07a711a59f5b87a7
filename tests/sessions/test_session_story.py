"""A session's own record stays true: header from the latest run, time to fix, a certificate still on its way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from checks.crypto import keys
from checks.scenarios import PROFILE, by_name

from bot_harness import CHANNEL, BotHarness, all_text, bot_env, toml_for
from slack_stub import SlackStub
from sim_helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
def start(tmp_path: Path, world, sim_server, clock) -> Iterator:
    started: list[tuple[BotHarness, SlackStub]] = []

    def make(**conns) -> BotHarness:
        stub = SlackStub().__enter__()
        (tmp_path / "connections.toml").write_text(toml_for(conns))
        # The first automatic retest 83 s after a run: a retest runs only once due (claimed in SQLite).
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file, APRITY_RETEST_DELAYS="83,600"),
                             stub, clock=clock, start_scheduler=False)
        started.append((h, stub))
        return h

    yield make
    for h, stub in started:
        h.close()
        stub.__exit__(None, None, None)


def retest(h: BotHarness, sid: str) -> None:
    assert h.bot.service.retest(sid, "U0SUPPORT") is None
    h.wait_idle()


def test_the_header_follows_a_fix_on_aprity_side(start, world, tmp_path) -> None:
    conn = by_name("sandbox-on-login").build(world)
    h = start(**{"uat": conn})
    h.slash("uat")
    h.wait_idle()
    sess = h.only_session()
    assert "login.salesforce.com" in all_text(h.parent(sess))
    (tmp_path / "connections.toml").write_text(toml_for({"uat": replace(conn, login_url="https://test.salesforce.com")}))
    retest(h, sess["id"])
    parent = all_text(h.parent(sess))
    header = next(line for line in parent.splitlines() if line.startswith("*Connection:*"))
    assert "test.salesforce.com" in header and "login.salesforce.com" not in header and "sandbox" in header
    assert "Oscorp Sandbox" in header  # the org, by name, now that a run reached it
    assert "was: *wrong username or login URL for this org* → now: *working*" in parent
    assert h.bot.store.session(sess["id"])["login_url"] == "https://test.salesforce.com"


def test_time_to_fix_counts_from_the_first_failing_run(start, world, clock) -> None:
    o, a, u = world.org("story-fix", app={"profiles": frozenset()})
    h = start(**{"story": world.connection("story", o, a, u)})
    h.slash("story")
    h.wait_idle()
    sid = h.only_session()["id"]
    clock.now += 60
    retest(h, sid)  # "I fixed it" too early: still failing, and the retest plan starts again from here
    world.sim.change_app(a.consumer_key, profiles=frozenset({PROFILE}))
    clock.now += 83
    h.bot.service.scheduled_retest(sid)
    h.wait_idle()
    sess = h.bot.store.session(sid)
    assert sess["status"] == "ok"
    text = h.thread_text(sess)
    # 143 s after the first failing run (not 83 s after the last press).
    assert "fixed 2 minutes after the first failing check" in text, text[-500:]


def test_a_failure_right_after_the_key_changed_says_salesforce_may_still_apply_it(start, world, tmp_path) -> None:
    conn = by_name("cert-mismatch").build(world)
    h = start(**{"acme": conn})
    h.slash("acme")
    h.wait_idle()
    sess = h.only_session()
    replies = len(h.stub.thread(CHANNEL, sess["thread_ts"]))
    new_key = tmp_path / "new.key"  # support made a new key pair; the app in Salesforce still has the old one
    new_key.write_bytes(keys.private_key_pem(keys.generate_private_key()))
    new_key.chmod(0o600)
    (tmp_path / "connections.toml").write_text(toml_for({"acme": replace(conn, private_key_file=new_key)}))
    retest(h, sess["id"])
    new = h.stub.thread(CHANNEL, sess["thread_ts"])[replies:]
    said = "\n".join(all_text(m) for m in new)
    assert "Salesforce may still be applying the new certificate" in said
    assert "Verdict" not in said, "a new diagnosis laid out as if the admin broke something else"
    assert "Salesforce may still be applying" in all_text(h.parent(sess))
    retest(h, sess["id"])  # the same certificate as the run before: an ordinary verdict again
    assert "Salesforce may still be applying" not in all_text(h.parent(sess))

