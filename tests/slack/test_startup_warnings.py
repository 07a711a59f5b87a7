"""Start-up warnings an operator needs: a support channel that is not a staff channel is named in the log."""

from __future__ import annotations

import logging

from bot.settings import Settings
from bot.slack.app import log_access


def _settings(tmp_path, **extra: str) -> Settings:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "APRITY_SUPPORT_CHANNEL": "C0SUPPORT",
           "APRITY_DB": str(tmp_path / "bot.db"), "APRITY_CONNECTIONS": str(tmp_path / "none.toml"), **extra}
    return Settings.from_env(env)


def test_a_support_channel_outside_the_staff_channels_is_warned_about(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.slack.app"):
        log_access(_settings(tmp_path, APRITY_STAFF_CHANNELS="C0STAFF"))
    warned = [r.getMessage() for r in caplog.records if "APRITY_SUPPORT_CHANNEL" in r.getMessage()]
    assert len(warned) == 1 and "C0SUPPORT" in warned[0] and "not a staff channel" in warned[0]


def test_a_support_channel_among_the_staff_channels_is_not(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.slack.app"):
        log_access(_settings(tmp_path, APRITY_STAFF_CHANNELS="C0STAFF,C0SUPPORT"))
    assert not [r for r in caplog.records if "APRITY_SUPPORT_CHANNEL" in r.getMessage()]
