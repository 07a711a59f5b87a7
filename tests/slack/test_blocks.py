"""Block Kit builders: Slack limits, escaping of untrusted text, content, and shape (slack_sdk models)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from bot.blocks import (EscalationView, ExplainView, RunRecord, already_escalated, diagnose_modal,
                        diff_line, escalation_ack, escalation_message, escape_mrkdwn, explain_message,
                        internal_error_message, queued_message, read_diagnose_modal,
                        retest_result_message, step_messages, still_failing_message, success_message,
                        usage_message)
from bot.ids import DIAGNOSE_MODAL, ActionId, ModalAction, ModalBlock
from checks.model import (CAUSE_TITLES, STEP_ORDER, Candidate, CauseId, Confidence, OrgInfo, Status, StepId,
                          StepResult, TokenError)
from tests.slack_stub import SlackStub

from block_checks import (ESC, EVIL, NOW, PEM, REQ, THREAD, assert_good, buttons, conn, failing, flat,
                          limit_problems, parent, sdk_check, unsafe_spots, working)


# ---- the checkers themselves can fail ---------------------------------------------------
def test_checkers_catch_problems():
    bad = {"text": "<!here> hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
                                            {"type": "header", "text": {"type": "plain_text", "text": "@here"}}]}
    assert len(unsafe_spots(bad)) == 2 and len(limit_problems(bad)) == 1
    assert unsafe_spots({"text": "a & b <@U123>", "blocks": []}) == ["$.text: <@U123>", "$.text: bare &"]
    with pytest.raises(Exception):
        sdk_check(bad)


def test_escape_mrkdwn():
    assert escape_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape_mrkdwn("&lt;") == "&amp;lt;"
    assert escape_mrkdwn("hi @here") == "hi @\u2060here" and "@here" not in escape_mrkdwn("@HERE x")
    assert "BEGIN" not in escape_mrkdwn(f"key: {PEM} end") and escape_mrkdwn(None) == ""


# ---- every builder, extreme and hostile inputs -----------------------------------------
def all_outputs() -> list[tuple[str, dict]]:
    huge = failing(finding="F" * 10_000 + EVIL, n_fail=8,
                   candidates=[Candidate(c, Confidence.LOW, "r" * 3000 + EVIL) for c in CauseId],
                   evidence=[f"{i} {'e' * 500} {EVIL}" for i in range(200)])
    history = [RunRecord(NOW - timedelta(minutes=i), "scheduled" if i % 2 else f"cmd {EVIL}", i == 0,
                         CauseId.CONSUMER_KEY_MISMATCH if i % 3 else f"odd {EVIL}", EVIL) for i in range(200)]
    esc = EscalationView.from_diagnosis(huge, session_id="sess-1", connection=conn("n" * 80 + EVIL),
                                        requester_id=REQ, escalated_by=ESC, escalated_at=NOW,
                                        thread_url=THREAD, history=history)
    expl = ExplainView(found=True, error=TokenError(400, f"invalid_grant {EVIL}", "d" * 10_000 + EVIL),
                       candidates=[Candidate(c, Confidence.MEDIUM, EVIL) for c in CauseId],
                       clues=[f"clue {EVIL}"] * 100, warnings=[f"warn {EVIL}"] * 20,
                       fixes={CauseId.CONSUMER_KEY_MISMATCH: tuple(f"step {i} {'s' * 1000} {EVIL}" for i in range(60))})
    out = [("parent failing", parent(diagnosis=huge, previous_run={"ok": False, "cause_id": f"x{EVIL}",
                                                                   "fingerprint": EVIL})),
           ("parent running", parent(running=True, step=StepId.CLOCK, step_index=8, retests_stopped=EVIL)),
           ("parent ok", parent(diagnosis=working(), connection=conn("n" * 200 + EVIL), escalated_by=EVIL,
                                escalated_at=NOW, next_retest_at=NOW)),
           ("escalation", escalation_message(esc)),
           ("explain", explain_message(expl)),
           ("explain none", explain_message(ExplainView(found=False))),
           ("retest", retest_result_message(huge, at=NOW, trigger=EVIL, previous={"ok": True})),
           ("success", success_message(EVIL, 12.4)),
           ("still failing", still_failing_message(45, EVIL, [EVIL * 100] * 80, "sess-1")),
           ("ack", escalation_ack(ESC, NOW)), ("already", already_escalated(EVIL, NOW)),
           ("usage", usage_message()), ("queued", queued_message(3)),
           ("internal", internal_error_message(EVIL))]
    out += [(f"step {i}", m) for i, m in enumerate(step_messages(huge, heading="h" * 300 + EVIL))]
    out += [(f"ok step {i}", m) for i, m in enumerate(step_messages(working()))]
    return out


@pytest.mark.parametrize("name,msg", all_outputs(), ids=lambda x: x if isinstance(x, str) else "")
def test_limits_escaping_and_shape(name, msg):
    assert_good(msg)
    assert "BEGIN PRIVATE KEY" not in json.dumps(msg)


def test_hostile_text_is_shown_literally():
    # After Slack decodes entities once, the reader sees exactly what was typed.
    msg = step_messages(failing(finding="a &lt; b <!here>"))[1]
    assert "a &amp;lt; b &lt;!here&gt;" in flat(msg)


def test_mentions_only_from_valid_user_ids():
    assert "<@U0REQ>" in flat(parent()) and "<@" not in flat(parent(requester_id="U0REQ>|x"))
    assert "an unknown user" in flat(success_message("<!channel>", 3))
    assert success_message(REQ, 83)["blocks"][0]["text"]["text"].startswith("🎉 <@U0REQ> the connection works now")
    assert "(fixed 1 minute after the first failing check)" in flat(success_message(REQ, 83))


# ---- parent message ---------------------------------------------------------------------
def test_parent_running_hides_retest_and_shows_progress():
    msg = parent(running=True, step=StepId.CONSUMER_KEY, step_index=3, step_total=10)
    assert "Running step 3 of 10: *Consumer key*…" in flat(msg)
    assert buttons(msg) == {ActionId.ESCALATE: "sess-1"}


def test_parent_failing_buttons_cause_and_alternatives():
    msg = parent(next_retest_at=datetime(2024, 5, 1, 16, 5, tzinfo=timezone(timedelta(hours=2))))
    assert buttons(msg) == {ActionId.RETEST: "sess-1", ActionId.ESCALATE: "sess-1", ActionId.FOR_CUSTOMER: "sess-1"}
    assert "fixed on aprity's side" in flat(msg)  # a consumer key mismatch: nothing for the customer
    text = flat(msg)
    assert CAUSE_TITLES[CauseId.CONSUMER_KEY_MISMATCH] + "* (high confidence)" in text
    assert "Also possible: wrong username or login URL for this org (low confidence)" in text
    assert "Next automatic retest at 14:05 UTC" in text and "login.salesforce.com" in text


def test_parent_ok_and_escalated_hide_escalate():
    ok = parent(diagnosis=working())
    assert buttons(ok) == {ActionId.RETEST: "sess-1"} and "Connection works" in flat(ok)
    assert "00D000000000001" in flat(ok)
    esc = parent(escalated_by=ESC, escalated_at=NOW + timedelta(minutes=2), retests_stopped="fixed by hand")
    assert ActionId.ESCALATE not in buttons(esc)
    assert "Escalated to support by <@W0ESC> at 14:07 UTC" in flat(esc)
    assert "Automatic retests stopped: fixed by hand" in flat(esc) and "Next automatic" not in flat(esc)


def test_parent_block_ids_change_with_revision():
    ids1 = {b.get("block_id") for b in parent(revision=1)["blocks"]}
    ids2 = {b.get("block_id") for b in parent(revision=2)["blocks"]}
    assert ids1 and not ids1 & ids2


def test_session_id_too_long_for_a_button_is_refused():
    with pytest.raises(ValueError):
        parent(session_id="s" * 2001)


# ---- diff line --------------------------------------------------------------------------
def test_diff_line_cases():
    fail = failing()
    fp = fail.error.fingerprint()
    assert diff_line(None, fail) is None
    assert diff_line({"ok": True}, working()) is None
    assert diff_line({"ok": False, "cause_id": "consumer_key_mismatch", "fingerprint": fp}, fail) is None
    was_ok = diff_line({"ok": True, "cause_id": None}, fail)
    assert "was: *working* → now: *consumer key does not match the Salesforce app*" in was_ok
    fixed = diff_line({"ok": False, "cause_id": "user_not_preauthorized"}, working())
    assert "was: *integration user is not pre-authorized for the app* → now: *working*" in fixed
    moved = diff_line({"ok": False, "cause_id": "user_not_preauthorized", "fingerprint": fp}, fail)
    assert "was: *integration user" in moved and "now: *consumer key does not match" in moved
    changed = diff_line({"ok": False, "cause_id": "consumer_key_mismatch", "fingerprint": "old: <!here>"}, fail)
    assert "was: `old: &lt;!here&gt;`" in changed and "now: `invalid_client_id&lt;!channel&gt;" in changed
    odd = diff_line({"ok": False, "cause_id": "<!here> gone"}, fail)
    assert "&lt;!here&gt; gone" in odd


# ---- thread -----------------------------------------------------------------------------
def test_step_messages_order_and_content():
    msgs = step_messages(failing(n_fail=2), heading="Retest at 14:05 UTC")
    assert len(msgs) == 1 + 3 + 1  # grouped, WARN + 2 FAIL, verdict
    grouped = flat(msgs[0])
    assert msgs[0]["blocks"][0]["type"] == "header" and "Retest at 14:05 UTC" in grouped
    assert grouped.index("✅ *Private key*") < grouped.index("⏭️ *Clock and token expiry*")
    titles = [m["blocks"][0]["text"]["text"] for m in msgs[1:4]]
    assert titles == ["❌ *Consumer key* — failed", "❌ *OAuth settings and scopes* — failed",
                      "⚠️ *Live token exchange* — warning"]
    problem = flat(msgs[1])
    assert "*How to verify*\n1. look at" in problem and "*How to fix*\n1. copy key" in problem and "2. save" in problem
    verdict = flat(msgs[-1])
    assert "likely cause:* Consumer key does not match the Salesforce app (high confidence)" in verdict
    assert "(HTTP 400): `invalid_client_id&lt;!channel&gt;" in verdict
    assert "```client identifier invalid &lt;!channel&gt;" in verdict
    assert "• Wrong username or login URL for this org (low confidence)" in verdict and "probe: " in verdict


def test_step_messages_working_connection():
    msgs = step_messages(working())
    assert len(msgs) == 2 and flat(msgs[0]).count("✅") == len(STEP_ORDER)
    assert "the connection works" in flat(msgs[1]) and "00D000000000001" in flat(msgs[1])


def test_secrets_in_findings_are_not_shown():
    d = failing(finding=f"key file: {PEM}", evidence=[PEM], error=TokenError(400, "invalid_grant", PEM))
    for m in step_messages(d):
        assert "BEGIN PRIVATE KEY" not in json.dumps(m) and "MIIEvQ" not in json.dumps(m)


# ---- escalation -------------------------------------------------------------------------
def test_escalation_has_every_field_and_no_secret():
    d = failing(steps=[StepResult(StepId.PRIVATE_KEY, Status.FAIL, f"leaked {PEM}")],
                error=TokenError(400, "invalid_grant", "user hasn't approved this consumer"),
                org=OrgInfo(id="00D5g000001abcd", is_sandbox=True))
    history = [RunRecord(NOW - timedelta(minutes=30), "command", False, CauseId.CONSUMER_KEY_MISMATCH),
               RunRecord(NOW, "scheduled", False, CauseId.CONSUMER_KEY_MISMATCH)]
    c = conn("acme", username="int@acme.com", login_url="https://test.salesforce.com", consumer_key="3MVG9KEY",
             connected_app="Aprity Connector")
    msg = escalation_message(EscalationView.from_diagnosis(
        d, session_id="sess-1", connection=c, requester_id=REQ, escalated_by=ESC,
        escalated_at=NOW, thread_url=THREAD, history=history))
    assert_good(msg)
    text = flat(msg)
    for expected in ["`invalid_grant`", "```user hasn't approved this consumer```", "HTTP 400", "`00D5g000001abcd`",
                     "sandbox", "Aprity Connector", "`3MVG9KEY`", "int@acme.com", "https://test.salesforce.com",
                     "Consumer key does not match the Salesforce app (high confidence)", "<@U0REQ>", "<@W0ESC>",
                     "2024-05-01 13:35 UTC — requested — ❌", "2024-05-01 14:05 UTC — automatic",
                     f"<{THREAD}|Open the diagnosis thread>"]:
        assert expected in text, expected
    assert "BEGIN" not in json.dumps(msg) and "leaked" not in json.dumps(msg)


def test_escalation_names_the_org_and_counts_one_run():
    d = failing(org=OrgInfo(id="00D5g000001abcd", name="Acme Corp", is_sandbox=False))
    msg = escalation_message(EscalationView.from_diagnosis(
        d, session_id="sess-1", connection=conn("acme-internal"), requester_id=REQ, escalated_by=ESC,
        escalated_at=NOW, history=[RunRecord(NOW, "command", False, CauseId.CONSUMER_KEY_MISMATCH)]))
    assert_good(msg)
    text = flat(msg)
    assert "Escalation: acme-internal — Acme Corp" in text and "*Acme Corp* `00D5g000001abcd`" in text
    assert "(1 run)" in text and "run(s)" not in text


def test_escalation_unknown_org_history_cap_and_unsafe_link():
    runs = [RunRecord(NOW - timedelta(minutes=i), "scheduled", False, CauseId.UNKNOWN) for i in range(1, 201)]
    for url in ("https://evil.example|x>", "javascript:alert(1)", None):
        msg = escalation_message(EscalationView(session_id="s", connection=conn("acme", username="u", login_url="https://x.my.salesforce.com",
                                                                consumer_key="k", connected_app=None), requester_id=REQ,
                                                escalated_by=ESC, escalated_at=NOW, thread_url=url, history=runs))
        assert_good(msg)
        text = flat(msg)
        assert "unknown — ask the customer: Setup &gt; Company Information" in text
        assert "(link unavailable)" in text and "evil.example" not in text
        assert "180 earlier runs not listed" in text and "(200 runs)" in text and "run(s)" not in text
        assert "14:04 UTC — automatic" in text and "10:45 UTC" not in text  # the newest runs are kept


def test_run_record_from_store_row():
    r = RunRecord.from_row({"finished_at": NOW.timestamp(), "trigger": "button", "ok": 1, "cause_id": None})
    assert r.at == NOW and r.ok and r.trigger == "button"


# ---- replies ---------------------------------------------------------------------------
def test_still_failing_and_retest_result():
    msg = still_failing_message(45, CauseId.USER_NOT_PREAUTHORIZED, ["Assign the permission set"], "sess-9")
    assert "Still failing after 45 minutes" in flat(msg) and "1. Assign the permission set" in flat(msg)
    assert buttons(msg) == {ActionId.ESCALATE: "sess-9"}
    assert buttons(still_failing_message(45, None, [], "sess-9", escalated=True)) == {}
    r = retest_result_message(working(), at=NOW, trigger="scheduled", previous={"ok": False,
                                                                                 "cause_id": "clock_skew_or_expiry"})
    assert "Retest at 14:05 UTC* (automatic)" in flat(r) and "now: *working*" in flat(r)


def test_short_replies():
    assert "Escalated to support by <@W0ESC> at 14:05 UTC" in flat(escalation_ack(ESC, NOW))
    assert "already escalated by <@W0ESC> at 14:05 UTC" in flat(already_escalated(ESC, NOW))
    usage = flat(usage_message())
    for form in ("/aprity-diagnose NAME", "username=USER consumer_key=KEY login_url=URL [app=NAME]",
                 "/aprity-diagnose explain &lt;error&gt;", "/aprity-diagnose` alone"):
        assert form in usage
    assert "2 check(s) ahead" in flat(queued_message(3)) and "it is next" in flat(queued_message(1))
    err = internal_error_message("ab12cd")
    assert "`ab12cd`" in flat(err) and "Traceback" not in flat(err)


def test_explain_message():
    expl = ExplainView(found=True, error=TokenError(400, "invalid_grant", "invalid assertion"),
                       candidates=[Candidate(CauseId.CERTIFICATE_MISMATCH, Confidence.MEDIUM, "signature")],
                       clues=["mentions a certificate"], fixes={CauseId.CERTIFICATE_MISMATCH: ("Upload the cert",)})
    text = flat(explain_message(expl))
    assert "`invalid_grant`" in text and "```invalid assertion```" in text and "(HTTP 400)" in text
    assert "Certificate in the Salesforce app does not match the private key* (medium confidence)" in text
    assert "mentions a certificate" in text and "1. Upload the cert" in text
    assert "1. Other advice" in flat(explain_message(expl, {CauseId.CERTIFICATE_MISMATCH: ("Other advice",)}))
    assert "No Salesforce error found" in flat(explain_message(ExplainView(found=False)))


def test_explain_message_shows_the_next_check_and_a_hidden_answer():
    expl = ExplainView(found=True, error=TokenError(None, "wrapper", "Unable to fetch the OAuth token"),
                       candidates=[Candidate(CauseId.WRAPPER_HID_ANSWER, Confidence.HIGH, "hid it")],
                       source="hidden", next_check="Get Salesforce's own answer from the wire log.")
    text = flat(explain_message(expl))
    assert "A wrapper hid Salesforce's answer:" in text and "Unable to fetch the OAuth token" in text
    assert "*Next check:* Get Salesforce's own answer from the wire log." in text
    assert "Next check" not in flat(explain_message(ExplainView(found=True, error=expl.error)))


def test_finish_caps_blocks_and_keeps_buttons():
    from bot.blocks.kit import actions, button, finish, section
    msg = finish("", [section(f"s{i} " + "x" * 2900) for i in range(80)] + [actions([button("Go", "a", "v")])])
    assert len(msg["blocks"]) <= 50 and msg["blocks"][-1]["type"] == "actions" and msg["text"]
    kept = sum(b["type"] == "section" for b in msg["blocks"])
    assert f"{80 - kept} more block(s) not shown" in flat(msg) and kept >= 20
    assert limit_problems(msg) == []
    few = finish("t", [section(f"s{i}") for i in range(80)])  # small blocks: only the count limit applies
    assert len(few["blocks"]) == 50 and "31 more block(s) not shown" in flat(few)


# ---- modal ------------------------------------------------------------------------------
def test_modal_shape_and_ids():
    view = diagnose_modal(["acme-prod", "acme-sandbox"], private_metadata="C1")
    assert_good(view, max_blocks=100)
    assert view["type"] == "modal" and view["callback_id"] == DIAGNOSE_MODAL and view["private_metadata"] == "C1"
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == set(ModalBlock) and all(b["optional"] for b in inputs.values())
    select = inputs[ModalBlock.CONNECTION]["element"]
    assert select["action_id"] == ModalAction.CONNECTION and [o["value"] for o in select["options"]] == [
        "acme-prod", "acme-sandbox"]


def test_modal_many_and_long_names():
    names = [f"conn-{i:03d}-" + "x" * 70 for i in range(300)] + ["y" * 200, f"evil {EVIL}"]
    view = diagnose_modal(names)
    assert_good(view, max_blocks=100)
    el = next(b for b in view["blocks"] if b.get("block_id") == ModalBlock.CONNECTION)["element"]
    values = [o["value"] for g in el["option_groups"] for o in g["options"]]
    assert values == names[:300] + [f"evil {EVIL}"]  # the 200-char name cannot be a value
    assert "too long to list" in flat(view)
    assert next(b for b in diagnose_modal([])["blocks"] if b["type"] == "context")


def test_read_diagnose_modal():
    values = {ModalBlock.CONNECTION: {ModalAction.CONNECTION: {"selected_option": {"value": "acme"}}},
              ModalBlock.USERNAME: {ModalAction.USERNAME: {"value": "  u@x.com "}},
              ModalBlock.LOGIN_URL: {ModalAction.LOGIN_URL: {"value": None}}}
    got = read_diagnose_modal(values)
    assert (got.connection, got.username, got.login_url, got.consumer_key) == ("acme", "u@x.com", None, None)
    assert read_diagnose_modal({ModalBlock.CONNECTION: {ModalAction.CONNECTION: {"selected_option": None}}}
                               ).connection is None


# ---- end to end through the Slack stub ----------------------------------------------------
def test_builders_are_accepted_by_the_stub():
    with SlackStub() as stub:
        client = WebClient(token="xoxb-test", base_url=stub.url + "/")
        for name, msg in all_outputs():
            client.chat_postMessage(channel="C1", text=msg["text"], blocks=msg["blocks"])
        client.views_open(trigger_id="t", view=diagnose_modal([f"c{i}" for i in range(300)]))
        assert len(stub.accepted("chat.postMessage")) == len(all_outputs())


def test_minutes_label_never_says_zero_minutes() -> None:
    from bot.blocks.text import minutes_label

    assert [minutes_label(m) for m in (0.0, 0.4, 1.2, 7.6)] == [
        "less than a minute", "less than a minute", "1 minute", "8 minutes"]
