"""The Slack reading of a pasted proxy, TLS or key-file failure: the cause, its next check without shell commands."""

from __future__ import annotations

import json

from bot.slack.listeners.commands import explain_reply


def _text(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_undecided_proxy_reading_has_a_next_check_without_commands() -> None:
    text = _text(explain_reply("curl: (56) CONNECT tunnel failed, response 502"))
    assert "Local error" in text and "The proxy refused to open a tunnel to Salesforce" in text
    assert "*Next check:*" in text and "CONNECT to login.salesforce.com:443" in text
    assert "curl -v" not in text and "openssl" not in text


def test_wrapper_reading_says_the_answer_was_hidden() -> None:
    text = _text(explain_reply("System.CalloutException: Unable to complete the JWT token exchange."))
    assert "A wrapper hid Salesforce's answer" in text and "Next check" not in text  # decided: no next check


def test_pasted_openssh_key_is_read_by_its_label_and_never_shown() -> None:
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    paste = "-----BEGIN " + "OPENSSH PRIVATE " + "KEY-----\n" + body + "\nError: invalid key format"
    message = explain_reply(paste, warnings=True)
    text = _text(message)
    assert body not in text and body[:20] not in text
    assert "Private key cannot be used to sign" in text
