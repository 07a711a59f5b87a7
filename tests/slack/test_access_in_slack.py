"""Who may diagnose what, end to end: signed requests in, the Slack stand-in and the simulator behind."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.policy.access import NOT_ENABLED_TEXT
from bot.ids import DIAGNOSE_MODAL, ActionId, ModalAction, ModalBlock
from checks.scenarios import by_name

from bot_harness import CHANNEL, SUPPORT, USER, BotHarness, all_text, bot_env, toml_for
from procs import wait_until
from slack_stub import SlackStub
from secret_checks import assert_clean, issued_tokens, key_fragments

ACME = "C0ACMESHARED"  # a customer's Slack Connect channel, bound to the "acme" connection
RANDOM = "C0RANDOM"    # a channel nothing is enabled in
NAMES = ("acme", "internal")
HEX64 = "c0ffee" * 10 + "beef"
ADHOC = "username={u} consumer_key={k} login_url=https://login.salesforce.com"


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


@pytest.fixture
def conns(world) -> dict:
    return {"acme": replace(by_name("healthy").build(world), channels=(ACME,)),
            "internal": by_name("not-preauthorized").build(world)}


@pytest.fixture
def harness(tmp_path, stub, world, sim_server, conns) -> Iterator[BotHarness]:
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
    yield h
    h.close()


def webhooks(h: BotHarness) -> list[dict]:
    return [c.args for c in h.stub.accepted("webhook")]


def test_unlisted_channel_learns_nothing_and_calls_nothing(harness: BotHarness, world, conns) -> None:
    before = len(world.sim.log)
    a = conns["acme"]
    for text in ("acme", "nope", "", "help", "explain invalid_grant", ADHOC.format(u=a.username, k=a.consumer_key)):
        r = harness.slash(text, channel=RANDOM)
        assert r.status_code == 200 and NOT_ENABLED_TEXT in r.text, text
        assert not any(n in r.text for n in NAMES + (a.username, "globex", "00D"))
    harness.wait_idle()
    assert len(world.sim.log) == before, "Salesforce was called for a channel where nothing is enabled"
    assert harness.sessions() == [] and harness.stub.calls("views.open") == []
    assert harness.stub.calls("chat.postMessage") == [] and webhooks(harness) == []


def test_bound_channel_runs_its_own_connection_only(harness: BotHarness, world) -> None:
    r = harness.slash("acme", channel=ACME)
    assert "Checking acme" in r.text
    harness.wait_idle()
    sess = harness.only_session()
    assert sess["channel"] == ACME and sess["status"] == "ok"
    before = len(world.sim.log)
    r = harness.slash("internal", channel=ACME)  # exists, but is not bound here: looks unknown
    assert "unknown connection 'internal'" in r.text and "usable in this channel: acme)" in r.text
    r = harness.slash("nope", channel=ACME)
    assert "internal" not in r.text
    r = harness.slash("a b c", channel=ACME)
    assert "How to use" in r.text and "username=USER" not in r.text  # help without what is refused here
    assert "username=USER" in harness.slash("help").text
    assert len(world.sim.log) == before and len(harness.sessions()) == 1


def test_the_form_in_a_customer_channel_offers_its_names_only(harness: BotHarness) -> None:
    harness.slash("", channel=ACME)
    view = harness.stub.wait_for("views.open")[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    options = [o["value"] for b in view["blocks"] if b.get("block_id") == ModalBlock.CONNECTION
               for o in b["element"]["options"]]
    assert options == ["acme"]
    assert not any(b.get("block_id") == ModalBlock.USERNAME for b in view["blocks"])
    meta = view["private_metadata"]

    def pick(name: str) -> dict:
        return {ModalBlock.CONNECTION: {ModalAction.CONNECTION: {"type": "static_select",
                                                                 "selected_option": {"value": name}}}}

    adhoc = {ModalBlock.USERNAME: {ModalAction.USERNAME: {"value": "a@b.com"}},
             ModalBlock.CONSUMER_KEY: {ModalAction.CONSUMER_KEY: {"value": "3MVG9x"}},
             ModalBlock.LOGIN_URL: {ModalAction.LOGIN_URL: {"value": "https://login.salesforce.com"}}}
    for values, user, metadata, expected in (
        (pick("internal"), USER, meta, "unknown connection"),     # a forged submission naming another customer
        (adhoc, USER, meta, "Pick the connection"),               # fields where only names are allowed
        (pick("acme"), "U0OTHER", meta, "no longer be used"),      # someone else's form
        (pick("acme"), USER, json.dumps({"channel": RANDOM, "user": USER}), "not enabled"),
        (pick("acme"), USER, ACME, "no longer be used"),           # the old, unverifiable metadata
    ):
        body = json.dumps(harness.submit_view(DIAGNOSE_MODAL, values, metadata, user=user).json())
        assert expected in body, (expected, body)
    assert harness.sessions() == []
    r = harness.submit_view(DIAGNOSE_MODAL, pick("acme"), meta)
    assert r.status_code == 200 and r.text == ""
    harness.wait_idle()
    assert harness.only_session()["channel"] == ACME


def test_adhoc_is_for_staff_channels_only(harness: BotHarness, world) -> None:
    conn = by_name("healthy").build(world)
    text = ADHOC.format(u=conn.username, k=conn.consumer_key)
    before = len(world.sim.log)
    r = harness.slash(text, channel=ACME)
    assert "support channels only" in r.text and "internal" not in r.text
    assert len(world.sim.log) == before and harness.sessions() == []
    r = harness.slash(text, channel=CHANNEL)
    assert "Checking" in r.text
    harness.wait_idle()
    assert harness.only_session()["status"] == "ok" and len(world.sim.log) > before


def test_a_click_from_another_channel_changes_nothing(harness: BotHarness) -> None:
    harness.slash("internal")
    harness.wait_idle()
    sess = harness.only_session()
    parent = json.dumps(harness.parent(sess))
    for action in (ActionId.RETEST, ActionId.ESCALATE):
        assert harness.click(action, sess["id"], channel=ACME).status_code == 200
    harness.wait_idle()

    def refusals() -> list[dict]:  # told through the response_url after the ack, from Bolt's listener thread
        return [a for a in webhooks(harness) if "another channel" in all_text(a)]

    wait_until(lambda: len(refusals()) >= 2, what="both refusals")
    assert len(refusals()) == 2 and all(a.get("response_type") == "ephemeral" for a in refusals())
    assert len(harness.bot.store.runs(sess["id"])) == 1 and harness.bot.store.escalation(sess["id"]) is None
    assert json.dumps(harness.parent(sess)) == parent
    assert not [c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT]
    harness.click(ActionId.ESCALATE, sess["id"], user="U0CLICKER")  # from the right channel, by someone else
    harness.wait_idle()
    post = [c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT][0]
    assert "<@U0CLICKER>" in all_text(post.args)
    assert "<@U0CLICKER>" in harness.thread_text(sess)


def test_explain_with_a_pasted_key_answers_privately(harness: BotHarness, world) -> None:
    pem = world.key_file.read_text()
    token = "00D5g000004abcD!AQ4AQ" + "Zy9" * 20
    slack = "xoxb-2024-4242-" + "k3y" * 8
    harness.slash(f'explain {{"error":"invalid_grant","error_description":"invalid assertion {HEX64}"}} {pem} '
                  f'{token} SLACK_BOT_TOKEN {slack}')
    own = harness.stub.wait_for("webhook")[0].args
    secrets = key_fragments(world.key_file) + [token[16:], HEX64, slack, slack[5:]]
    assert own.get("response_type") == "ephemeral"
    text = all_text(own)
    assert_clean(text, secrets)
    assert ("a private key and a Salesforce access token and a consumer secret and a Slack token" in text
            and "must be rotated" in text)
    assert "invalid assertion" in text
    share = [e for b in own["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in share] == [ActionId.SHARE_EXPLAIN]
    key = share[0]["value"]
    harness.click(ActionId.SHARE_EXPLAIN, key, channel=ACME)  # not where it was asked: refused
    harness.click(ActionId.SHARE_EXPLAIN, key, user="U0OTHER")  # not who asked: refused
    assert not [a for a in webhooks(harness) if a.get("response_type") == "in_channel"]
    harness.click(ActionId.SHARE_EXPLAIN, key)
    shared = [a for a in harness.stub.wait_for("webhook", 5) if a.args.get("response_type") == "in_channel"]
    assert len(shared) == 1
    posted = all_text(shared[0].args)
    assert_clean(posted, secrets)
    assert "invalid assertion" in posted and f"Shared by <@{USER}>" in posted
    for private in ("must be rotated", "Your paste", "pasted text contains"):  # the reading, not news of the paste
        assert private not in posted, private
    harness.click(ActionId.SHARE_EXPLAIN, key)  # twice: no second post
    assert len([a for a in webhooks(harness) if a.get("response_type") == "in_channel"]) == 1


def test_a_secret_typed_into_a_field_reaches_neither_slack_nor_sqlite(harness: BotHarness, tmp_path,
                                                                      world, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    conn = by_name("healthy").build(world)
    r = harness.slash(ADHOC.format(u=conn.username, k=conn.consumer_key) + f" app={HEX64}")
    assert "consumer secret" in r.text and "must be rotated" in r.text and HEX64 not in r.text
    harness.slash(ADHOC.format(u=conn.username, k=conn.consumer_key) + " app=aprity")  # a clean one, to compare
    harness.wait_idle()
    assert len(harness.sessions()) == 1
    db = b"".join(p.read_bytes() for p in tmp_path.glob("bot.db*")).decode("latin-1")
    assert conn.username in db
    assert HEX64 not in db and HEX64 not in json.dumps([c.args for c in harness.stub.calls()])
    assert HEX64 not in "\n".join(r.getMessage() for r in caplog.records)


def test_thirty_commands_for_one_connection_start_one_exchange(harness: BotHarness, world) -> None:
    world.sim.latency = 1.0  # the first check (several requests) is still running while the others arrive
    tokens_before = sum(1 for e in world.sim.log if e["path"].endswith("/oauth2/token"))
    replies: list[str] = []
    try:
        threads = [threading.Thread(target=lambda: replies.append(harness.slash("internal").text))
                   for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        harness.wait_idle(60)
    finally:
        world.sim.latency = 0.0
    sess = harness.only_session()
    assert sum("Checking internal" in r for r in replies) == 1
    pointed = [r for r in replies if "already" in r]
    assert len(pointed) == 29, replies
    link = f"https://example.slack.com/archives/{CHANNEL}/p"
    assert all(link in r or f"<#{CHANNEL}>" in r for r in pointed)
    assert len(harness.bot.store.runs(sess["id"])) == 1
    # the exchange(s) of one diagnosis only: compare with a lone run of the same connection
    burst = sum(1 for e in world.sim.log if e["path"].endswith("/oauth2/token")) - tokens_before
    harness.click(ActionId.RETEST, sess["id"])
    harness.wait_idle()
    lone = sum(1 for e in world.sim.log if e["path"].endswith("/oauth2/token")) - tokens_before - burst
    assert burst == lone >= 1


def test_past_six_a_minute_the_bot_says_when(harness: BotHarness) -> None:
    for _ in range(6):
        assert "Checking" in harness.slash("acme", channel=ACME).text
        harness.wait_idle()
    r = harness.slash("acme", channel=ACME)
    assert re.search(r"next check is possible at \d\d:\d\d:\d\d UTC \(in \d+ s\)", r.text), r.text
    assert len(harness.sessions()) == 6
    harness.click(ActionId.RETEST, harness.sessions()[0]["id"], channel=ACME)  # "I fixed it" still runs
    harness.wait_idle()
    assert [r["trigger"] for r in harness.bot.store.runs(harness.sessions()[0]["id"])] == ["command", "button"]


def test_the_log_of_a_full_run_names_no_org_user_or_identity_url(harness: BotHarness, world, caplog, conns,
                                                                 tmp_path) -> None:
    caplog.set_level(logging.INFO)
    harness.slash("acme", channel=ACME)
    harness.slash("internal")
    harness.wait_idle()
    for sess in harness.sessions():
        harness.click(ActionId.ESCALATE, sess["id"], channel=sess["channel"])
    harness.wait_idle()
    # The modules merged since: the watcher's checks, the App Home (its failure path too), the certificate sweep.
    from bot_harness import open_home
    from watch_helpers import watched_toml

    (tmp_path / "connections.toml").write_text(watched_toml(conns, set(conns)) + "\n")
    for name in conns:
        harness.bot.watcher.check(name)
    harness.bot.watcher.on_sweep()
    harness.stub.fail_next("users.conversations", "missing_scope")  # first: a listing is cached for a minute
    open_home(harness, USER)
    open_home(harness, USER)
    harness.wait_idle()
    org_ids = [s["org_id"] for s in harness.sessions() if s["org_id"]]
    assert org_ids, "no Org ID was learnt: the test would prove nothing"
    lines = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "users.conversations failed" in lines, "the App Home failure path was not exercised"
    reply_urls = [harness.stub.response_url(f"cmd{i}") for i in (1, 2)]  # the commands' response_urls
    for needle in org_ids + [o[:15] for o in org_ids] + [USER, "/id/00D", "005"] + reply_urls:
        assert needle not in lines, needle
    assert_clean(lines, key_fragments(world.key_file) + issued_tokens(world))


def test_nothing_configured_answers_nowhere_and_says_how_to_enable(tmp_path, stub, world, sim_server,
                                                                   caplog) -> None:
    (tmp_path / "connections.toml").write_text(toml_for({"internal": by_name("healthy").build(world)}))
    caplog.set_level(logging.INFO)
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file, APRITY_STAFF_CHANNELS=""), stub)
    try:
        assert NOT_ENABLED_TEXT in h.slash("internal").text
    finally:
        h.close()
    hint = [r.getMessage() for r in caplog.records if "enabled in no channel" in r.getMessage()]
    assert hint and "APRITY_STAFF_CHANNELS" in hint[0] and "channels = " in hint[0]
    assert h.sessions() == []


def test_an_automatic_retest_obeys_the_policy_as_a_button_would(harness: BotHarness, conns, tmp_path) -> None:
    toml = tmp_path / "connections.toml"
    toml.write_text(toml_for({**conns, "internal": replace(conns["internal"], channels=(ACME,))}))
    harness.slash("internal", channel=ACME)  # a failing connection, bound to the customer's channel
    harness.wait_idle()
    sess = harness.only_session()
    assert sess["status"] == "failing" and sess["retest_due_at"] is not None
    toml.write_text("[connections.broken\n")  # mid-edit: nothing is decided, the retest waits a minute
    harness.bot.scheduler._fire(sess["id"])  # the retest falls due (APScheduler calls this)
    job = harness.bot.scheduler._scheduler.get_job(f"retest:{sess['id']}")
    assert job is not None and job.next_run_time.timestamp() - time.time() < 120, "not moved to a minute from now"
    assert harness.bot.store.session(sess["id"])["retest_due_at"] is not None
    toml.write_text(toml_for(conns) + "\n# internal unbound from the customer's channel\n")
    harness.bot.scheduler._fire(sess["id"])
    harness.wait_idle()
    assert len(harness.bot.store.runs(sess["id"])) == 1, "retested in a channel no longer enabled for it"
    assert harness.bot.store.session(sess["id"])["retest_due_at"] is None


def test_the_form_refuses_a_bad_field_on_that_field_without_echo(harness: BotHarness, world) -> None:
    harness.slash("")  # the staff channel's form: names and fields
    view = harness.stub.wait_for("views.open")[0].args["view"]
    meta = (json.loads(view) if isinstance(view, str) else view)["private_metadata"]
    conn = by_name("healthy").build(world)

    def fields(**override: str) -> dict:
        values = {"USERNAME": conn.username, "CONSUMER_KEY": conn.consumer_key,
                  "LOGIN_URL": "https://login.salesforce.com", "APP": "aprity", **override}
        return {ModalBlock[k]: {ModalAction[k]: {"value": v}} for k, v in values.items()}

    for field, value, expected in (("USERNAME", HEX64, "must be rotated"), ("APP", HEX64, "must be rotated"),
                                   ("USERNAME", "u" * 81 + "@x.com", "longer than 80"),
                                   ("USERNAME", "admin\u202e@x.com", "U+202E")):
        r = harness.submit_view(DIAGNOSE_MODAL, fields(**{field: value}), meta).json()
        assert r.get("response_action") == "errors" and list(r["errors"]) == [ModalBlock[field]], (field, r)
        assert expected in r["errors"][ModalBlock[field]] and value not in json.dumps(r)
    assert harness.sessions() == []
