"""Typed-in values: bounded, printable, never a secret, never echoed when refused."""

from __future__ import annotations

import pytest

from bot.slack.command import CommandError, parse
from bot.policy.inputs import InputError, check_field, secret_kinds

HEX64 = "9f" * 32
SF_TOKEN = "00D5g000004AbCdEAA!AQ4AQH0dMHZfz972Szv7.KVdhQQ3ZzmLqgS7KxRCu.Ys"
SLACK = "xoxb-123456789012-abcdefghijkl"
PEM = "-----BEGIN " + "RSA PRIVATE" + " KEY-----\nMIIEow"
OK = "username=a@b.com consumer_key=3MVG9abc login_url=https://login.salesforce.com"


@pytest.mark.parametrize("value,kind", [(HEX64, "secret"), (HEX64.upper(), "secret"), (SF_TOKEN, "access_token"),
                                        (SF_TOKEN.replace("!", "%21"), "access_token"), (SLACK, "slack_token"),
                                        ("xoxp-1-2-3-abcdef", "slack_token"), (PEM, "private_key")])
@pytest.mark.parametrize("field", ["username", "consumer_key", "login_url", "app"])
def test_secret_in_any_field_refused_without_echo(field: str, value: str, kind: str) -> None:
    assert kind in secret_kinds(value)
    with pytest.raises(CommandError) as exc:
        parse(f"{OK} {field}={value}" if field != "app" else f"{OK} app={value}")
    text = str(exc.value)
    assert value not in text and value[8:24] not in text
    assert "must be rotated" in text and "not stored or posted" in text


@pytest.mark.parametrize("text", [f"{SLACK}", f"acme {HEX64}", PEM.replace("\n", " ")])
def test_secret_instead_of_a_name_is_not_echoed(text: str) -> None:
    with pytest.raises(CommandError) as exc:
        parse(text)
    assert text.split()[0] not in str(exc.value)


@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\u200b", "\x1b[31m", "\ufeff"])
def test_control_and_format_characters_refused(bad: str) -> None:
    with pytest.raises(CommandError, match="invisible"):
        parse(f"username=a{bad}@b.com consumer_key=3MVG9abc login_url=https://login.salesforce.com")
    with pytest.raises(CommandError, match="invisible"):
        parse(f"acme{bad}")
    with pytest.raises(InputError, match="invisible"):
        check_field("app", f"aprity{bad}")


def test_lengths_are_bounded() -> None:
    assert check_field("username", "u" * 70 + "@b.com") == "u" * 70 + "@b.com"  # 76 characters
    with pytest.raises(CommandError, match="longer than 80"):
        parse(f"username={'u' * 75}@b.com consumer_key=3MVG9 login_url=https://login.salesforce.com")
    with pytest.raises(CommandError, match="longer than 80"):
        parse(f"{OK} app={'A' * 81}")
    with pytest.raises(CommandError, match="longer than 255"):
        parse(f"username=a@b.com consumer_key=3MVG9{'k' * 300} login_url=https://login.salesforce.com")
    with pytest.raises(CommandError, match="longer than 100"):
        parse("n" * 101)


def test_ordinary_values_pass() -> None:
    parsed = parse(f"{OK} app=\"aprity Connector\"")
    assert parsed.fields == {"username": "a@b.com", "consumer_key": "3MVG9abc",
                             "login_url": "https://login.salesforce.com", "app": "aprity Connector"}
    # explain is where pastes go: the secret in it is redacted later, not refused here
    assert parse(f"explain invalid_grant {SF_TOKEN}").kind == "explain"
