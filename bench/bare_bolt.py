"""The floor for the ack benchmark: a Bolt app that only acks, served like the bot.

``gunicorn 'bare_bolt:create()'`` with the Procfile's settings; same signing secret,
same Bolt options as bot/slack/app.py, and a listener that does nothing but ``ack()``.
"""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create() -> SlackRequestHandler:
    # The bot's Slack URL too: Bolt's single-team authorization calls auth.test on the first request.
    api = os.environ.get("SLACK_API_URL")
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], **({"base_url": api.rstrip("/") + "/"} if api else {}))
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"], token_verification_enabled=False,
              raise_error_for_unhandled_request=False)

    @app.command("/aprity-diagnose")
    def on_command(ack: Ack) -> None:
        ack(text="Checking…")

    return SlackRequestHandler(app, path="/slack/events")
