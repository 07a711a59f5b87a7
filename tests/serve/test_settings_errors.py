"""Start-up settings: every problem at once, in one line."""

from __future__ import annotations

import pytest

from bot.runtime import SettingsError
from bot.settings import Settings


def test_all_missing_and_invalid_settings_in_one_line() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxp-user-token", "APRITY_MAX_RUNS": "0", "APRITY_SHUTDOWN_GRACE": "soon",
           "APRITY_RETEST_DELAYS": "300,120"}
    with pytest.raises(SettingsError) as exc:
        Settings.from_env(env, mode="http")
    line = str(exc.value)
    assert "\n" not in line
    assert line.startswith("missing SLACK_SIGNING_SECRET (") and "APRITY_SUPPORT_CHANNEL (" in line
    for problem in ("SLACK_BOT_TOKEN must be a bot token", "APRITY_MAX_RUNS must be a positive whole number",
                    "APRITY_SHUTDOWN_GRACE must be seconds", "APRITY_RETEST_DELAYS must be positive seconds"):
        assert problem in line


def test_shutdown_grace_is_read() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "APRITY_SUPPORT_CHANNEL": "C0123ABCD"}
    assert Settings.from_env(env).shutdown_grace == 20.0
    assert Settings.from_env({**env, "APRITY_SHUTDOWN_GRACE": "5"}).shutdown_grace == 5.0
    with pytest.raises(SettingsError, match="zero or more"):
        Settings.from_env({**env, "APRITY_SHUTDOWN_GRACE": "-1"})
