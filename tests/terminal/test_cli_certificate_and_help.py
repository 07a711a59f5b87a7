"""The CLI: `certificate` needs only a key, help lists exit codes and settings, explain labels."""

from __future__ import annotations

import json

import pytest

from bot.terminal.cli import build_parser, main
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import toml_for


@pytest.fixture
def env(tmp_path, world, sim_server, monkeypatch):
    conns = {n: by_name(n).build(world) for n in ("healthy", "sandbox-on-login")}
    path = tmp_path / "connections.toml"
    path.write_text(toml_for(conns))
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", sim_server.url)
    monkeypatch.delenv("APRITY_PRIVATE_KEY_FILE", raising=False)
    return path


def test_certificate_needs_only_a_key(world, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("APRITY_CONNECTIONS", raising=False)
    target = tmp_path / "only-key.crt"
    assert main(["certificate", "--private-key", str(world.key_file), "-o", str(target)]) == 0
    cert = keys.read_certificate(target)
    assert keys.public_key_matches(world.good_key, cert)
    assert keys.fingerprint_sha256(cert) in capsys.readouterr().err


def test_certificate_refuses_to_overwrite_without_force(world, tmp_path, capsys) -> None:
    target = tmp_path / "exists.crt"
    target.write_text("keep me")
    assert main(["certificate", "--private-key", str(world.key_file), "-o", str(target)]) == 2
    assert "--force" in capsys.readouterr().err and target.read_text() == "keep me"
    assert main(["certificate", "--private-key", str(world.key_file), "-o", str(target), "--force"]) == 0
    assert keys.public_key_matches(world.good_key, keys.read_certificate(target))


def test_certificate_has_no_certificate_flag(world, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["certificate", "--private-key", str(world.key_file), "--certificate", "x.crt"])
    assert exc.value.code == 2


@pytest.mark.parametrize("command", ["certificate", "check"])
def test_missing_key_file_exits_2(env, tmp_path, capsys, command) -> None:
    missing = str(tmp_path / "nowhere.key")
    args = [command, "--connection", "healthy", "--private-key", missing]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "nowhere.key" in err and "\n" not in err and "Traceback" not in err


def test_every_flag_has_help_and_help_lists_exit_codes_and_settings(capsys) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for needle in ("exit codes", "0 ", "1 ", "2 ", "APRITY_CONNECTIONS", "APRITY_PRIVATE_KEY_FILE",
                   "APRITY_SALESFORCE_SIMULATOR", "APRITY_EXTRA_LOGIN_HOSTS"):
        assert needle in out, needle


def test_check_json_carries_org_environment(env, capsys) -> None:
    assert main(["check", "--connection", "sandbox-on-login", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["org_environment"] == "sandbox" and out["connection"]["environment"] == "production"
    assert main(["check", "--connection", "healthy", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["org_environment"] == "production"


def test_check_text_names_both_environments(env, capsys) -> None:
    assert main(["check", "--connection", "sandbox-on-login"]) == 1
    out = capsys.readouterr().out
    assert "login URL: production — the user logs in at test.salesforce.com: sandbox" in out


@pytest.mark.parametrize("text,label,absent", [
    ("Error: error:0909006C:PEM routines:get_name:no start line", "Local error", "Salesforce said"),
    ("HTTP/1.1 503 Service Unavailable\n\n<!DOCTYPE html><html><head><title>Down for maintenance</title>"
     "</head></html>", "Salesforce is unavailable", "proxy"),
])
def test_explain_labels_who_said_it(capsys, text, label, absent) -> None:
    main(["explain", text])
    out = capsys.readouterr().out
    assert label in out and absent not in out, out
