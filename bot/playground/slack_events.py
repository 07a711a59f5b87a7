"""Slack's half of the conversation: what a person does, sent to the bot as Slack sends it.

Slash commands, button clicks and modal submissions become the form-encoded,
signed POSTs Slack makes to the app's request URL (``v0`` HMAC-SHA256 of
``v0:timestamp:body`` with the signing secret), over real HTTP. The bot's HTTP
answer (the ``ack``) is then shown the way Slack shows it: a slash command's
answer to the person who typed it, a modal's ``errors`` under its fields.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.playground.slack_methods import TEAM_ID
from bot.playground.slack_stub import SlackStub

COMMAND = "/aprity-diagnose"
APP_ID = "A0APRITY"


def signature_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds to every request it sends to an app."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Person:
    id: str
    name: str


class SlackSide:
    """Sends people's actions to the bot at ``bot_url`` and shows its answers through ``stub``."""

    def __init__(self, stub: SlackStub, bot_url: str, signing_secret: str, channel_names: dict[str, str],
                 team_domain: str) -> None:
        self.stub = stub
        self.bot_url = bot_url
        self._secret = signing_secret
        self._channel_names = channel_names
        self._domain = team_domain
        self._seq = itertools.count(1)
        # Loopback only: a configured HTTP(S)_PROXY must never see the playground's own requests.
        self._http = httpx.Client(timeout=10, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def _post(self, fields: dict[str, str]) -> httpx.Response:
        body = urlencode(fields)
        return self._http.post(self.bot_url, content=body, headers=signature_headers(self._secret, body))

    def _trigger(self) -> str:
        return f"{next(self._seq)}.{secrets.token_hex(6)}"

    def _base(self, who: Person) -> dict[str, Any]:
        return {"user": {"id": who.id, "username": who.name, "name": who.name, "team_id": TEAM_ID},
                "api_app_id": APP_ID, "team": {"id": TEAM_ID, "domain": self._domain},
                "is_enterprise_install": False, "token": "legacy-verification-token"}

    # ---- the three things a person does -----------------------------------------------

    def slash(self, who: Person, channel: str, text: str) -> dict[str, Any]:
        """Type ``/aprity-diagnose text`` in ``channel``; the ack's message goes to ``who`` only."""
        trigger = self._trigger()
        typed_at = self.stub.new_ts()  # Slack shows the command's answer where it was typed, above what follows
        hook = self.stub.response_url(f"cmd{trigger}", channel=channel, user=who.id)
        response = self._post({
            "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": self._domain,
            "channel_id": channel, "channel_name": self._channel_names.get(channel, "channel"),
            "user_id": who.id, "user_name": who.name, "command": COMMAND, "text": text,
            "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": hook, "trigger_id": trigger,
        })
        return self._show_ack(response, who, channel, typed_at)

    def click(self, who: Person, channel: str, message_ts: str, action: dict[str, Any],
              block_id: str, thread_ts: str | None = None, *, ephemeral: bool = False) -> dict[str, Any]:
        """Press a button of a message; Slack sends the whole message along, as it does (not an ephemeral one)."""
        message = self.stub.message(channel, message_ts) or {"ts": message_ts, "type": "message"}
        trigger = self._trigger()
        hook = self.stub.response_url(f"act{trigger}", channel=channel, user=who.id, message_ts=message_ts)
        container: dict[str, Any] = {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                     "is_ephemeral": ephemeral}
        if thread_ts:
            container["thread_ts"] = thread_ts
        pressed = {"type": action.get("type", "button"), "action_id": action.get("action_id", ""),
                   "block_id": block_id, "text": action.get("text"), "value": action.get("value", ""),
                   "action_ts": f"{time.time():.6f}"}
        if action.get("style"):
            pressed["style"] = action["style"]
        payload = {**self._base(who), "type": "block_actions", "trigger_id": trigger,
                   "container": container, "channel": {"id": channel, "name": self._channel_names.get(channel, "")},
                   "state": {"values": {}}, "response_url": hook, "actions": [pressed]}
        if not ephemeral:
            payload["message"] = message
        response = self._post({"payload": json.dumps(payload)})
        return {"status": response.status_code}

    def home_opened(self, who: Person) -> dict[str, Any]:
        """Open the app's Home tab: Slack sends ``app_home_opened`` as a signed JSON event; the bot publishes."""
        body = json.dumps({
            "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID,
            "type": "event_callback", "event_id": f"Ev{next(self._seq):06d}{secrets.token_hex(4).upper()}",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": who.id, "channel": "D0PLAYHOME", "tab": "home",
                      "event_ts": f"{time.time():.6f}"}})
        headers = {**signature_headers(self._secret, body), "Content-Type": "application/json"}
        return {"status": self._http.post(self.bot_url, content=body, headers=headers).status_code}

    def submit(self, who: Person, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Submit an open modal; ``errors`` keep it open, anything else closes it."""
        view = next((v for v in self.stub.views() if v["id"] == view_id), None)
        if view is None or view.get("closed"):
            return {"status": 404, "errors": {}}
        view = {**view, "state": {"values": values}}
        payload = {**self._base(who), "type": "view_submission", "trigger_id": self._trigger(), "view": view,
                   "response_urls": []}
        response = self._post({"payload": json.dumps(payload)})
        answer = _json(response)
        errors = answer.get("errors") if answer.get("response_action") == "errors" else None
        if response.status_code == 200 and not errors:
            self.stub.close_view(view_id)
        return {"status": response.status_code, "errors": errors or {}}

    def _show_ack(self, response: httpx.Response, who: Person, channel: str, typed_at: str) -> dict[str, Any]:
        answer = _json(response) if response.content else {}
        if not answer and response.content:
            answer = {"text": response.text}
        if response.status_code == 200 and (answer.get("text") or answer.get("blocks")):
            # Slack shows a command's immediate answer like a response_url post: to the person, unless in_channel.
            hook = self.stub.response_url(f"ack{self._trigger()}", channel=channel, user=who.id, ts=typed_at)
            self._http.post(hook, json=answer)
        return {"status": response.status_code}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
