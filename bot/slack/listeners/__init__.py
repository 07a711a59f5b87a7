"""Slack listeners: thin — ask the access policy, parse, ack, hand off to the session service."""

from __future__ import annotations

from slack_bolt import App

from bot.sessions.service import SessionService
from bot.slack.listeners import actions, commands, views
from bot.slack.listeners.gate import Gate


def register(app: App, service: SessionService, gate: Gate) -> None:
    commands.register(app, service, gate)
    actions.register(app, service, gate)
    views.register(app, service, gate)
