"""aprity's key from the environment (APRITY_PRIVATE_KEY: PEM text or its base64), as well as from a file:
never both, a bad value is one start-up line that quotes nothing of it, and the bot signs with it."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bot.runtime import EngineSettings, SettingsError
from bot.settings import Settings
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import BotHarness, all_text, bot_env, toml_for
from secret_checks import key_fragments
from slack_stub import SlackStub


def _pem(world) -> str:
    return Path(world.key_file).read_text()


@pytest.mark.parametrize("form", ["pem", "base64-pem", "base64-der"])
def test_the_key_itself_is_read_from_the_environment(world, form) -> None:
    pem = _pem(world)
    der = keys.read_private_key(world.key_file).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    value = {"pem": pem, "base64-pem": base64.b64encode(pem.encode()).decode(),
             "base64-der": base64.b64encode(der).decode()}[form]
    settings = EngineSettings.from_env({"APRITY_PRIVATE_KEY": value})
    assert settings.key_from_env and settings.private_key_file
    loaded = keys.read_private_key(settings.private_key_file)
    assert keys.public_key_fingerprint(loaded) == keys.public_key_fingerprint(keys.read_private_key(world.key_file))
    if hasattr(os, "memfd_create"):  # Linux: the key is in memory only, not on any disk
        assert settings.private_key_file.startswith("/proc/self/fd/")


def test_key_and_key_file_together_are_refused(world) -> None:
    with pytest.raises(SettingsError, match="set APRITY_PRIVATE_KEY or APRITY_PRIVATE_KEY_FILE, not both"):
        EngineSettings.from_env({"APRITY_PRIVATE_KEY": _pem(world), "APRITY_PRIVATE_KEY_FILE": str(world.key_file)})


@pytest.mark.parametrize("mangle", ["escaped", "one-line", "garbage", "cut"])
def test_an_unusable_key_is_one_line_quoting_nothing_of_it(world, mangle) -> None:
    pem = _pem(world)
    value = {"escaped": pem.replace("\n", "\\n"), "one-line": pem.replace("\n", " "),
             "garbage": "not a key at all, only some words here", "cut": pem[: len(pem) // 2]}[mangle]
    with pytest.raises(SettingsError) as raised:
        EngineSettings.from_env({"APRITY_PRIVATE_KEY": value})
    message = str(raised.value)
    assert message.startswith("APRITY_PRIVATE_KEY") and "\n" not in message
    assert not any(fragment in message for fragment in key_fragments(world.key_file) if len(fragment) > 8)
    assert value[-20:] not in message


def test_the_bot_starts_with_an_unusable_key_never(world, tmp_path) -> None:
    """The start-up line names every problem, the key's among them, and stops (exit 2)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APRITY_", "SLACK_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s", APRITY_SUPPORT_CHANNEL="C0SUPPORT",
               APRITY_PRIVATE_KEY=_pem(world).replace("\n", "\\n"), APRITY_DB=str(tmp_path / "bot.db"))
    result = subprocess.run([sys.executable, "-m", "bot", "http", "--port", "0"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("aprity-diagnose: APRITY_PRIVATE_KEY: ") and result.stderr.count("\n") == 1
    assert not any(f in result.stderr for f in key_fragments(world.key_file) if len(f) > 8)


def test_a_slack_diagnosis_signs_with_the_environment_key(world, sim_server, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    conn = by_name("healthy").build(world)
    conn = conn.__class__(**{**conn.__dict__, "private_key_file": None})  # the default key: the environment's
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": conn}))
    with SlackStub() as stub:
        env = bot_env(tmp_path, stub, sim_server.url, world.key_file)
        del env["APRITY_PRIVATE_KEY_FILE"]
        env["APRITY_PRIVATE_KEY"] = base64.b64encode(_pem(world).encode()).decode()
        assert Settings.from_env(env).engine.key_from_env
        h = BotHarness.start(env, stub)
        try:
            h.slash("healthy")
            h.wait_idle()
            sess = h.only_session()
            assert sess["status"] == "ok", h.thread_text(sess)
            sent = "\n".join(all_text(c.args) for c in stub.calls())
        finally:
            h.close()
    stored = (tmp_path / "bot.db").read_bytes()
    for fragment in key_fragments(world.key_file):
        assert fragment not in sent and fragment not in caplog.text and fragment.encode() not in stored
        assert env["APRITY_PRIVATE_KEY"][20:60] not in sent + caplog.text
