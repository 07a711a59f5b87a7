"""The Slack stub, driven through a real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.slack_stub import BOT_USER_ID, SlackStub


@pytest.fixture
def stub():
    with SlackStub() as s:
        yield s


def make_client(stub: SlackStub, token: str = "xoxb-test", retries: bool = True) -> WebClient:
    handlers = [RateLimitErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=1)]
    return WebClient(token=token, base_url=stub.url + "/", timeout=5,
                     retry_handlers=handlers if retries else [])


@pytest.fixture
def client(stub):
    return make_client(stub)


def test_auth_test_identifies_bot(stub, client):
    r = client.auth_test()
    assert r["ok"] and r["user_id"] == BOT_USER_ID and r["bot_id"] and r["team_id"]
    (call,) = stub.calls("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test" and not call.rejected


def test_post_records_json_args_and_returns_increasing_ts(stub, client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    r1 = client.chat_postMessage(channel="C1", text="first", blocks=blocks)
    r2 = client.chat_postMessage(channel="C1", text="second")
    assert r1["channel"] == "C1" and r1["message"]["text"] == "first"
    assert r1["ts"] == "1700000000.000100" and float(r2["ts"]) > float(r1["ts"])
    call = stub.calls("chat.postMessage")[0]
    assert call.args["blocks"] == blocks and "json" in call.headers["content-type"]
    assert [m["text"] for m in stub.channel_messages("C1")] == ["first", "second"]
    assert stub.message("C1", r1["ts"])["blocks"] == blocks


def test_form_encoded_call_is_parsed(stub, client):
    # users.info goes as a form body; blocks in a form body arrive as a JSON string.
    client.users_info(user="U123")
    assert stub.calls("users.info")[0].args["user"] == "U123"
    client.api_call("chat.postMessage", data={"channel": "C9", "text": "x", "blocks": '[{"type":"divider"}]'})
    assert stub.calls("chat.postMessage")[0].args["blocks"] == [{"type": "divider"}]


def test_thread_update_and_permalink(stub, client):
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    reply1 = client.chat_postMessage(channel="C1", thread_ts=parent, text="step 1")["ts"]
    client.chat_postMessage(channel="C1", thread_ts=parent, text="step 2")
    client.chat_update(channel="C1", ts=parent, text="parent v2", blocks=[{"type": "divider"}])

    assert [m["text"] for m in stub.thread("C1", parent)] == ["step 1", "step 2"]
    assert [m["text"] for m in stub.channel_messages("C1")] == ["parent v2"]
    assert stub.message("C1", parent)["updates"] == 1
    assert stub.message("C1", parent)["blocks"] == [{"type": "divider"}]

    link = client.chat_getPermalink(channel="C1", message_ts=reply1)["permalink"]
    assert link == (f"https://example.slack.com/archives/C1/p{reply1.replace('.', '')}"
                    f"?thread_ts={parent}&cid=C1")
    assert "?" not in client.chat_getPermalink(channel="C1", message_ts=parent)["permalink"]


def test_update_of_unknown_message_fails(stub, client):
    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert e.value.response["error"] == "message_not_found"
    assert stub.calls("chat.update")[0].rejected


def test_rate_limit_is_absorbed_by_retry_handler_without_duplicates(stub, client):
    stub.fail_next("chat.postMessage", retry_after=0)
    r = client.chat_postMessage(channel="C1", text="once")
    assert r["ok"]
    attempts = stub.calls("chat.postMessage")
    assert [(c.status, c.rejected) for c in attempts] == [(429, True), (200, False)]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert len(stub.accepted("chat.postMessage")) == 1
    assert len(stub.channel_messages("C1")) == 1


def test_rate_limit_sends_retry_after_header(stub):
    stub.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as e:
        make_client(stub, retries=False).chat_postMessage(channel="C1", text="x")
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] in ("7", ["7"])
    assert stub.channel_messages("C1") == []


def test_rate_limit_beyond_retries_surfaces(stub, client):
    stub.fail_next("chat.postMessage", retry_after=0, times=3)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")
    assert len(stub.calls("chat.postMessage", rejected=True)) == 3
    assert stub.accepted("chat.postMessage") == []


def test_server_error_is_retried(stub, client):
    stub.fail_next("chat.update", status=500)
    ts = client.chat_postMessage(channel="C1", text="a")["ts"]
    client.chat_update(channel="C1", ts=ts, text="b")
    assert [c.status for c in stub.calls("chat.update")] == [500, 200]
    assert stub.message("C1", ts)["text"] == "b"


def test_ok_false_error_injection(stub, client):
    stub.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x")
    assert e.value.response.status_code == 200 and e.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next call failed


@pytest.mark.parametrize("token,error", [(None, "not_authed"), ("xoxp-user", "invalid_auth"),
                                         ("xoxb-wrong", "invalid_auth")])
def test_auth_failures(token, error):
    with SlackStub(tokens={"xoxb-right"}) as stub:
        with pytest.raises(SlackApiError) as e:
            make_client(stub, token=token).chat_postMessage(channel="C1", text="x")
        assert e.value.response["error"] == error
        assert stub.calls("chat.postMessage")[0].rejected
        assert make_client(stub, token="xoxb-right").chat_postMessage(channel="C1", text="x")["ok"]


def test_unknown_method_and_missing_text(stub, client):
    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.doesNotExist")
    assert e.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as e, pytest.warns(UserWarning):
        client.chat_postMessage(channel="C1")
    assert e.value.response["error"] == "no_text"


def test_block_limits_are_enforced(stub, client):
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x", blocks=too_many)
    assert e.value.response["error"] == "invalid_blocks"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x", blocks=long_section)
    assert stub.channel_messages("C1") == []


def test_ephemeral_views_users_channels(stub, client):
    r = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert r["message_ts"] and stub.ephemeral_messages("C1")[0]["text"] == "only you"
    assert stub.channel_messages("C1") == []

    view = {"type": "modal", "title": {"type": "plain_text", "text": "Diagnose"}, "blocks": []}
    opened = client.views_open(trigger_id="t1", view=view)["view"]
    assert opened["id"].startswith("V") and opened["title"]["text"] == "Diagnose"
    updated = client.views_update(view_id=opened["id"], view={**view, "title": {"type": "plain_text", "text": "B"}})
    assert updated["view"]["title"]["text"] == "B" and stub.view(opened["id"])["title"]["text"] == "B"
    stub.expire_trigger("t2")
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id="t2", view=view)
    assert e.value.response["error"] == "expired_trigger_id"

    stub.add_user("U42", "Ada Lovelace")
    assert client.users_info(user="U42")["user"]["real_name"] == "Ada Lovelace"
    assert client.users_info(user="U77")["user"]["real_name"]
    stub.add_channel("C5", "support", is_private=True)
    assert client.conversations_info(channel="C5")["channel"]["name"] == "support"


def test_response_url_posts_are_recorded(stub):
    r = WebhookClient(stub.response_url("abc")).send(text="done", response_type="ephemeral")
    assert r.status_code == 200 and r.body == "ok"
    (call,) = stub.calls("webhook")
    assert call.webhook_id == "abc" and call.args == {"text": "done", "response_type": "ephemeral"}


def test_wait_for_polls_and_reports_on_timeout(stub, client):
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late")).start()
    assert len(stub.wait_for("chat.postMessage", 1, timeout=3)) == 1
    with pytest.raises(AssertionError, match="expected 2 'chat.postMessage'"):
        stub.wait_for("chat.postMessage", 2, timeout=0.2)
    stub.reset()
    assert stub.calls() == [] and stub.channel_messages("C1") == []


def test_plain_http_without_sdk(stub):
    req = urllib.request.Request(stub.url + "/auth.test", data=b"", method="POST",
                                 headers={"Authorization": "Bearer xoxb-x"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True


def test_concurrent_posts_get_unique_ts(stub, client):
    results: list[str] = []
    workers = [threading.Thread(target=lambda: results.append(client.chat_postMessage(channel="C1", text="x")["ts"]))
               for _ in range(20)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(set(results)) == 20 and len(stub.channel_messages("C1")) == 20


def test_bolt_app_against_the_stub(stub, client):
    """The pattern other tests use: a Bolt App whose client points at the stub."""
    from slack_bolt import App, BoltRequest

    app = App(client=client, signing_secret="unused-in-socket-mode")
    assert len(stub.calls("auth.test")) == 1  # token verification at construction

    @app.command("/aprity-diagnose")
    def handle(ack, respond, client, command):
        ack()
        respond(text="working on it")
        client.chat_postMessage(channel=command["channel_id"], text="parent")

    body = {"command": "/aprity-diagnose", "text": "", "user_id": "U1", "channel_id": "C7", "team_id": "T1",
            "response_url": stub.response_url("cmd1"), "trigger_id": "t1"}
    assert app.dispatch(BoltRequest(body=body, mode="socket_mode")).status == 200
    assert stub.wait_for("webhook", 1)[0].args["text"] == "working on it"
    stub.wait_for("chat.postMessage", 1)
    assert [m["text"] for m in stub.channel_messages("C7")] == ["parent"]
