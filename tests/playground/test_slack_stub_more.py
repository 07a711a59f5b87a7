"""The stand-in's remaining methods: views.publish, users.conversations, conversations.history,
and response_url answers to a button on an ephemeral reply (explain's "Share in channel")."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.playground.slack_stub import SlackStub

HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Open sessions*"}}]}


@pytest.fixture
def stub():
    with SlackStub() as s:
        yield s


@pytest.fixture
def client(stub):
    return WebClient(token="xoxb-test", base_url=stub.url + "/")


def test_views_publish_stores_one_home_view_per_user(stub, client):
    first = client.views_publish(user_id="U1", view=HOME)["view"]
    again = client.views_publish(user_id="U1", view={**HOME, "blocks": []})["view"]
    other = client.views_publish(user_id="U2", view=HOME)["view"]
    assert first["id"] == again["id"] != other["id"] and first["hash"] != again["hash"]
    assert stub.view(first["id"])["blocks"] == [] and stub.view(other["id"])["blocks"] == HOME["blocks"]
    with pytest.raises(SlackApiError) as e:  # a modal is not a Home tab
        client.views_publish(user_id="U1", view={**HOME, "type": "modal"})
    assert e.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as e:
        client.views_publish(user_id="", view=HOME)
    assert e.value.response["error"] != "ok"


def test_users_conversations_lists_what_the_user_is_in_and_the_bot_can_see(stub, client):
    stub.add_channel("C1", "public")
    stub.add_channel("G1", "private-with-bot", is_private=True)
    stub.add_channel("G2", "private-without-bot", is_private=True, is_member=False)
    stub.add_channel("C2", "not-mine")
    stub.add_member("C1", "U1")
    stub.add_member("G1", "U1")
    stub.add_member("G2", "U1")
    stub.add_member("C2", "U2")
    both = client.users_conversations(user="U1", types="public_channel,private_channel")
    assert [c["id"] for c in both["channels"]] == ["C1", "G1"]
    assert [c["id"] for c in client.users_conversations(user="U1")["channels"]] == ["C1"]  # Slack's default type
    assert client.users_conversations(user="U3", types="public_channel,private_channel")["channels"] == []


def test_conversations_history_top_level_newest_first_from_oldest(stub, client):
    a = client.chat_postMessage(channel="C1", text="a")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=a)
    b = client.chat_postMessage(channel="C1", text="b")["ts"]
    c = client.chat_postMessage(channel="C1", text="c")["ts"]
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["c", "b", "a"]
    page = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in page["messages"]] == ["c", "b"] and page["has_more"] is True
    assert [m["ts"] for m in client.conversations_history(channel="C1", oldest=b)["messages"]] == [c, b]
    assert client.conversations_history(channel="C9")["messages"] == []


def test_a_button_on_an_ephemeral_reply_replaces_or_deletes_only_that_reply(stub, client):
    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you", blocks=[
        {"type": "actions", "elements": [{"type": "button", "action_id": "share", "value": "k",
                                          "text": {"type": "plain_text", "text": "Share in channel"}}]}])["message_ts"]
    other = client.chat_postEphemeral(channel="C1", user="U2", text="someone else's")["message_ts"]
    hook = stub.response_url("share", channel="C1", user="U1", message_ts=eph)
    WebhookClient(hook).send(text="shared", response_type="in_channel", replace_original=False)
    WebhookClient(hook).send(text="Shared in the channel.", replace_original=True)
    assert [m["text"] for m in stub.channel_messages("C1")] == ["shared"]
    mine = stub.ephemeral_message("C1", eph)
    assert mine["text"] == "Shared in the channel." and not mine["blocks"]  # the Share button is gone
    assert len(stub.ephemeral_messages("C1")) == 2  # replaced in place, not a third reply
    # Another person's ephemeral reply is not theirs to replace: delivered as a new reply to them.
    WebhookClient(stub.response_url("x", channel="C1", user="U1", message_ts=other)).send(
        text="not yours", replace_original=True)
    assert stub.ephemeral_message("C1", other)["text"] == "someone else's"
    WebhookClient(hook).send(delete_original=True)
    assert stub.ephemeral_message("C1", eph) is None
