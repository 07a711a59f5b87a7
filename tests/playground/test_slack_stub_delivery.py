"""The stand-in's newer methods: files_upload_v2's three steps, response_url delivery, views, real-time ts."""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.playground.slack_stub import SlackStub

CERT = b"certificate bytes, not a real one\n" * 3


@pytest.fixture
def stub():
    with SlackStub() as s:
        yield s


@pytest.fixture
def client(stub):
    return WebClient(token="xoxb-test", base_url=stub.url + "/")


def test_files_upload_v2_shares_the_file_in_the_thread(stub, client):
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    r = client.files_upload_v2(channel="C1", thread_ts=parent, content=CERT, filename="aprity.crt",
                               title="aprity.crt", initial_comment="Upload this certificate")
    assert r["file"]["name"] == "aprity.crt" and r["file"]["size"] == len(CERT)
    assert [c.method for c in stub.accepted()][-3:] == ["files.getUploadURLExternal", "upload",
                                                        "files.completeUploadExternal"]
    (reply,) = stub.thread("C1", parent)
    assert reply["text"] == "Upload this certificate" and reply["files"][0]["id"] == r["file"]["id"]
    assert stub.channel_messages("C1")[-1]["text"] == "parent"  # a thread reply, not a channel message
    info, content = stub.file_content(r["file"]["id"])
    assert content == CERT and info["mimetype"] == "application/x-x509-ca-cert"
    assert client.files_info(file=r["file"]["id"])["file"]["title"] == "aprity.crt"


def test_completing_an_upload_that_never_arrived_is_refused(stub, client):
    reserved = client.files_getUploadURLExternal(filename="a.crt", length=10)
    with pytest.raises(SlackApiError) as e:
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}], channel_id="C1")
    assert e.value.response["error"] == "file_upload_not_complete"
    httpx.post(reserved["upload_url"], content=b"too short")  # 9 bytes where 10 were announced
    with pytest.raises(SlackApiError) as e:
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}], channel_id="C1")
    assert e.value.response["error"] == "file_upload_size_mismatch"
    with pytest.raises(SlackApiError) as e:
        client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
    assert e.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError):
        client.files_getUploadURLExternal(filename="empty.crt", length=0)
    assert httpx.post(stub.url.replace("/api", "") + "/upload/v1/F999", content=b"x").status_code == 404
    assert stub.channel_messages("C1") == []


def test_response_url_delivers_where_it_came_from(stub, client):
    ts = client.chat_postMessage(channel="C1", text="with a button")["ts"]
    WebhookClient(stub.response_url("a", channel="C1", user="U1")).send(text="for everyone", response_type="in_channel")
    WebhookClient(stub.response_url("b", channel="C1", user="U1")).send(text="just you")
    WebhookClient(stub.response_url("c", channel="C1", user="U1", message_ts=ts)).send(text="replaced",
                                                                                       replace_original=True)
    assert [m["text"] for m in stub.channel_messages("C1")] == ["replaced", "for everyone"]
    assert stub.message("C1", ts)["updates"] == 1
    assert [(e["user"], e["text"]) for e in stub.ephemeral_messages("C1")] == [("U1", "just you")]
    WebhookClient(stub.response_url("d")).send(text="no channel known", response_type="in_channel")
    assert len(stub.channel_messages("C1")) == 2 and len(stub.calls("webhook")) == 4


def test_views_can_be_closed_and_ts_follow_the_clock_when_given():
    with SlackStub(clock=time.time) as live:
        c = WebClient(token="xoxb-test", base_url=live.url + "/")
        view = c.views_open(trigger_id="t", view={"type": "modal", "title": {"type": "plain_text", "text": "F"},
                                                  "blocks": []})["view"]
        assert [v.get("closed") for v in live.views()] == [None]
        live.close_view(view["id"])
        assert live.views()[0]["closed"] is True
        first = float(c.chat_postMessage(channel="C1", text="a")["ts"])
        second = float(c.chat_postMessage(channel="C1", text="b")["ts"])
        assert abs(first - time.time()) < 60 and second > first
