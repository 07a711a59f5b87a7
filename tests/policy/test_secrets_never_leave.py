"""No private key, access token or consumer secret in CLI output, logs, Slack or SQLite."""

from __future__ import annotations

import json
import re
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.terminal.cli import main
from bot.ids import ActionId
from checks.scenarios import SCENARIOS

from bot_harness import BotHarness, bot_env, toml_for
from secret_checks import _CERT, assert_clean, issued_tokens, key_fragments  # noqa: F401
from slack_stub import SlackStub


@pytest.fixture
def connections_file(tmp_path, world) -> Path:
    path = tmp_path / "connections.toml"
    path.write_text(toml_for({s.name: s.build(world) for s in SCENARIOS if not s.clock_offset}))
    return path


def test_cli_output_and_logs_hold_no_secret(world, sim_server, connections_file, monkeypatch, capsys,
                                            caplog) -> None:
    monkeypatch.setenv("APRITY_CONNECTIONS", str(connections_file))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", sim_server.url)
    caplog.set_level(logging.DEBUG)
    outputs = []
    for scenario in SCENARIOS:
        if scenario.clock_offset:
            continue
        for extra in ([], ["--json"], ["--verbose"]):
            code = main(["check", "--connection", scenario.name, *extra])
            assert code in (0, 1)
            out = capsys.readouterr()
            outputs.append(out.out + out.err)
    assert issued_tokens(world), "no token was issued: the test would prove nothing"
    blob = "\n".join(outputs) + "\n" + "\n".join(r.getMessage() for r in caplog.records)
    assert_clean(blob, key_fragments(world.key_file) + issued_tokens(world))


def test_explain_never_echoes_a_pasted_key_or_token(world, capsys) -> None:
    pem = world.key_file.read_text()
    token = "00D5g000004abcD!AQ4AQ" + "Zy9" * 20
    pasted = f'{{"error":"invalid_grant","error_description":"invalid assertion"}}\n{pem}\nsession {token}'
    for extra in ([], ["--json"]):
        main(["explain", *extra, pasted])
        out = capsys.readouterr()
        assert_clean(out.out + out.err, key_fragments(world.key_file) + [token[16:]])


def test_consumer_secret_in_config_is_refused_without_echo(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[connections.x]\nusername = "a@b.com"\nlogin_url = "https://login.salesforce.com"\n'
                    'consumer_key = "3MVG9abc"\nconsumer_secret = "TOPSECRET1234567890"\n')
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    assert main(["check", "--connection", "x"]) == 2
    out = capsys.readouterr()
    assert "consumer_secret" in out.err and "TOPSECRET" not in out.out + out.err


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


def test_slack_and_sqlite_hold_no_secret(tmp_path, stub, world, sim_server, caplog) -> None:
    conns = {s.name: s.build(world) for s in SCENARIOS if not s.clock_offset}
    from watch_helpers import watched_toml  # every connection watched: the watch tables are written too

    (tmp_path / "connections.toml").write_text(watched_toml(conns, set(conns)))
    caplog.set_level(logging.DEBUG)
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
    try:
        for name in conns:
            h.slash(name)
        h.wait_idle(60)
        for sess in h.sessions():
            h.click(ActionId.ESCALATE, sess["id"])
            h.click(ActionId.RETEST, sess["id"])
        h.wait_idle(60)
        checked = [h.bot.watcher.check(name) for name in conns]  # the watcher's own checks, as scheduled
        assert any(c.startswith(("working", "failing")) for c in checked), checked
        h.wait_idle(60)
    finally:
        h.close()
    secrets = key_fragments(world.key_file) + issued_tokens(world)
    sent = json.dumps([c.args for c in stub.calls()])
    assert len(stub.accepted("chat.postMessage")) > 2 * len(conns)
    # Uploaded certificates carry the key's public modulus, which a base64 line of the private key
    # can share: check they are certificates only, then leave them out of the fragment search.
    assert all("PRIVATE" not in c for c in _CERT.findall(sent))
    assert_clean(_CERT.sub("[certificate]", sent), secrets)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.db*")).decode("latin-1")
    assert "integration@globex.com" in raw, "the database was not written: the test would prove nothing"
    assert_clean(raw, secrets)
    assert_clean("\n".join(r.getMessage() for r in caplog.records), secrets)


SECRET = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"  # the shape of a consumer secret


def test_consumer_secret_pasted_as_key_is_refused_everywhere(tmp_path, monkeypatch, capsys, world) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[connections.x]\nusername = "a@b.com"\nlogin_url = "https://login.salesforce.com"\n'
                    f'consumer_key = "{SECRET}"\n')
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    assert main(["check", "--connection", "x"]) == 2
    assert main(["check", "--username", "a@b.com", "--login-url", "https://login.salesforce.com",
                 "--consumer-key", SECRET, "--private-key", str(world.key_file), "--json"]) == 2
    out = capsys.readouterr()
    assert "looks like a consumer secret" in out.err and SECRET not in out.out + out.err


def test_slack_refuses_a_secret_as_consumer_key_without_echo(tmp_path, stub, world, sim_server) -> None:
    (tmp_path / "connections.toml").write_text("")
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
    try:
        r = h.slash(f"username=a@b.com consumer_key={SECRET} login_url=https://login.salesforce.com")
    finally:
        h.close()
    assert "looks like a consumer secret" in r.text and SECRET not in r.text
    assert stub.calls("chat.postMessage") == [] and h.sessions() == []


def test_missing_private_key_is_a_usage_error(monkeypatch, capsys) -> None:
    monkeypatch.delenv("APRITY_PRIVATE_KEY_FILE", raising=False)
    assert main(["check", "--username", "a@b.com", "--login-url", "https://login.salesforce.com",
                 "--consumer-key", "3MVG9abc"]) == 2
    assert "no private key" in capsys.readouterr().err


def test_slack_explain_does_not_repeat_a_pasted_key(tmp_path, stub, world, sim_server) -> None:
    (tmp_path / "connections.toml").write_text("")
    h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
    try:
        pem = world.key_file.read_text()
        h.slash(f'explain {{"error":"invalid_grant","error_description":"invalid assertion"}} {pem}')
        answer = stub.wait_for("webhook")[0].args
    finally:
        h.close()
    text = json.dumps(answer)
    assert_clean(text, key_fragments(world.key_file))
    assert "private key" in text.lower()  # the warning: delete the message and rotate the key
