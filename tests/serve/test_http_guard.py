"""HTTP hygiene: oversized, malformed, unsigned and slow requests, in process and against the real
servers (the Procfile's gunicorn and ``aprity-diagnose http``); the log never holds a body."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from bot.serve.http_guard import MAX_BODY
from checks.scenarios import by_name

from bot_harness import CHANNEL, SIGNING_SECRET, USER, BotHarness, bot_env, sign, slash_at, toml_for
from procs import rss_kib, spawn_server, stop, wait_until
from slack_stub import SlackStub

# A pasted key in an `explain`: the marker is built from parts so no committed file holds a PEM header.
KEY_MARKER = "-----BEGIN " + "PRIVATE" + " KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"


def _payload(obj) -> str:
    return urlencode({"payload": json.dumps(obj)})


MALFORMED = {
    "payload not JSON": urlencode({"payload": "{not json"}),
    "payload a list": urlencode({"payload": "[1, 2]"}),
    "payload without type": _payload({"user": {"id": USER}}),
    "junk view_submission": _payload({"type": "view_submission"}),
    "view_submission, view a string": _payload({"type": "view_submission", "user": {"id": USER}, "view": "x"}),
    "view_submission, junk state": _payload({"type": "view_submission", "user": {"id": USER},
                                             "view": {"callback_id": "diagnose", "state": {"values": [1]}}}),
    "block_actions, actions strings": _payload({"type": "block_actions", "user": {"id": USER}, "actions": ["x"]}),
    "block_actions, user a string": _payload({"type": "block_actions", "user": "U1", "actions": []}),
    "JSON body a list": "[1]",
    "JSON body broken": "{broken",
    "slash command without ids": urlencode({"command": "/aprity-diagnose", "text": "x"}),
    "form of nothing known": "a=b",
}


@pytest.fixture
def harness(tmp_path, world, sim_server) -> Iterator[BotHarness]:
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_payload_gets_400_and_one_line(harness, caplog, name) -> None:
    body = MALFORMED[name]
    with caplog.at_level(logging.DEBUG):
        r = harness.post(body)
    assert r.status_code == 400
    lines = [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].name == "bot.serve.http_guard" and not lines[0].exc_info
    assert body not in caplog.text and harness.sessions() == [] and harness.stub.calls() == []


def test_invalid_utf8_gets_400(harness, caplog) -> None:
    import hashlib
    import hmac

    raw = b"command=/aprity-diagnose&user_id=U1&channel_id=C1&trigger_id=t&text=\xff\xfe"
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    r = harness._http.post(harness.url, content=raw, headers={
        "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
        "x-slack-signature": sig})
    assert r.status_code == 400 and "not UTF-8" in caplog.text and harness.sessions() == []


def test_stale_or_forged_explain_is_refused_without_logging_the_key(harness, caplog) -> None:
    body = urlencode({"command": "/aprity-diagnose", "text": f"explain {KEY_MARKER}", "user_id": USER,
                      "channel_id": CHANNEL, "trigger_id": "t.1", "team_id": "T0EXAMPLE"})
    stale = sign(body, timestamp=str(int(time.time()) - 600))
    forged = {**sign(body), "x-slack-signature": "v0=" + "0" * 64}
    with caplog.at_level(logging.DEBUG):
        for headers in (stale, forged, {"content-type": "application/x-www-form-urlencoded"}):
            assert harness.post(body, headers).status_code == 401
    assert "MIIEvQIBADAN" not in caplog.text and "explain" not in caplog.text
    assert sum("invalid or stale signature" in rec.getMessage() for rec in caplog.records) == 3
    assert harness.stub.calls() == []


def test_bolt_log_lines_never_carry_a_body(harness, caplog) -> None:
    """Bolt's own "Unhandled request (…body…)" line keeps its words but loses the body."""
    body = urlencode({"payload": json.dumps({"type": "shortcut", "user": {"id": USER}, "callback_id": "nope",
                                             "trigger_id": "t", "secret_marker": "S3CR3T-IN-BODY"})})
    with caplog.at_level(logging.DEBUG):
        r = harness.post(body)
    assert r.status_code == 404
    assert "Unhandled request" in caplog.text and "S3CR3T-IN-BODY" not in caplog.text


def test_other_paths_and_methods_never_reach_bolt(harness) -> None:
    base = harness.url.rsplit("/slack/events", 1)[0]
    assert harness._http.post(base + "/other", content="x").status_code == 404
    assert harness._http.get(harness.url).status_code == 405


# ----- the real servers: the Procfile's gunicorn and the development server

def _junk(total: int) -> Iterator[bytes]:
    chunk = b"JUNK" * 16384
    for _ in range(total // len(chunk)):
        yield chunk


def _post_junk(port: int, *, declared: bool) -> int | None:
    """200 MB of junk; the status, or None when the server closed the connection first."""
    total = 200 * 1024 * 1024
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if declared:
        headers["content-length"] = str(total)
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=_junk(total), headers=headers, timeout=30)
    except httpx.TransportError:
        return None
    return r.status_code


class _Trickler:
    """A client that sends its headers, then one body byte every 2 s (or, ``in_headers``, stalls
    half-way through its headers and adds one byte to a header every 2 s)."""

    def __init__(self, port: int, in_headers: bool = False) -> None:
        self.started, self.ended = time.monotonic(), None  # when it connected, when its connection ended
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: a" if in_headers else
                          b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                          b"\r\nContent-Length: 100\r\n\r\nc")
        self.answer = b""
        self.done = threading.Event()
        threading.Thread(target=self._drip, daemon=True).start()

    def _drip(self) -> None:
        self.sock.settimeout(2.0)
        try:
            for _ in range(60):
                try:
                    data = self.sock.recv(4096)
                    if not data:
                        break
                    self.answer += data
                    break
                except socket.timeout:
                    self.sock.sendall(b"o")
        except OSError:
            pass
        finally:
            self.ended = time.monotonic()
            self.done.set()
            self.sock.close()


@pytest.mark.parametrize("server", ["gunicorn", "dev-server"])
def test_real_server_hygiene(tmp_path, world, sim_server, server) -> None:
    """One server process through every abuse in turn; it keeps answering, memory and log stay flat."""
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    log = tmp_path / "bot.log"
    with SlackStub() as stub:
        proc, port = spawn_server(server, bot_env(tmp_path, stub, sim_server.url, world.key_file), log)
        try:
            assert slash_at(port, stub, "healthy", 0).status_code == 200
            wait_until(lambda: stub.accepted("chat.postMessage"), what="the first run to post")
            rss, log_size = rss_kib(proc.pid), log.stat().st_size

            # Over 1 MiB: refused from its Content-Length, or (chunked) once 1 MiB has come in.
            assert _post_junk(port, declared=True) in (413, None)
            assert _post_junk(port, declared=False) in (411, 413, None)
            exact = "x" * (MAX_BODY + 1)
            assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=exact, headers=sign(exact),
                              timeout=10).status_code == 413

            # A forged explain with a pasted key: 401, and the key is not logged.
            body = urlencode({"command": "/aprity-diagnose", "text": f"explain {KEY_MARKER}", "user_id": USER,
                              "channel_id": CHANNEL, "trigger_id": "t.x", "team_id": "T0EXAMPLE"})
            stale = sign(body, timestamp=str(int(time.time()) - 600))
            assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=stale,
                              timeout=10).status_code == 401
            assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=MALFORMED["junk view_submission"],
                              headers=sign(MALFORMED["junk view_submission"]), timeout=10).status_code == 400

            # Twelve clients trickling a body and twelve stalled in their headers: a real command
            # is still acked within Slack's 3 s.
            tricklers = [_Trickler(port) for _ in range(12)]
            stalled = [_Trickler(port, in_headers=True) for _ in range(12)]
            slow = tricklers + stalled
            time.sleep(0.5)  # every slow client is in the server now, holding whatever it holds
            sent = time.monotonic()
            assert slash_at(port, stub, "healthy", 1).status_code == 200
            acked = time.monotonic()
            # No slow client is turned away at once: each is cut at its deadline, 3 s after it came in
            # (a loaded machine may take that long to open them all, so some may be cut already).
            early = [t.answer[:60] for t in slow if t.ended is not None and t.ended - t.started < 2.5]
            assert not early, f"slow clients refused at once: {early}"
            # ... and the command did not wait for one of them to be cut off to get a thread.
            there = [t for t in slow if t.ended is None or t.ended > sent]
            assert there, "every slow client was gone before the command was sent"
            assert all(t.ended is None or t.ended > acked for t in there), "the command waited for slow clients"
            # The tricklers were being read (not queued unseen): each is cut off with 408.
            for t in tricklers:
                assert t.done.wait(15)
                assert t.answer.startswith(b"HTTP/1.") and b" 408 " in t.answer.split(b"\r\n")[0]
            for t in stalled:  # never a whole request: the connection is dropped, its thread freed
                assert t.done.wait(15), "a client stalled in its headers still holds its connection"

            assert slash_at(port, stub, "healthy", 2).status_code == 200
            assert rss_kib(proc.pid) - rss < 50 * 1024, "memory grew with the junk"
            text = log.read_text(errors="replace")
            assert log.stat().st_size - log_size < 20_000, "the log grew with the junk"
            assert "JUNK" not in text and "MIIEvQIBADAN" not in text and "Traceback" not in text
            assert "refused a request: body of 209715200 bytes is over the limit" in text
        finally:
            stop(proc)
