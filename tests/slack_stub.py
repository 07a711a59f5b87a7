"""The Slack Web API stand-in now lives in the package (the playground serves it too).

Tests keep importing it from here; there is one copy, :mod:`bot.playground.slack_stub`.
"""

from bot.playground.slack_stub import BOT_ID, BOT_USER_ID, TEAM_ID, ApiError, Call, SlackStub, check_blocks

__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "ApiError", "Call", "SlackStub", "check_blocks"]
