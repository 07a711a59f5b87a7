"""Slack listeners: thin — parse, ack, hand off to the session service."""

from __future__ import annotations

from slack_bolt import App

from ..sessions import SessionService
from ..settings import Settings
from . import actions, commands, views


def register(app: App, service: SessionService, settings: Settings) -> None:
    commands.register(app, service, settings)
    actions.register(app, service)
    views.register(app, service, settings)
