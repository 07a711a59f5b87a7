"""The Slack bot end to end: signed requests in, Slack stand-in and simulator behind."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.ids import DIAGNOSE_MODAL, ActionId, ModalAction, ModalBlock
from checks.scenarios import by_name

from bot_harness import CHANNEL, SUPPORT, USER, BotHarness, all_text, bot_env, sign, toml_for
from procs import wait_until
from slack_stub import SlackStub

NAMED = ["healthy", "cert-regenerated", "key-typo", "no-api-scope", "not-preauthorized", "sandbox-on-login",
         "ip-restricted", "no-metadata", "bad-key", "eca-generic-host", "inactive-user"]


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


@pytest.fixture
def harness(tmp_path, stub, world, sim_server) -> Iterator[BotHarness]:
    conns = {name: by_name(name).build(world) for name in NAMED}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
    yield h
    h.close()


def run_command(h: BotHarness, text: str) -> dict:
    r = h.slash(text)
    assert r.status_code == 200, r.text
    h.wait_idle()
    return h.only_session()


def test_command_posts_parent_progress_and_thread(harness: BotHarness) -> None:
    r = harness.slash("cert-regenerated")
    assert r.status_code == 200 and "Checking cert-regenerated" in r.text
    harness.wait_idle()
    sess = harness.only_session()
    posts = harness.stub.accepted("chat.postMessage")
    parent_post = posts[0]
    assert parent_post.args["channel"] == CHANNEL and "thread_ts" not in parent_post.args
    updates = [all_text(c.args) for c in harness.stub.accepted("chat.update")]
    assert any("Running step" in u for u in updates), updates
    parent = harness.parent(sess)
    text = all_text(parent)
    assert "Certificate in the Salesforce app does not match" in text and "high" in text
    assert f"<@{USER}>" in text
    actions = [b for b in parent["blocks"] if b["type"] == "actions"][0]["elements"]
    assert {a["action_id"] for a in actions} == {ActionId.RETEST, ActionId.ESCALATE, ActionId.FOR_CUSTOMER}
    assert all(a["value"] == sess["id"] for a in actions)
    thread = harness.stub.thread(CHANNEL, sess["thread_ts"])
    assert len(thread) >= 3  # passes grouped, each failure alone, the verdict
    body = harness.thread_text(sess)
    # Nobody in Slack has a shell next to the key: the fix hands over the file instead of a command.
    assert "aprity-diagnose certificate" not in body and "cert-regenerated.crt, attached to this thread" in body
    assert "invalid assertion" in body
    assert body.index("Private key") < body.index("Live token exchange")


@pytest.mark.parametrize("name", [n for n in NAMED if n != "healthy"])
def test_each_cause_in_thread(harness: BotHarness, name: str) -> None:
    from checks.model import CAUSE_TITLES

    scenario = by_name(name)
    sess = run_command(harness, name)
    assert sess["cause_id"] == scenario.expected
    title = CAUSE_TITLES[scenario.expected]
    assert title in all_text(harness.parent(sess))
    assert "How to fix" in harness.thread_text(sess) or "how to fix" in harness.thread_text(sess).lower()


def test_healthy_turns_green_without_escalate(harness: BotHarness) -> None:
    sess = run_command(harness, "healthy")
    parent = harness.parent(sess)
    assert "✅" in all_text(parent)
    buttons = [e["action_id"] for b in parent["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ActionId.ESCALATE not in buttons
    assert sess["status"] == "ok" and sess["org_id"].startswith("00D")


def test_retest_reports_what_changed(harness: BotHarness, tmp_path, world) -> None:
    good = by_name("not-preauthorized").build(world)
    broken = replace(good, consumer_key=good.consumer_key[:-1] + "Z")
    (tmp_path / "connections.toml").write_text(toml_for({"drift": broken}))
    sess = run_command(harness, "drift")
    assert sess["cause_id"] == "consumer_key_mismatch"
    (tmp_path / "connections.toml").write_text(toml_for({"drift": good}))  # the customer fixed the key
    before = len(harness.stub.thread(CHANNEL, sess["thread_ts"]))
    assert harness.click(ActionId.RETEST, sess["id"]).status_code == 200
    harness.wait_idle()
    sess = harness.bot.store.session(sess["id"])
    assert sess["cause_id"] == "user_not_preauthorized"
    assert len(harness.stub.thread(CHANNEL, sess["thread_ts"])) > before
    parent = all_text(harness.parent(sess))
    assert re.search(r"was: \*consumer key.*now: \*.*pre-?authori", parent, re.I | re.S), parent
    assert [r["trigger"] for r in harness.bot.store.runs(sess["id"])] == ["command", "button"]


def test_double_click_runs_once(harness: BotHarness, world) -> None:
    sess = run_command(harness, "not-preauthorized")
    world.sim.latency = 0.2  # keep the first run busy while the second click lands
    try:
        clicks = [threading.Thread(target=harness.click, args=(ActionId.RETEST, sess["id"])) for _ in range(3)]
        for t in clicks:
            t.start()
        for t in clicks:
            t.join()
        harness.wait_idle()
    finally:
        world.sim.latency = 0.0
    assert len(harness.bot.store.runs(sess["id"])) == 2

    def notices() -> list:  # told after each ack, from Bolt's listener threads
        return [c for c in harness.stub.accepted("webhook") if "already running" in all_text(c.args)]

    wait_until(lambda: len(notices()) >= 2, what="the two 'already running' notices")
    assert len(notices()) == 2


def test_escalation_content_and_idempotency(harness: BotHarness) -> None:
    sess = run_command(harness, "not-preauthorized")
    harness.click(ActionId.ESCALATE, sess["id"])
    harness.wait_idle()
    posts = [c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT]
    assert len(posts) == 1
    text = all_text(posts[0].args)
    for needle in ("invalid_grant", "user hasn't approved this consumer", "production", "aprity",
                   "integration@tyrell.com", "login.salesforce.com", "Setup > Company Information",
                   f"<@{USER}>", "https://example.slack.com/archives/"):
        assert needle in text.replace("&gt;", ">"), needle
    assert harness.bot.store.session(sess["id"])["consumer_key"] in text
    assert "pre-authorized" in text or "pre-authoriz" in text
    harness.click(ActionId.ESCALATE, sess["id"], user="U0SOMEONE")
    harness.wait_idle()
    assert len([c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT]) == 1
    assert "already escalated" in harness.thread_text(sess)
    assert "Escalated to support" in all_text(harness.parent(sess))


def test_escalation_names_org_id_after_success_elsewhere(harness: BotHarness) -> None:
    sess = run_command(harness, "no-metadata")  # token works, metadata access missing: Org ID is known
    harness.click(ActionId.ESCALATE, sess["id"])
    harness.wait_idle()
    post = [c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT][0]
    assert sess["org_id"] and sess["org_id"] in all_text(post.args)


def test_bad_signature_rejected(harness: BotHarness) -> None:
    body = "command=%2Faprity-diagnose&text=healthy&user_id=U1&channel_id=C1&trigger_id=t"
    headers = sign(body)
    headers["x-slack-signature"] = "v0=" + "0" * 64
    assert harness.post(body, headers).status_code == 401
    stale = sign(body, timestamp=str(int(__import__("time").time()) - 3600))
    assert harness.post(body, stale).status_code == 401
    assert harness.stub.calls("chat.postMessage") == []


def test_rate_limit_from_slack_does_not_duplicate(harness: BotHarness) -> None:
    harness.stub.fail_next("chat.postMessage", times=1, retry_after=1)
    sess = run_command(harness, "key-typo")
    accepted = harness.stub.accepted("chat.postMessage")
    rejected = harness.stub.calls("chat.postMessage", rejected=True)
    assert len(rejected) == 1 and rejected[0].status == 429
    texts = [json.dumps(c.args.get("blocks")) for c in accepted]
    assert len(texts) == len(set(texts)), "a message was posted twice"
    assert sum(1 for c in accepted if "thread_ts" not in c.args) == 1
    assert sess["thread_ts"]


def test_mrkdwn_injection_is_escaped(harness: BotHarness) -> None:
    hostile = ('username="<!channel>@evil.com" consumer_key=3MVG9x login_url=https://login.salesforce.com '
               'app="<@U0VICTIM> <https://evil.example|Salesforce> @here"')
    sess = run_command(harness, hostile)
    harness.click(ActionId.ESCALATE, sess["id"])
    harness.wait_idle()
    sent = [all_text(c.args) for c in harness.stub.accepted() if c.method.startswith("chat.")]
    blob = "\n".join(sent)
    assert "&lt;!channel&gt;" in blob
    for raw in ("<!channel>", "<@U0VICTIM>", "<https://evil.example", "@here"):
        assert raw not in blob, raw


def test_hostile_login_url_refused_before_any_call(harness: BotHarness, world) -> None:
    before = len(world.sim.log)
    r = harness.slash("username=a@b.com consumer_key=3MVG9x login_url=https://login.salesforce.com.evil.io")
    assert r.status_code == 200 and "refused" in r.text
    assert harness.stub.calls("chat.postMessage") == [] and len(world.sim.log) == before
    assert harness.sessions() == []


def test_unknown_connection_and_help(harness: BotHarness) -> None:
    r = harness.slash("nope")
    assert "unknown connection 'nope'" in r.text
    assert "How to use" in harness.slash("help").text
    assert "How to use" in harness.slash("a b c").text
    assert harness.stub.calls("chat.postMessage") == []


def test_modal_opens_and_submission_starts_a_session(harness: BotHarness) -> None:
    r = harness.slash("")
    assert r.status_code == 200
    opened = harness.stub.wait_for("views.open")
    assert opened[0].args["trigger_id"].startswith("trigger.")
    view = opened[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == DIAGNOSE_MODAL and json.loads(view["private_metadata"])["channel"] == CHANNEL
    values = {ModalBlock.CONNECTION: {ModalAction.CONNECTION: {"type": "static_select",
                                                               "selected_option": {"value": "healthy"}}}}
    r = harness.submit_view(DIAGNOSE_MODAL, values, view["private_metadata"])
    assert r.status_code == 200 and "errors" not in r.text
    harness.wait_idle()
    assert harness.only_session()["status"] == "ok"


def test_modal_validation_errors(harness: BotHarness) -> None:
    r = harness.submit_view(DIAGNOSE_MODAL, {}, json.dumps({"channel": CHANNEL, "user": USER}))
    body = r.json()
    assert body["response_action"] == "errors" and ModalBlock.USERNAME in body["errors"]


def test_explain_answers_the_requester_only(harness: BotHarness) -> None:
    r = harness.slash('explain {"error":"invalid_client_id","error_description":"client identifier invalid"}')
    assert r.status_code == 200
    posted = harness.stub.wait_for("webhook")
    assert posted[0].args.get("response_type") == "ephemeral"
    assert "Consumer key" in all_text(posted[0].args)


def test_internal_error_is_one_clear_message(harness: BotHarness, caplog) -> None:
    class Exploding:
        client = harness.bot.service.engine.client

        def diagnose(self, *args, **kwargs):
            raise RuntimeError("kaboom with a secret inside")

    harness.bot.service.engine = Exploding()  # type: ignore[assignment]
    sess = run_command(harness, "healthy")
    body = harness.thread_text(sess)
    assert "Something went wrong" in body and "Reference" in body
    assert "kaboom" not in body and "Traceback" not in body
    ref = re.search(r"Reference: `?([0-9a-f]{8})", body).group(1)
    assert any(ref in rec.getMessage() for rec in caplog.records)
    after = harness.bot.store.session(sess["id"])
    assert not after["busy"] and after["status"] == "failing", "no session stays running once its run ended"


def test_acks_while_runs_queue(tmp_path, stub, world, sim_server) -> None:
    # four connections: one connection runs one check at a time
    conns = {f"queue{i}": world.connection(f"queue{i}", *world.org(f"queue{i}")) for i in range(4)}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file, APRITY_MAX_RUNS="1"), stub)
    world.sim.latency = 0.15
    try:
        responses = [h.slash(name) for name in conns]
        assert all(r.status_code == 200 for r in responses)
        assert any("queued" in r.text for r in responses[1:]), [r.text for r in responses]
        h.wait_idle(60)
    finally:
        world.sim.latency = 0.0
        h.close()
    assert len(h.sessions()) == 4 and all(s["status"] == "ok" for s in h.sessions())


# ----- review fixes: failure paths must leave the session usable

def _dead_slack_url() -> str:
    import socket

    with socket.socket() as s:  # a port nobody listens on: connection refused, like Slack unreachable
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/"


def test_internal_error_leaves_the_parent_retestable(harness: BotHarness) -> None:
    real = harness.bot.service.engine

    class Exploding:
        client = real.client

        def diagnose(self, *args, **kwargs):
            raise RuntimeError("kaboom")

    harness.bot.service.engine = Exploding()  # type: ignore[assignment]
    sess = run_command(harness, "healthy")
    parent = harness.parent(sess)
    assert "Running" not in all_text(parent), "the parent still says a run is in progress"
    buttons = [e["action_id"] for b in parent["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ActionId.RETEST in buttons
    harness.bot.service.engine = real
    harness.click(ActionId.RETEST, sess["id"])
    harness.wait_idle()
    assert "✅" in all_text(harness.parent(sess))


def test_click_while_a_stored_run_is_still_wrapping_up_is_refused(harness: BotHarness) -> None:
    """record_run clears SQLite's busy flag before the run's follow-up (plan, parent) is done."""
    store = harness.bot.store
    original = store.record_run
    clicked: list[int] = []

    def record_then_click(session_id, **kwargs):  # a click that lands right after the run is stored
        run_id = original(session_id, **kwargs)
        if not clicked:
            clicked.append(harness.click(ActionId.RETEST, session_id).status_code)
        return run_id

    store.record_run = record_then_click  # type: ignore[method-assign]
    try:
        sess = run_command(harness, "not-preauthorized")
    finally:
        del store.record_run
    assert clicked == [200]
    assert [r["trigger"] for r in store.runs(sess["id"])] == ["command"]
    wait_until(lambda: any("already running" in all_text(c.args) for c in harness.stub.accepted("webhook")),
               what="the click to be told a check is running")
    assert not store.session(sess["id"])["busy"]


def test_escalation_goes_through_after_slack_was_unreachable(harness: BotHarness) -> None:
    sess = run_command(harness, "not-preauthorized")
    client = harness.bot.service.client
    good, handlers = client.base_url, client.retry_handlers
    client.base_url, client.retry_handlers = _dead_slack_url(), []  # what slack_sdk raises once retries are spent
    try:
        harness.click(ActionId.ESCALATE, sess["id"])
        harness.wait_idle(30)
    finally:
        client.base_url, client.retry_handlers = good, handlers
    harness.click(ActionId.ESCALATE, sess["id"])
    harness.wait_idle()
    assert len([c for c in harness.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT]) == 1
    assert "already escalated" not in harness.thread_text(sess)


def test_unreachable_slack_does_not_leave_the_session_busy(harness: BotHarness) -> None:
    harness.slash("help")  # Bolt's own auth.test, once, while Slack is still up
    client = harness.bot.service.client
    good, handlers = client.base_url, client.retry_handlers
    client.base_url, client.retry_handlers = _dead_slack_url(), []  # what slack_sdk raises once retries are spent
    try:
        harness.slash("healthy")
        harness.wait_idle(30)
    finally:
        client.base_url, client.retry_handlers = good, handlers
    sess = harness.only_session()
    # The check ran and its verdict is kept; the parent is owed until Slack answers again.
    assert not sess["busy"] and sess["status"] == "ok" and sess["thread_ts"] is None
    assert harness.bot.repairer.ledger.owes(sess["id"], "parent")
    assert "Connection works" in all_text(harness.stub.wait_for("webhook")[0].args)  # told via response_url
    # A pass of the repairer's own may be going (then run_pass leaves it the work): pass until none is owed.
    wait_until(lambda: harness.bot.repairer.run_pass() >= 0 and not harness.bot.repairer.ledger.owed(),
               what="the owed parent to be delivered")
    sess = harness.only_session()
    assert "Connection works" in all_text(harness.parent(sess))
    assert harness.stub.thread(sess["channel"], sess["thread_ts"]), "the step-by-step replies follow the parent"
    assert not harness.bot.repairer.ledger.owed()


def test_wsgi_factory_reports_a_bad_setting_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    from bot.serve.wsgi import WORKER_BOOT_ERROR, create

    for name, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s", "APRITY_SUPPORT_CHANNEL": SUPPORT,
                        "APRITY_DB": str(tmp_path / "w.db"), "APRITY_SALESFORCE_SIMULATOR": "ftp://nope"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc:
        create()
    assert exc.value.code == WORKER_BOOT_ERROR  # gunicorn's arbiter stops instead of respawning
    err = capsys.readouterr().err
    assert "APRITY_SALESFORCE_SIMULATOR" in err and err.count("\n") == 1


def test_private_channel_without_the_bot_tells_the_requester(harness: BotHarness) -> None:
    harness.stub.fail_next("chat.postMessage", error="channel_not_found")
    r = harness.slash("healthy")
    assert r.status_code == 200
    harness.wait_idle()
    notice = harness.stub.wait_for("webhook")[0].args
    assert "invite me first" in all_text(notice) and notice.get("response_type") == "ephemeral"
    sess = harness.bot.store.session(harness.sessions()[0]["id"])
    assert sess["status"] == "closed" and not sess["busy"]
