"""People first: a person's run has its own lane, and Slack calls on the background lane never wait out a
Retry-After (they fail at once; the work is tried again later)."""

from __future__ import annotations

import threading

import pytest
from slack_sdk.errors import SlackApiError

from bot.sessions.executor import QueueFull, RunExecutor, on_background_thread
from bot.slack.app import make_web_client

from slack_stub import SlackStub


def test_a_full_background_lane_holds_no_persons_run() -> None:
    people = RunExecutor(max_workers=1)
    background = RunExecutor(max_workers=1, max_waiting=3, name="background", fail_fast=True)
    hold = threading.Event()
    try:
        places = [background.submit(hold.wait)[1] for _ in range(4)]
        assert places == [0, 1, 2, 3]
        with pytest.raises(QueueFull):  # bounded: a fifth background job is refused, to be tried later
            background.submit(hold.wait)
        ran = threading.Event()
        future, place = people.submit(ran.set)
        assert place == 0 and ran.wait(5), "a person's run waited behind background work"
        assert future.result(5) is None
    finally:
        hold.set()
        background.shutdown()
        people.shutdown()


def test_only_background_workers_are_marked_fail_fast() -> None:
    people = RunExecutor(max_workers=1)
    background = RunExecutor(max_workers=1, name="background", fail_fast=True)
    try:
        assert people.submit(on_background_thread)[0].result(5) is False
        assert background.submit(on_background_thread)[0].result(5) is True
        assert on_background_thread() is False
    finally:
        people.shutdown()
        background.shutdown()


def test_a_rate_limit_is_waited_out_for_a_person_and_fails_fast_in_the_background() -> None:
    with SlackStub() as stub:
        client = make_web_client("xoxb-test", stub.url, timeout=5)
        people = RunExecutor(max_workers=1)
        background = RunExecutor(max_workers=1, name="background", fail_fast=True)
        try:
            stub.fail_next("chat.postMessage", retry_after=0)
            ok = people.submit(lambda: client.chat_postMessage(channel="C0AAAAAAA", text="hi"))[0].result(10)
            assert ok["ok"] and len(stub.calls("chat.postMessage")) == 2  # retried after Retry-After

            stub.fail_next("chat.postMessage", retry_after=30, times=5)
            future = background.submit(lambda: client.chat_postMessage(channel="C0AAAAAAA", text="later"))[0]
            with pytest.raises(SlackApiError) as raised:
                future.result(10)  # at once, not after 30 s
            assert raised.value.response["error"] == "ratelimited"
            assert len(stub.calls("chat.postMessage")) == 3  # one try, no sleep, no retry

            stub.clear_faults()
            stub.fail_next("chat.postMessage", status=503, times=1)  # a 5xx is not retried in place either
            with pytest.raises(SlackApiError):
                background.submit(lambda: client.chat_postMessage(channel="C0AAAAAAA", text="x"))[0].result(10)
        finally:
            people.shutdown()
            background.shutdown()
