"""The bot end to end: real Bolt app behind a real WSGI server, signed requests in,
a local Slack Web API stand-in out, and the Salesforce simulator behind the engine."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.slack.app import Bot, build
from bot.serve.runners import wsgi_app
from bot.settings import Settings
from checks.connections import Connection

from slack_stub import SlackStub

SIGNING_SECRET = "test-signing-secret"
CHANNEL = "C0SUPPORTQ"  # where customers' checks run
SUPPORT = "C0ESCALATE"
USER = "U0REQUESTER"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: wsgiref's 5 resets connections when 30 commands arrive at once


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def toml_for(connections: dict[str, Connection]) -> str:
    lines = []
    for name, c in connections.items():
        lines.append(f"[connections.{json.dumps(name)}]")
        lines.append(f"username = {json.dumps(c.username)}")
        lines.append(f"login_url = {json.dumps(c.login_url)}")
        lines.append(f"consumer_key = {json.dumps(c.consumer_key)}")
        if c.private_key_file:
            lines.append(f"private_key_file = {json.dumps(str(c.private_key_file))}")
        if c.certificate_file:
            lines.append(f"certificate_file = {json.dumps(str(c.certificate_file))}")
        if c.connected_app:
            lines.append(f"connected_app = {json.dumps(c.connected_app)}")
        if c.channels:
            lines.append(f"channels = {json.dumps(list(c.channels))}")
        if c.app_type != "unknown":
            lines.append(f"app_type = {json.dumps(c.app_type)}")
        lines.append("")
    return "\n".join(lines)


def bot_env(tmp: Path, stub: SlackStub, sim_url: str, key_file: Path, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": stub.url,
        "APRITY_DB": str(tmp / "bot.db"),
        "APRITY_SUPPORT_CHANNEL": SUPPORT,
        "APRITY_CONNECTIONS": str(tmp / "connections.toml"),
        "APRITY_PRIVATE_KEY_FILE": str(key_file),
        "APRITY_SALESFORCE_SIMULATOR": sim_url,
        "APRITY_RETEST_DELAYS": "600",
        "APRITY_POST_INTERVAL": "0",
        "APRITY_STAFF_CHANNELS": CHANNEL,  # the harness's channel is a staff channel unless a test says otherwise
    }
    env.update(extra)
    return env


def sign(body: str, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    sig = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    return {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
            "x-slack-signature": sig}


@dataclass
class BotHarness:
    bot: Bot
    stub: SlackStub
    url: str
    _server: _Server
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    _triggers: int = 0

    @classmethod
    def start(cls, env: dict[str, str], stub: SlackStub, **build_kwargs: Any) -> "BotHarness":
        settings = Settings.from_env(env, mode="http")
        bot = build(settings, **build_kwargs)
        app = wsgi_app(bot, settings.signing_secret or "")
        server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
        # close() waits for the loop to notice: at the default 0.5 s poll that was half a second per test.
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return cls(bot, stub, f"http://127.0.0.1:{server.server_port}/slack/events", server)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.bot.shutdown()
        self._http.close()

    def post(self, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self._http.post(self.url, content=body, headers=headers or sign(body))

    def slash(self, text: str, *, user: str = USER, channel: str = CHANNEL) -> httpx.Response:
        self._triggers += 1
        body = urlencode({
            "token": "legacy", "team_id": "T0EXAMPLE", "team_domain": "example", "channel_id": channel,
            "channel_name": "support", "user_id": user, "user_name": "requester", "command": "/aprity-diagnose",
            "text": text, "api_app_id": "A0APRITY", "is_enterprise_install": "false",
            "response_url": self.stub.response_url(f"cmd{self._triggers}"),
            "trigger_id": f"trigger.{self._triggers}",
        })
        return self.post(body)

    def click(self, action_id: str, session_id: str, *, user: str = USER, channel: str = CHANNEL,
              message_ts: str = "") -> httpx.Response:
        self._triggers += 1
        payload = {
            "type": "block_actions", "user": {"id": user, "username": "u", "team_id": "T0EXAMPLE"},
            "api_app_id": "A0APRITY", "team": {"id": "T0EXAMPLE", "domain": "example"},
            "channel": {"id": channel, "name": "support"},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "message": {"ts": message_ts, "type": "message", "text": "", "blocks": []},
            "trigger_id": f"trigger.{self._triggers}",
            "response_url": self.stub.response_url(f"act{self._triggers}"),
            "actions": [{"action_id": action_id, "block_id": "b", "value": session_id, "type": "button",
                         "action_ts": str(time.time())}],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def submit_view(self, callback_id: str, values: dict, private_metadata: str, *, user: str = USER) -> httpx.Response:
        payload = {
            "type": "view_submission", "team": {"id": "T0EXAMPLE", "domain": "example"},
            "user": {"id": user, "username": "u", "team_id": "T0EXAMPLE"}, "api_app_id": "A0APRITY",
            "trigger_id": "trigger.view",
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}, "hash": "h"},
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Until no run is queued or running on either lane (people's and background)."""
        deadline = time.monotonic() + timeout
        lanes = [self.bot.executor] + ([self.bot.background] if self.bot.background else [])
        while any(lane.in_flight for lane in lanes):
            if time.monotonic() > deadline:
                raise AssertionError("runs still in flight")
            time.sleep(0.02)

    def sessions(self) -> list[dict]:
        return self.bot.store.recent_sessions(100)

    def only_session(self) -> dict:
        rows = self.sessions()
        assert len(rows) == 1, rows
        return self.bot.store.session(rows[0]["id"])

    def parent(self, sess: dict) -> dict:
        msg = self.stub.message(sess["channel"], sess["thread_ts"])
        assert msg is not None
        return msg

    def thread_text(self, sess: dict) -> str:
        return "\n".join(all_text(m) for m in self.stub.thread(sess["channel"], sess["thread_ts"]))


def all_text(obj: Any) -> str:
    """Every string inside a message (fallback text and blocks), joined."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return "\n".join(all_text(v) for v in obj.values())
    if isinstance(obj, list):
        return "\n".join(all_text(v) for v in obj)
    return ""


def slash_at(port: int, stub: SlackStub, text: str, n: int) -> httpx.Response:
    """A signed /aprity-diagnose from USER in CHANNEL to a bot process on ``port`` (its n-th command).

    Slack waits 3 s for the ack, but a loaded machine may start a fresh process slower than that: where
    the 3 s matter (slow clients around), a test checks the ack came before the server cut them."""
    body = urlencode({"command": "/aprity-diagnose", "text": text, "user_id": USER, "channel_id": CHANNEL,
                      "team_id": "T0EXAMPLE", "trigger_id": f"t.{n}", "response_url": stub.response_url(f"k{n}")})
    return httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=sign(body), timeout=10)


def home_opened(h: BotHarness, user: str) -> None:
    """A signed ``app_home_opened`` event from ``user``, acked."""
    body = json.dumps({
        "token": "legacy", "team_id": "T0EXAMPLE", "api_app_id": "A0APRITY", "type": "event_callback",
        "event_id": f"Ev{user}{time.monotonic_ns()}", "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOMEDM", "tab": "home",
                  "event_ts": f"{time.time():.6f}"},
    })
    ts = str(int(time.time()))
    headers = {"content-type": "application/json", "x-slack-request-timestamp": ts,
               "x-slack-signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)}
    assert h.post(body, headers).status_code == 200


def open_home(h: BotHarness, user: str) -> dict:
    """The view the bot publishes when ``user`` opens its Home tab."""
    before = len(h.stub.accepted("views.publish"))
    home_opened(h, user)
    calls = h.stub.wait_for("views.publish", before + 1)
    published = calls[-1]
    assert published.args["user_id"] == user
    view = published.args["view"]
    return json.loads(view) if isinstance(view, str) else view
