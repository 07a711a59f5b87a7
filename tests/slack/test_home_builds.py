"""App Home builds are background work: coalesced per viewer, channel lists cached a minute, a rate limit
answered by building again later (on a timer), never by a worker sleeping — and never ahead of a command."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sessions.executor import RunExecutor
from bot.slack.home import ChannelCache, TryLater
from bot.slack.listeners.home import HomeBuilds
from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, BotHarness, bot_env, home_opened, toml_for
from slack_stub import SlackStub
from sim_helpers import Clock


def test_builds_are_coalesced_per_viewer() -> None:
    lane = RunExecutor(max_workers=1, name="background", fail_fast=True)
    hold, built = threading.Event(), []
    lane.submit(hold.wait)  # the lane is busy: builds wait
    builds = HomeBuilds(lambda: lane, built.append)
    try:
        assert [builds.request("U1") for _ in range(5)] == [True, False, False, False, False]
        assert builds.request("U2")
        hold.set()
        lane.wait_idle(5)
        assert sorted(built) == ["U1", "U2"]  # one build each, however often the tab was opened
        assert builds.request("U1")  # nothing pending any more: a new open builds again
        lane.wait_idle(5)
        assert built.count("U1") == 2
    finally:
        hold.set()
        lane.shutdown()


def test_a_rate_limited_build_is_tried_again_later_on_a_timer() -> None:
    lane = RunExecutor(max_workers=1, name="background", fail_fast=True)
    timers: list[tuple[float, object]] = []
    attempts: list[str] = []

    def publish(user: str) -> None:
        attempts.append(user)
        if len(attempts) == 1:
            raise TryLater(30)

    builds = HomeBuilds(lambda: lane, publish, later=lambda delay, fn: timers.append((delay, fn)))
    try:
        builds.request("U1")
        lane.wait_idle(5)
        assert attempts == ["U1"] and [d for d, _ in timers] == [30]  # no worker slept: a timer waits
        assert not builds.request("U1")  # opened again meanwhile: folded into the build the timer queues
        timers[0][1]()  # the timer fires
        lane.wait_idle(5)
        assert attempts == ["U1", "U1"]
    finally:
        lane.shutdown()


def test_channel_lists_are_cached_a_minute_and_a_rate_limit_says_when() -> None:
    with SlackStub() as stub:
        stub.add_channel("C0CUSTOMR", "acme")
        stub.add_member("C0CUSTOMR", "U1")
        clock = Clock(1000.0)
        cache = ChannelCache(WebClient(token="xoxb-t", base_url=stub.url + "/"), clock=clock)
        assert cache("U1") == ["C0CUSTOMR"] and cache("U1") == ["C0CUSTOMR"]
        assert len(stub.calls("users.conversations")) == 1
        clock.now += 61
        stub.fail_next("users.conversations", retry_after=17)
        with pytest.raises(TryLater) as later:
            cache("U1")
        assert later.value.after == 17
        clock.now += 10
        with pytest.raises(TryLater) as later:  # any viewer, without asking Slack, until Retry-After has passed
            cache("U2")
        assert later.value.after == 7 and len(stub.calls("users.conversations")) == 2
        clock.now += 7
        assert cache("U1") == ["C0CUSTOMR"] and len(stub.calls("users.conversations")) == 3


@pytest.fixture
def h(tmp_path) -> Iterator[BotHarness]:
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server, SlackStub() as stub:
        (tmp_path / "connections.toml").write_text(toml_for({"acme": world.connection("acme", *world.org("acme"))}))
        harness = BotHarness.start(bot_env(tmp_path, stub, server.url, world.key_file, APRITY_MAX_RUNS="1"), stub)
        try:
            yield harness
        finally:
            harness.close()


def test_a_hundred_rate_limited_home_opens_do_not_hold_a_staff_command(h: BotHarness) -> None:
    """The issue's case: Slack rate-limits users.conversations (Retry-After 30 s) and a hundred Home opens
    arrive from four users; a staff command right after starts at once and gets its verdict."""
    h.stub.fail_next("users.conversations", retry_after=30, times=10_000)
    for i in range(100):
        home_opened(h, f"U0VIEWER{i % 4}")
    r = h.slash("acme")
    assert r.status_code == 200 and "queued" not in r.text and "busy" not in r.text
    h.wait_idle(15)  # well within a single Retry-After: nobody slept through one
    assert h.sessions()[0]["status"] == "ok"
    assert len(h.stub.calls("users.conversations")) == 1  # then no viewer asks until Retry-After has passed
    assert not h.stub.accepted("views.publish")  # the tabs stay as they were until the timer builds them
    assert h.sessions()[0]["channel"] == CHANNEL
