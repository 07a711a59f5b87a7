"""Typed-in values that cannot hurt: bounded, printable, and never a secret.

Everything a user types into the command or the form passes here before it is used,
stored or echoed. A value shaped like a secret is refused *without* being repeated:
the message names the kind of secret and says it must be rotated, nothing more.
"""

from __future__ import annotations

import re
import unicodedata

from checks.explain.reader import WARNINGS, redact as redact_paste

# Salesforce usernames are at most 80 characters; consumer keys are ~85 today.
LIMITS = {"username": 80, "consumer_key": 255, "login_url": 300, "app": 80, "name": 100}
LABELS = {"username": "username", "consumer_key": "consumer key", "login_url": "login URL",
          "app": "app name", "name": "connection name"}

_PEM = re.compile(r"-----BEGIN")
_ACCESS_TOKEN = re.compile(r"00D[A-Za-z0-9]{12,15}(?:!|%21)[A-Za-z0-9._-]{10,}")
_HEX64 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
_SLACK_TOKEN = re.compile(r"xox[abposre]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}")

KIND_NAMES = {"private_key": "a private key", "access_token": "a Salesforce access token",
              "secret": "a consumer secret", "password": "a password", "slack_token": "a Slack token"}
ROTATE = {**WARNINGS,
          "slack_token": "The pasted text contains a Slack token. Revoke it (the Slack app's OAuth & Permissions "
                         "page, or Slack's token revocation) and issue a new one."}


class InputError(ValueError):
    """A typed-in value was refused; the message is safe to show (it never repeats the value)."""


def secret_kinds(text: str) -> list[str]:
    """The kinds of secret in ``text`` (private key, access token, consumer secret, Slack token, …)."""
    kinds = set(redact_paste(text).secrets)
    if _PEM.search(text):
        kinds.add("private_key")
    if _ACCESS_TOKEN.search(text):
        kinds.add("access_token")
    if _HEX64.search(text):
        kinds.add("secret")
    if _SLACK_TOKEN.search(text):
        kinds.add("slack_token")
    return [k for k in KIND_NAMES if k in kinds]


def scrub(text: str) -> str:
    """Bare consumer-secret-shaped values and Slack tokens out of a paste (the engine's redaction
    already removes keys, access tokens and labelled secrets)."""
    return _SLACK_TOKEN.sub("[REDACTED SLACK TOKEN]", _HEX64.sub("[REDACTED SECRET]", text))


def secret_refusal(kinds: list[str], where: str = "that text") -> str:
    """Refusal naming the kinds found; says nothing was kept and that they must be rotated."""
    named = " and ".join(KIND_NAMES[k] for k in kinds)
    return (f"{where} holds a value that looks like {named}; it was not stored or posted. "
            f"Treat it as exposed: it must be rotated. " + " ".join(ROTATE[k] for k in kinds))


def _bad_char(value: str, *, allow_whitespace: bool = False) -> str | None:
    for ch in value:
        if allow_whitespace and ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf"):
            return f"U+{ord(ch):04X}"
    return None


def check_text(text: str) -> None:
    """The whole command text (outside ``explain``): no secret, no control or format characters."""
    kinds = secret_kinds(text)
    if kinds:
        raise InputError(secret_refusal(kinds, "The command"))
    bad = _bad_char(text, allow_whitespace=True)
    if bad:
        raise InputError(f"the command contains an invisible control or formatting character ({bad}); "
                         "retype it instead of pasting")


def check_field(key: str, value: str) -> str:
    """One field, stripped; refused if too long, invisible-character-laden or secret-shaped."""
    label = LABELS.get(key, "value")
    kinds = secret_kinds(value)
    if kinds:
        raise InputError(secret_refusal(kinds, f"The {label}"))
    bad = _bad_char(value)
    if bad:
        raise InputError(f"the {label} contains an invisible control or formatting character ({bad}); "
                         "retype it instead of pasting")
    value = value.strip()
    limit = LIMITS.get(key, 80)
    if len(value) > limit:
        raise InputError(f"the {label} is longer than {limit} characters")
    return value
