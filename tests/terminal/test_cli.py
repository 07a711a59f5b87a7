"""The aprity-diagnose command line: exit codes, JSON shape, config errors, certificate, explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.terminal.cli import main
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import toml_for

STEP_KEYS = {"id", "title", "status", "finding", "fix"}


@pytest.fixture
def env(tmp_path, world, sim_server, monkeypatch) -> Path:
    conns = {n: by_name(n).build(world) for n in ("healthy", "cert-regenerated", "not-preauthorized")}
    path = tmp_path / "connections.toml"
    path.write_text(toml_for(conns))
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", sim_server.url)
    return path


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


def test_exit_codes_and_json_shape(env, capsys) -> None:
    code, ok = run_json(capsys, "check", "--connection", "healthy", "--json")
    assert code == 0 and ok["ok"] is True and ok["cause"] is None and ok["error"] is None
    assert set(ok) >= {"ok", "cause", "candidates", "error", "org", "connection", "steps", "duration_ms"}
    assert ok["org"]["id"].startswith("00D") and ok["org"]["is_sandbox"] is False
    assert set(ok["connection"]) == {"name", "username", "login_url", "consumer_key", "environment"}
    assert all(set(s) == STEP_KEYS for s in ok["steps"]) and len(ok["steps"]) == 10
    code, bad = run_json(capsys, "check", "--connection", "not-preauthorized", "--json")
    assert code == 1 and bad["cause"]["id"] == "user_not_preauthorized"
    assert set(bad["cause"]) == {"id", "confidence", "title"}
    assert bad["error"] == {"status": 400, "error": "invalid_grant",
                            "error_description": "user hasn't approved this consumer"}
    assert all(set(c) == {"id", "confidence"} for c in bad["candidates"])
    assert isinstance(bad["duration_ms"], int)


def test_human_output(env, capsys) -> None:
    assert main(["check", "--connection", "cert-regenerated"]) == 1
    out = capsys.readouterr().out
    assert "[✖] Certificate matches the private key" in out and "How to fix:" in out
    assert "Most likely: Certificate in the Salesforce app does not match the private key (confidence high)" in out


def test_ad_hoc_flags(env, world, capsys) -> None:
    c = by_name("healthy").build(world)
    code = main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url", c.login_url,
                 "--private-key", str(c.private_key_file)])
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["check", "--connection", "nope"], "unknown connection 'nope'"),
    (["check", "--username", "a@b.com"], "missing --consumer-key, --login-url"),
    (["check", "--connection", "healthy", "--username", "x"], "not both"),
])
def test_usage_errors_exit_2_with_one_line(env, capsys, args, message) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


@pytest.mark.parametrize("content,message", [
    (None, "connections file not found"),
    ("[connections.x\n", "not valid TOML"),
    ('[connections.x]\nusername = "a"\n', "missing login_url, consumer_key"),
    ("title = 1\n", "no [connections.NAME] tables"),
])
def test_bad_connections_file(tmp_path, monkeypatch, capsys, content, message) -> None:
    path = tmp_path / "c.toml"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    assert main(["check", "--connection", "x"]) == 2
    assert message in capsys.readouterr().err


def test_hostile_login_url_is_a_failing_diagnosis_not_a_call(env, world, capsys) -> None:
    before = len(world.sim.log)
    c = by_name("healthy").build(world)
    code = main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url",
                 "https://login.salesforce.com@evil.io", "--private-key", str(c.private_key_file), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["cause"]["id"] == "username_or_login_url" and len(world.sim.log) == before


@pytest.mark.parametrize("url", ["https://[::1", "https://login.salesforce.com]"])
def test_malformed_login_url_is_a_diagnosis_not_a_traceback(env, world, capsys, url) -> None:
    c = by_name("healthy").build(world)
    code = main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url", url,
                 "--private-key", str(c.private_key_file), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["cause"]["id"] == "username_or_login_url"
    assert out["connection"]["environment"] == "unknown"


def test_certificate_command_writes_the_fix(env, world, tmp_path, capsys) -> None:
    target = tmp_path / "new.crt"
    assert main(["certificate", "--connection", "cert-regenerated", "-o", str(target)]) == 0
    err = capsys.readouterr().err
    cert = keys.read_certificate(target)
    assert keys.public_key_matches(keys.read_private_key(world.key_file), cert)
    assert keys.fingerprint_sha256(cert) in err and "PRIVATE" not in target.read_text()


@pytest.mark.parametrize("extra,message", [
    (["--days", "-5"], "--days must be between"),
    (["--days", "3000000"], "--days must be between"),
    (["--common-name", ""], "cannot make the certificate"),
    (["-o", "/nonexistent-dir/acme.crt"], "cannot write /nonexistent-dir/acme.crt"),
])
def test_certificate_bad_arguments_exit_2_with_one_line(env, capsys, extra, message) -> None:
    assert main(["certificate", "--connection", "cert-regenerated", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_explain_text_json_and_stdin(capsys) -> None:
    assert main(["explain", "--json", '{"error":"invalid_grant","error_description":"audience is invalid"}']) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["candidates"][0] == {"id": "username_or_login_url", "confidence": "high"}
    assert data["error"]["error_description"] == "audience is invalid"
    proc = subprocess.run([sys.executable, "-m", "bot", "explain"], input="the scan just stopped working",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "No Salesforce login error found" in proc.stdout


def test_explain_dash_reads_stdin_text_and_json() -> None:
    proxy = "curl: (56) Received HTTP code 407 from proxy after CONNECT"
    for args in (["explain", "-"], ["explain", "--json", "-"]):
        proc = subprocess.run([sys.executable, "-m", "bot", *args], input=proxy, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        if "--json" in args:
            data = json.loads(proc.stdout)
            assert data["candidates"][0] == {"id": "proxy_auth_required", "confidence": "high"}
            assert set(data) == {"candidates", "error", "next_check"}
        else:
            assert "Most likely: The proxy in front of the client wants credentials" in proc.stdout


def test_explain_prints_the_next_check_for_an_undecided_reading(capsys) -> None:
    assert main(["explain", '{"error":"invalid_grant","error_description":"authentication failure"}']) == 0
    out = capsys.readouterr().out
    assert "Most likely: The client is not doing a JWT bearer login" in out and "(confidence medium)" in out
    assert "Next check: Does the client send grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer?" in out
    assert main(["explain", "org.mule.runtime.api.connection.ConnectionException: Unable to fetch the OAuth token"]) == 0
    assert "A wrapper hid Salesforce's answer: " in capsys.readouterr().out


def test_history_lists_sessions(tmp_path, monkeypatch, capsys) -> None:
    from bot.store.db import Store
    from checks.model import ConnectionSummary

    db = tmp_path / "h.db"
    Store(db).create_session(channel="C1", requester="U1", connection=ConnectionSummary(
        "acme", "integration@acme.com", "https://login.salesforce.com", "3MVG9x", "production"))
    monkeypatch.setenv("APRITY_DB", str(db))
    assert main(["history"]) == 0
    assert "integration@acme.com" in capsys.readouterr().out
    assert main(["history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["username"] == "integration@acme.com"
    monkeypatch.setenv("APRITY_DB", str(tmp_path / "missing.db"))
    assert main(["history"]) == 2


def test_bot_settings_errors_are_one_line(monkeypatch, capsys) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "APRITY_SUPPORT_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["socket"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aprity-diagnose: missing SLACK_BOT_TOKEN (")
    assert "SLACK_APP_TOKEN (" in err and "APRITY_SUPPORT_CHANNEL (" in err  # all of them, at once
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("APRITY_SUPPORT_CHANNEL", "C123")
    monkeypatch.setenv("APRITY_RETEST_DELAYS", "300,120")
    assert main(["http", "--port", "0"]) == 2
    assert "increasing order" in capsys.readouterr().err


def test_explain_without_error_code_prints_description_only(capsys) -> None:
    text = ("Error (JwtGrantError): We encountered a JSON web token error, which is likely not an issue with "
            "Salesforce CLI. Here’s the error: JwtAuthError::Error authenticating with JWT.\nErrors encountered:\n"
            "invalid assertion")
    main(["explain", text])
    out = capsys.readouterr().out
    assert "Salesforce said: invalid assertion" in out and ": : " not in out


def test_key_and_certificate_flags_override_the_connection_entry(env, world, tmp_path, capsys) -> None:
    """cert-regenerated's entry names the old certificate; --certificate points at the right one."""
    code, out = run_json(capsys, "check", "--connection", "cert-regenerated", "--certificate",
                         str(world.cert_file), "--json")
    cert_step = next(s for s in out["steps"] if s["id"] == "certificate")
    assert code == 1 and "not made from the private key" not in cert_step["finding"]
    assert out["cause"]["confidence"] != "high"  # no local mismatch any more: the app's copy is the suspect


def test_a_soap_fault_names_its_code_once() -> None:
    from bot.terminal.render import _code_and_text

    assert _code_and_text("INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS: use of the Metadata API requires …") == \
        "INSUFFICIENT_ACCESS: use of the Metadata API requires …"
    assert _code_and_text("invalid_grant", "user hasn't approved this consumer") == \
        "invalid_grant: user hasn't approved this consumer"
    assert _code_and_text(None, "audience is invalid") == "audience is invalid"
    assert _code_and_text("invalid_client", "") == "invalid_client"


def test_app_type_flag_json_and_links(tmp_path, world, sim_server, monkeypatch, capsys) -> None:
    conns = {"eca": by_name("eca-closed").build(world), "ca": by_name("not-preauthorized").build(world)}
    path = tmp_path / "connections.toml"
    path.write_text(toml_for(conns))
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", sim_server.url)
    code, out = run_json(capsys, "check", "--connection", "ca", "--app-type", "connected_app", "--json")
    assert code == 1 and out["app_type"] == {"value": "connected_app", "source": "configured", "proof": None}
    assert out["my_domain_url"] is None and out["links"] == []  # login.salesforce.com: no org's own host
    # Salesforce's answers outrank the flag: the ECA behind the My Domain refuses a generic host
    code, out = run_json(capsys, "check", "--connection", "eca", "--app-type", "connected_app", "--json")
    assert (out["app_type"]["value"], out["app_type"]["source"]) == ("external_client_app", "proven")
    host = conns["eca"].login_url
    assert out["links"] and all(link["url"].startswith(f"{host}/lightning/setup/") for link in out["links"])
    assert any(s.get("links") for s in out["steps"])
    assert main(["check", "--connection", "eca"]) == 1
    text = capsys.readouterr().out
    assert "App: External Client App (proven)" in text
    assert f"→ External Client App Manager: {host}/lightning/setup/ManageExternalClientApplication/home" in text
    with pytest.raises(SystemExit):
        main(["check", "--connection", "eca", "--app-type", "saml"])
    capsys.readouterr()


def test_app_type_in_connections_toml(tmp_path) -> None:
    from checks.connections import ConfigError, load

    base = ('[connections.a]\nusername = "u@x.com"\nlogin_url = "https://login.salesforce.com"\n'
            'consumer_key = "3MVG9abc"\n')
    path = tmp_path / "c.toml"
    path.write_text(base + 'app_type = "external_client_app"\n')
    assert load("a", path).app_type == "external_client_app"
    path.write_text(base + 'app_type = "eca"\n')
    assert load("a", path).summary().app_type == "external_client_app"
    path.write_text(base)
    assert load("a", path).app_type == "unknown"
    path.write_text(base + 'app_type = "oauth"\n')
    with pytest.raises(ConfigError, match="connection 'a': app_type must be external_client_app or connected_app"):
        load("a", path)


def test_for_customer_prints_the_admins_checklist_and_names_the_certificate(env, capsys) -> None:
    assert main(["check", "--connection", "cert-regenerated", "--for-customer"]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert out.startswith("Salesforce connection for aprity: steps for your Salesforce admin")
    assert "aprity.crt, sent to you with this checklist" in out
    assert "Salesforce can take up to 10 minutes to apply the change; then press Test Connection" in out
    for internal in ("cert-regenerated", "[✖]", "How we know", "SHA-256", "aprity-diagnose"):
        assert internal not in out, internal
    # What support adds goes to stderr, so stdout pastes into an email as it is.
    assert "aprity-diagnose certificate --connection cert-regenerated --output aprity.crt" in captured.err


def test_for_customer_on_an_aprity_side_cause_says_there_is_nothing_to_send(env, world, capsys) -> None:
    c = by_name("key-typo").build(world)
    code = main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url", c.login_url,
                 "--private-key", str(c.private_key_file), "--for-customer"])
    assert code == 1
    assert capsys.readouterr().out.strip().startswith("This is fixed on aprity's side")
    main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url", c.login_url,
          "--private-key", str(c.private_key_file)])
    assert "This is fixed on aprity's side" in capsys.readouterr().out  # the verdict says so too


def test_for_customer_and_json_do_not_mix(env, capsys) -> None:
    assert main(["check", "--connection", "healthy", "--json", "--for-customer"]) == 2
    assert "either --json or --for-customer" in capsys.readouterr().err


def test_terminal_never_promises_automatic_retests(env, world, capsys) -> None:
    from bot.terminal.render import terminal_words

    assert terminal_words("Nothing to change; the automatic retests will tell when it is back.") == \
        "Nothing to change; run `aprity-diagnose check` again in a few minutes to see whether it has changed."
    c = by_name("maintenance").build(world)
    main(["check", "--username", c.username, "--consumer-key", c.consumer_key, "--login-url", c.login_url,
          "--private-key", str(c.private_key_file)])
    out = capsys.readouterr().out
    assert "automatic retest" not in out.lower() and "again in a few minutes to see whether it has changed" in out
