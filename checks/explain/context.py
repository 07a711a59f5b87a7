"""What pasted text says besides the errors: hosts, usernames, CLI audience notes, JWT claims.

Callers pass text already redacted by :func:`checks.explain.reader.redact`. Every pattern has
bounded repetition, so a megabyte of log is scanned in linear time. Public import
path: :mod:`checks.explain.extract` re-exports :class:`Context` and :func:`find_context`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Salesforce CLI prints the audience and login URL it tried next to each attempt.
PAIR = re.compile(r"\s{0,3}\[audience=(?P<aud>[^\s\]]{1,300}) login=(?P<login>[^\s\]]{1,300})\]")


def strip_pairs(text: str) -> str:
    """Text without the CLI's ``[audience=… login=…]`` notes: those hosts were the CLI's guesses."""
    return PAIR.sub("", text)


def find_pairs(text: str) -> list[tuple[str, str]]:
    """(audience, login) pairs Salesforce CLI printed next to its attempts."""
    return list(dict.fromkeys((m["aud"], m["login"].rstrip("/")) for m in PAIR.finditer(text)))


_URL = re.compile(r"(?i)\bhttps?://(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8})")
# A bare host ends in salesforce/force plus a short top-level label, followed by nothing dotted:
# "login.salesforce.co" (a typo) is a host, "org.mule.extension.salesforce.api" (a Java package) is not.
_BARE_HOST = re.compile(
    r"(?i)(?<![\w./@-])(?P<host>(?:[a-z0-9-]{1,63}\.){1,6}(?:salesforce|force|salesforce-setup)\.(?!api\b)[a-z]{2,3})"
    r"(?!\.?[\w-])"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}(?![\w-])")
_USER_LABEL = re.compile(r"(?i)(?:\bsub|\bprn|user(?:name)?|-o|-u)[\"']?\s{0,3}[:=\s]\s{0,3}[\"']?$")
_CLAIM = re.compile(
    r"(?<![\w])[\"']?(?P<k>aud|sub|exp|prn)[\"']?\s{0,3}[:=]\s{0,3}"
    r"(?:\"(?P<dq>[^\"\r\n]{0,300})\"|'(?P<sq>[^'\r\n]{0,300})'|(?P<num>\d{1,16})\b)"
)


@dataclass
class Context:
    """What the text says besides the errors."""

    hosts: list[str]  # in order, pairs' guesses left out
    users: list[tuple[str, bool]]  # (username, introduced as sub/username/-o)
    pairs: list[tuple[str, str]]  # (audience, login) printed by Salesforce CLI
    aud: list[str] = field(default_factory=list)
    sub: list[str] = field(default_factory=list)
    exp: list[int] = field(default_factory=list)


def find_context(text: str, decoded: tuple[dict, ...] = ()) -> Context:
    """Hosts, usernames, CLI audience notes and aud/sub/exp claims in redacted ``text``."""
    plain = strip_pairs(text)
    hosts = [(m.start(), m["host"].lower().rstrip(".")) for m in _URL.finditer(plain)]
    hosts += [(m.start(), m["host"].lower()) for m in _BARE_HOST.finditer(plain)]
    users = [(m[0], bool(_USER_LABEL.search(text[max(0, m.start() - 24): m.start()]))) for m in _EMAIL.finditer(text)]
    ctx = Context([h for _, h in sorted(hosts)], users, find_pairs(text))
    claims: list[tuple[str, object]] = [(k, v) for d in decoded for k, v in d.items()]
    claims += [(m["k"], m["dq"] if m["dq"] is not None else m["sq"] if m["sq"] is not None else int(m["num"]))
               for m in _CLAIM.finditer(text)]
    for key, value in claims:
        if key == "aud":
            ctx.aud += [str(v) for v in (value if isinstance(value, list) else [value])]
        elif key in ("sub", "prn") and isinstance(value, str):
            ctx.sub.append(value)
        elif key == "exp" and isinstance(value, (int, float)) and not isinstance(value, bool):
            ctx.exp.append(int(value))
    return ctx
