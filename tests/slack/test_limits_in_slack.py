"""Limits that hold, through Slack: "I fixed it" on old sessions obeys the same per-connection rule as a
command (one run at a time, six a minute, one free press per connection). Real Bolt app over real HTTP,
the Slack stand-in, the simulator behind the engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ids import ActionId
from bot.policy.throttle import LIMIT
from checks.scenarios import by_name

from bot_harness import BotHarness, all_text, bot_env, toml_for
from procs import wait_until
from slack_stub import SlackStub


@pytest.fixture
def harness(tmp_path, world, sim_server) -> Iterator[BotHarness]:
    with SlackStub() as stub:
        conns = {"acme": by_name("cert-regenerated").build(world)}
        (tmp_path / "connections.toml").write_text(toml_for(conns))
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


def token_requests(world) -> int:
    return sum(1 for e in world.sim.log if e["path"].endswith("/services/oauth2/token"))


def diagnoses(h: BotHarness) -> int:
    return sum(len(h.bot.store.runs(s["id"])) for s in h.sessions())


def notices(h: BotHarness) -> list[str]:
    return [all_text(c.args) for c in h.stub.accepted("webhook")]


def test_i_fixed_it_on_six_old_sessions_starts_one_run(harness, world) -> None:
    h = harness
    for _ in range(LIMIT):  # six sessions of one connection: the minute's six runs are spent
        assert h.slash("acme").status_code == 200
        h.wait_idle()
    sids = [s["id"] for s in h.sessions()]
    assert len(sids) == LIMIT
    assert diagnoses(h) == LIMIT
    told = len(notices(h))
    for sid in sids:  # "I fixed it" on every one of them, as fast as Slack delivers the clicks
        assert h.click(ActionId.RETEST, sid).status_code == 200
    h.wait_idle()
    assert diagnoses(h) == LIMIT + 1, "only the first press after the runs may start a diagnosis"
    # refusals are told through the response_url after the ack, from Bolt's listener thread
    wait_until(lambda: len(notices(h)) >= told + LIMIT - 1, what="every refusal")
    refused = notices(h)[told:]
    assert len(refused) == LIMIT - 1
    assert all("already running" in n or f"checked {LIMIT} times" in n for n in refused), refused


def test_a_retest_is_pointed_to_the_run_of_another_session(harness, world) -> None:
    h = harness
    assert h.slash("acme").status_code == 200
    h.wait_idle()
    old = h.only_session()
    # A new run of the same connection is claimed (as a command's would be) when the old session's button is pressed.
    running = h.bot.store.create_session(channel=old["channel"], requester="U0OTHER",
                                         connection=by_name("cert-regenerated").build(world).summary(), claimed=True)
    before = token_requests(world)
    h.click(ActionId.RETEST, old["id"])
    h.wait_idle()
    assert token_requests(world) == before
    wait_until(lambda: notices(h), what="the notice")
    assert "already starting" in notices(h)[-1] or "already running" in notices(h)[-1]
    h.bot.store.release(running)
