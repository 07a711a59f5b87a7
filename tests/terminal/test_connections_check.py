"""``aprity-diagnose connections check``: the connections file as deployed, one line per problem, exit 0 or 1."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.crypto import keys
from secret_checks import key_fragments


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APRITY_", "SLACK_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def material(tmp_path_factory) -> Path:
    """A good key with its certificate, a second key, and a certificate of the second key."""
    folder = tmp_path_factory.mktemp("keys")
    good, other = keys.generate_private_key(), keys.generate_private_key()
    (folder / "good.key").write_bytes(keys.private_key_pem(good))
    (folder / "good.crt").write_bytes(keys.self_signed_certificate(good, "aprity", days=30))
    (folder / "other.crt").write_bytes(keys.self_signed_certificate(other, "aprity", days=30))
    (folder / "wrapped.key").write_bytes(base64.b64encode(keys.private_key_pem(good)))
    return folder


def _entry(name: str, **fields: object) -> str:
    values = {"username": "integration@acme.com", "login_url": "https://login.salesforce.com",
              "consumer_key": "3MVG9exampleConsumerKey", **fields}
    body = "\n".join(f"{k} = {str(v).lower() if isinstance(v, bool) else _toml(v)}" for k, v in values.items())
    return f"[connections.{name}]\n{body}\n"


def _toml(value: object) -> str:
    return json.dumps(value)


def test_a_good_file_passes_with_exit_0(material, tmp_path) -> None:
    (tmp_path / "connections.toml").write_text(
        _entry("acme", private_key_file=str(material / "good.key"), certificate_file=str(material / "good.crt"),
               channels=["C0ACME"], watch=True)
        + _entry("globex", username="i@globex.com", channels=["G0GLOBEX"]))
    result = _cli({"APRITY_CONNECTIONS": str(tmp_path / "connections.toml"),
                   "APRITY_PRIVATE_KEY_FILE": str(material / "good.key"),
                   "APRITY_SUPPORT_CHANNEL": "C0STAFF", "APRITY_STAFF_CHANNELS": "C0STAFF"}, tmp_path,
                  "connections", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("2 connection(s), no problem found")


def test_every_problem_is_one_line_and_exit_1(material, tmp_path) -> None:
    (tmp_path / "connections.toml").write_text(
        _entry("wrong-cert", private_key_file=str(material / "good.key"), certificate_file=str(material / "other.crt"))
        + _entry("no-key-file", private_key_file=str(tmp_path / "missing.key"))
        + _entry("wrapped", private_key_file=str(material / "wrapped.key"))
        + _entry("lightning", login_url="https://acme.lightning.force.com", private_key_file=str(material / "good.key"))
        + _entry("evil", login_url="https://login.salesforce.com.evil.example", private_key_file=str(material / "good.key"))
        + _entry("bad-channel", channels=["#support"], private_key_file=str(material / "good.key"))
        + _entry("watched", private_key_file=str(material / "good.key"), watch=True)
        # the same connection spelled another way (case, default port, trailing slash)
        + _entry("watched-twice", private_key_file=str(material / "good.key"), watch=True, channels=["C0ALERTS"],
                 username="Integration@ACME.com", login_url="https://login.salesforce.com:443/"))
    result = _cli({"APRITY_CONNECTIONS": str(tmp_path / "connections.toml"),
                   "APRITY_SUPPORT_CHANNEL": "C0ALERTS", "APRITY_STAFF_CHANNELS": "C0STAFF"}, tmp_path,
                  "connections", "check")
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1 and result.stderr == ""
    assert "was not made from" in next(l for l in lines if l.startswith("wrong-cert:"))
    assert "No private key file at" in next(l for l in lines if l.startswith("no-key-file:"))
    assert "base64-encoded once more" in next(l for l in lines if l.startswith("wrapped:"))
    assert "My Domain" in next(l for l in lines if l.startswith("lightning:"))
    assert next(l for l in lines if l.startswith("evil:"))
    assert "channels must hold channel ids" in next(l for l in lines if "bad-channel" in l)
    assert "alert channel C0ALERTS" in next(l for l in lines if l.startswith("watched:"))
    assert "same connection as watched" in next(l for l in lines if l.startswith("watched-twice:"))
    assert len(lines) == 8, lines  # one per entry: watched-twice may show in C0ALERTS, so only its duplicate


def test_key_from_the_environment_is_named_not_shown(material, tmp_path) -> None:
    pem_text = (material / "good.key").read_text()
    (tmp_path / "connections.toml").write_text(_entry("acme", certificate_file=str(material / "other.crt")))
    result = _cli({"APRITY_CONNECTIONS": str(tmp_path / "connections.toml"), "APRITY_PRIVATE_KEY": pem_text},
                  tmp_path, "connections", "check")
    assert result.returncode == 1
    assert result.stdout.strip() == ("acme: certificate " + str(material / "other.crt") + " was not made from "
                                     "APRITY_PRIVATE_KEY (make one that is: aprity-diagnose certificate --connection acme)")
    assert not any(f in result.stdout + result.stderr for f in key_fragments(material / "good.key"))


def test_an_unreadable_file_is_one_line(tmp_path) -> None:
    (tmp_path / "connections.toml").write_text("[connections.acme\n")
    result = _cli({"APRITY_CONNECTIONS": str(tmp_path / "connections.toml")}, tmp_path, "connections", "check")
    assert result.returncode == 1 and len(result.stdout.strip().splitlines()) == 1
    assert "is not valid TOML" in result.stdout
