"""The Slack side of a verdict: org environment, escalation fields, the certificate in the thread, wording."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ids import ActionId
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import CHANNEL, SUPPORT, BotHarness, all_text, bot_env, toml_for
from slack_stub import SlackStub

NAMED = ["healthy", "sandbox-on-login", "no-metadata", "cert-mismatch", "signatures-off", "cert-expiring",
         "not-preauthorized", "stale-cert-file"]


@pytest.fixture
def harness(tmp_path, world, sim_server) -> Iterator[BotHarness]:
    with SlackStub() as stub:
        conns = {name: by_name(name).build(world) for name in NAMED}
        (tmp_path / "connections.toml").write_text(toml_for(conns))
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


def thread_uploads(h: BotHarness) -> list[dict]:
    """Files shared in the diagnosis channel (the alert channel also gets expiry warnings' files)."""
    return [u for u in h.stub.uploads() if u["channel"] == CHANNEL]


def run(h: BotHarness, name: str) -> dict:
    assert h.slash(name).status_code == 200
    h.wait_idle()
    return next(s for s in h.sessions() if s["connection_name"] == name)


def escalation_text(h: BotHarness, sess: dict) -> str:
    h.click(ActionId.ESCALATE, sess["id"])
    h.wait_idle()
    posts = [c for c in h.stub.accepted("chat.postMessage") if c.args["channel"] == SUPPORT
             and "Escalation" in all_text(c.args)]  # the support channel also gets expiry warnings
    assert len(posts) == 1
    return all_text(posts[0].args).replace("&gt;", ">")


def test_sandbox_user_on_production_host_shows_both_environments(harness) -> None:
    sess = run(harness, "sandbox-on-login")
    both = "login URL: production — the user logs in at test.salesforce.com: sandbox"
    assert both in all_text(harness.parent(sess)).replace("&gt;", ">")
    text = escalation_text(harness, sess)
    assert both in text and "Environment: production" not in text


def test_escalation_carries_metadata_error_evidence_fix_and_fingerprint(harness, world) -> None:
    sess = run(harness, "no-metadata")
    text = escalation_text(harness, sess)
    assert "none recorded" not in text
    assert "INSUFFICIENT_ACCESS" in text and "metadata call" in text
    assert "describeMetadata was refused" in text  # an evidence line
    assert "Modify Metadata Through Metadata API Functions" in text  # the suggested fix
    fingerprint = keys.fingerprint_sha256(keys.read_certificate(world.cert_file))
    assert fingerprint in text and "expires 20" in text
    assert "production" in text


def test_certificate_file_is_attached_to_the_thread(harness, world) -> None:
    sess = run(harness, "cert-mismatch")
    uploads = thread_uploads(harness)
    assert len(uploads) == 1
    up = uploads[0]
    assert up["filename"] == "cert-mismatch.crt" and up["channel"] == CHANNEL and up["thread_ts"] == sess["thread_ts"]
    cert = keys.parse_certificate(up["content"])
    assert keys.public_key_matches(world.good_key, cert)
    assert b"PRIVATE" not in up["content"]
    assert keys.fingerprint_sha256(cert) in up["initial_comment"]
    # The three steps of files upload v2 went over HTTP, in order.
    calls = harness.stub.calls()
    got = next(i for i, c in enumerate(calls) if c.method == "files.getUploadURLExternal"
               and c.response.get("file_id") == up["id"])
    done = next(i for i, c in enumerate(calls) if c.method == "files.completeUploadExternal"
                and c.args.get("channel_id") == CHANNEL)
    assert got < done and any(c.method == "upload" for c in calls[got:done])  # the bytes went in between
    # The fix text points at the file, with the same fingerprint, and never at a shell command.
    body = harness.thread_text(sess)
    assert "cert-mismatch.crt, attached to this thread" in body and keys.fingerprint_sha256(cert) in body
    assert "aprity-diagnose certificate" not in body and "openssl" not in body
    # The escalation quotes the same certificate.
    assert keys.fingerprint_sha256(cert) in escalation_text(harness, sess)


@pytest.mark.parametrize("name,uploaded", [("signatures-off", True), ("cert-expiring", True),
                                           ("not-preauthorized", False), ("stale-cert-file", False)])
def test_certificate_only_when_the_fix_needs_it(harness, name, uploaded) -> None:
    run(harness, name)
    assert bool(thread_uploads(harness)) == uploaded


def test_upload_refused_still_reaches_a_verdict(harness) -> None:
    # No other upload can take the refusal below: the start-up expiry sweep (cert-expiring is within
    # 30 days) posts nothing here, the alert channel not being a staff channel in this harness.
    assert harness.stub.uploads() == []
    harness.stub.fail_next("files.getUploadURLExternal", error="missing_scope")
    sess = run(harness, "cert-mismatch")
    assert thread_uploads(harness) == []
    body = harness.thread_text(sess)
    assert "missing_scope" in body and "files:write" in body and "Verdict" in body


def test_working_connection_offers_check_again(harness) -> None:
    sess = run(harness, "healthy")
    labels = [e["text"]["text"] for b in harness.parent(sess)["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert "Check again" in labels and "I fixed it, retest" not in labels


def test_working_connection_with_warning_stays_green(harness) -> None:
    sess = run(harness, "cert-expiring")
    parent = all_text(harness.parent(sess))
    assert "✅" in parent and "expires on" in parent


def test_also_possible_keeps_acronym_capital() -> None:
    from bot.blocks.text import short_cause
    from checks.model import CauseId

    assert short_cause(CauseId.OAUTH_NOT_ENABLED_OR_SCOPES).startswith("OAuth settings")
    assert short_cause(CauseId.CERTIFICATE_MISMATCH).startswith("certificate")


def test_slack_fix_texts_never_ask_for_a_shell() -> None:
    from checks.rules.advice import AdviceContext, advice_for
    from checks.model import CauseId

    for unreachable in ("network", "service"):
        ctx = AdviceContext(surface="slack", connection="acme", certificate_fingerprint="AB:CD",
                            unreachable=unreachable, username="a@acme.com", login_url="https://login.salesforce.com")
        for cause in CauseId:
            for line in advice_for(cause, ctx).fix:
                assert not any(cmd in line for cmd in ("aprity-diagnose ", "openssl", "curl", "`date")), (cause, line)


@pytest.mark.parametrize("text,label,absent", [
    ("error:0909006C:PEM routines:get_name:no start line", "Local error", "Salesforce error found"),
    ("HTTP/1.1 503 Service Unavailable\n\n<html><head><title>Down for maintenance</title></head></html>",
     "Salesforce is unavailable", "proxy"),
])
def test_slack_explain_labels_who_said_it(text, label, absent) -> None:
    from bot.slack.listeners.commands import explain_reply

    out = all_text(explain_reply(text))
    assert label in out and absent not in out, out


def test_change_on_aprity_side_is_not_told_to_wait(world, make_engine) -> None:
    for name in ("key-typo", "sandbox-on-login", "eca-generic-host"):
        d = make_engine().diagnose(by_name(name).build(world))
        assert not d.retryable, name
        from checks.rules.steps import OWN_STEP

        fixes = " ".join(d.step(OWN_STEP[d.cause.id]).fix)  # the step carrying the verdict's fix
        assert fixes and "Wait 2–10 minutes" not in fixes and not any("propagat" in e for e in d.evidence), (name, fixes)


def test_tie_in_slack_names_both_and_the_check(harness) -> None:
    sess = run(harness, "not-preauthorized")
    parent = all_text(harness.parent(sess))
    assert "Tied" in parent and "does integration@tyrell.com exist?" in parent
    assert "❌" not in parent  # nothing is sure: no cross in the status line
    thread = harness.thread_text(sess)
    assert "The one check that tells them apart" in thread


@pytest.mark.parametrize("url,my_domain", [
    ("https://acme.lightning.force.com/lightning/page/home", "https://acme.my.salesforce.com"),
    ("https://acme--uat.sandbox.lightning.force.com/lightning/setup/SetupOneHome/home",
     "https://acme--uat.sandbox.my.salesforce.com"),
    ("https://acme.my.salesforce-setup.com/lightning/setup/ConnectedApplication/home", "https://acme.my.salesforce.com"),
    ("https://acme.my.salesforce.com/lightning/setup/SetupOneHome/home?setupid=x", "https://acme.my.salesforce.com"),
])
def test_browser_url_gives_the_my_domain_in_one_step(url, my_domain) -> None:
    from checks.explain.reader import explain
    from checks.salesforce.hosts import Allowlist, UnsafeURL

    with pytest.raises(UnsafeURL) as exc:
        Allowlist().login_origin(url)
    assert f"use the My Domain URL {my_domain}" in str(exc.value)
    assert Allowlist().login_origin(my_domain) == my_domain  # the advice is accepted: no second refusal
    if ".my.salesforce.com/" not in url:  # in pasted text a page on the My Domain already names the host
        clues = explain(f"invalid_grant: user hasn't approved this consumer (login_url={url})").clues
        assert any(my_domain in c for c in clues), clues


def test_java_package_is_not_a_login_host() -> None:
    from checks.explain.reader import explain

    e = explain("org.mule.extension.salesforce.api.exception.SalesforceException: invalid_grant: "
                "user hasn't approved this consumer at org.mule.extension.salesforce.internal.Conn.login(Conn.java:88)")
    assert not any("org.mule" in c for c in e.clues), e.clues
    assert e.error.error_description == "user hasn't approved this consumer"


@pytest.mark.parametrize("text", ["Invalid Audience", "error: INVALID AUDIENCE", '{"error":"invalid_grant",'
                                  '"error_description":"invalid audience"}'])
def test_invalid_audience_any_casing(text) -> None:
    from checks.explain.reader import explain
    from checks.model import CauseId

    assert explain(text).candidates[0].id == CauseId.USERNAME_OR_LOGIN_URL


def test_metadata_error_survives_a_restart(tmp_path, world, make_engine) -> None:
    """The escalation is rebuilt from SQLite after a restart: the metadata refusal must still be there."""
    from datetime import datetime, timezone

    from bot.blocks import EscalationView, escalation_message
    from bot.store.restore import diagnosis_from_rows, summary_of
    from bot.store.db import Store

    d = make_engine().diagnose(by_name("no-metadata").build(world))
    assert d.error is None and d.last_error.error == "INSUFFICIENT_ACCESS" and d.last_error.call == "metadata"
    store = Store(str(tmp_path / "s.db"))
    sid = store.create_session(channel=CHANNEL, requester="U0REQ", connection=d.connection)
    store.record_run(sid, trigger="command", diagnosis=d, started_at=0.0)
    sess = store.session(sid)
    run = store.last_run(sid)
    restored = diagnosis_from_rows(sess, run, store.steps(run["id"]))
    view = EscalationView.from_diagnosis(restored, session_id=sid, connection=summary_of(sess), requester_id="U0REQ",
                                         escalated_by="U0REQ", escalated_at=datetime.now(timezone.utc))
    text = all_text(escalation_message(view))
    assert "INSUFFICIENT_ACCESS" in text and "none recorded" not in text


def test_certificate_is_not_uploaded_again_on_an_unchanged_retest(harness) -> None:
    sess = run(harness, "cert-mismatch")
    assert len(thread_uploads(harness)) == 1
    harness.click(ActionId.RETEST, sess["id"])
    harness.wait_idle()
    assert len(harness.bot.store.runs(sess["id"])) == 2
    assert len(thread_uploads(harness)) == 1  # the file is already in the thread


def test_check_again_is_named_as_pressed_in_the_retest_reply(harness) -> None:
    sess = run(harness, "healthy")
    harness.click(ActionId.RETEST, sess["id"])  # the button reads "Check again" on a working connection
    harness.wait_idle()
    thread = harness.thread_text(sess)
    assert "(after “Check again”)" in thread and "I fixed it" not in thread
    assert "after “Check again”" in escalation_text(harness, sess)  # the run history says the same


def test_retest_after_a_failure_says_i_fixed_it() -> None:
    from bot.blocks.replies import trigger_label

    assert trigger_label("button") == "after “I fixed it”"
    assert trigger_label("button", after_ok=True) == "after “Check again”"
    assert trigger_label("scheduled", after_ok=True) == "automatic"


@pytest.mark.parametrize("name", ["not-preauthorized", "sandbox-on-login", "cert-mismatch", "no-metadata", "healthy"])
def test_escalation_and_parent_after_a_restart_say_what_they_said_before(tmp_path, world, make_engine, name) -> None:
    """Rebuilt from SQLite alone, the escalation and the parent carry the same tie, evidence, fix,
    environment, error call and fingerprint as from the live diagnosis."""
    from datetime import datetime, timezone

    from bot.blocks import EscalationView, escalation_message
    from bot.blocks.steps import verdict_message
    from bot.store.restore import diagnosis_from_rows, summary_of
    from bot.store.db import Store

    d = make_engine().diagnose(by_name(name).build(world))
    store = Store(str(tmp_path / "s.db"))
    sid = store.create_session(channel=CHANNEL, requester="U0REQ", connection=d.connection)
    store.record_run(sid, trigger="command", diagnosis=d, started_at=0.0)
    sess = store.session(sid)
    restored = diagnosis_from_rows(sess, store.last_run(sid), store.steps(store.last_run(sid)["id"]))
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def escalation(diag) -> str:
        view = EscalationView.from_diagnosis(diag, session_id=sid, connection=summary_of(sess), requester_id="U0REQ",
                                             escalated_by="U0REQ", escalated_at=at)
        return all_text(escalation_message(view))

    assert escalation(restored) == escalation(d)
    assert all_text(verdict_message(restored)) == all_text(verdict_message(d))
    assert [(s.id, s.status, s.fix) for s in restored.steps] == [(s.id, s.status, s.fix) for s in d.steps]


@pytest.mark.parametrize("text", [
    "invalid_grant: user hasn't approved this consumer",
    '{"username": "integraton@acme.com"} {"error":"invalid_grant","error_description":"user hasn\'t approved this '
    'consumer"}',
])
def test_explain_not_approved_is_a_tie_without_oauth_doubt(text) -> None:
    """Salesforce found the app and verified the signature before this answer: OAuth is on. An unknown username
    gets the same answer as an unapproved user (reference §4.3): both medium, and the check that separates them."""
    from checks.explain.reader import explain
    from checks.model import CauseId, Confidence

    e = explain(text)
    assert [(c.id, c.confidence) for c in e.candidates] == [
        (CauseId.USER_NOT_PREAUTHORIZED, Confidence.MEDIUM), (CauseId.USERNAME_OR_LOGIN_URL, Confidence.MEDIUM)]
    who = "integraton@acme.com" if "integraton" in text else "the integration user"
    assert any(f"Setup → Users: does {who} exist" in c for c in e.clues), e.clues
    from bot.slack.listeners.commands import explain_reply

    out = all_text(explain_reply(text))
    assert "OAuth settings" not in out


@pytest.mark.parametrize("name,mark", [("key-other-app", "⚠️"), ("key-typo", "❌"), ("username-typo", "⚠️")])
def test_slack_cross_only_for_a_sure_cause(world, make_engine, name, mark) -> None:
    """As in the terminal (✖ high, ! otherwise): a medium cause is not shown with a cross in Slack."""
    from bot.blocks.session import _fallback_outcome, outcome_text
    from bot.blocks.steps import verdict_message

    d = make_engine().diagnose(by_name(name).build(world))
    assert outcome_text(d).startswith(mark), outcome_text(d)
    verdict = all_text(verdict_message(d))
    assert mark in verdict and (mark == "❌" or "❌" not in verdict), verdict
    if d.tied:  # the notification text names both tied causes, not just the first
        assert " or " in _fallback_outcome(d) and "tied" in _fallback_outcome(d)


@pytest.mark.parametrize("attached", [True, False])
def test_expiry_warning_asks_for_no_shell(attached) -> None:
    from datetime import datetime, timezone

    from bot.blocks.watch import expiry_warning_message
    from checks.model import ConnectionSummary

    conn = ConnectionSummary(name="acme", username="a@acme.com", login_url="https://login.salesforce.com",
                             consumer_key="3MVG9x", environment="production", connected_app="aprity")
    text = all_text(expiry_warning_message(connection=conn, not_after=datetime(2027, 1, 1, tzinfo=timezone.utc),
                                           fingerprint="AB:CD", days_left=5, threshold=7, attached=attached))
    assert "aprity-diagnose " not in text and "openssl" not in text, text


def test_still_failing_names_both_tied_causes(world, make_engine) -> None:
    from bot.blocks import still_failing_message, suggested_fix

    d = make_engine().diagnose(by_name("username-typo").build(world))
    text = all_text(still_failing_message(12, d.cause.id, suggested_fix(d), "s1", tied=[c.id for c in d.tied]))
    assert "Two causes tie" in text and "not pre-authorized" in text and "Wrong username" in text, text


def test_still_failing_carries_the_setup_links_of_its_fix(world, make_engine) -> None:
    from bot.blocks import still_failing_message, suggested_fix, suggested_links

    d = make_engine().diagnose(by_name("eca-closed").build(world))
    links = suggested_links(d)
    assert links and all(url.startswith("https://eca-tyrell.my.salesforce.com/lightning/setup/") for _, url in links)
    text = all_text(still_failing_message(12, d.cause.id, suggested_fix(d), "s1", links=links))
    assert "<https://eca-tyrell.my.salesforce.com/lightning/setup/ManageExternalClientApplication/home|" in text
    generic = make_engine().diagnose(by_name("not-preauthorized").build(world))  # login.salesforce.com
    assert suggested_links(generic) == ()
