"""The vocabulary rule: a family noun and an outcome word near each other, in any order, read as that family's
failure whatever the library's exact phrasing ("x509: certificate signed by unknown authority", "Expecting a
PEM-formatted key", "The specified network password is not correct").

Only for families the sure strings did not already find; mostly ``medium``. The ranking drops these findings
when Salesforce's own answer is in the text (a "Connected App certificate expired" note next to an
``invalid assertion`` is about the app, not TLS).
"""

from __future__ import annotations

import re
from typing import Callable

from checks.model import Confidence
from checks.rules.family_finding import C, H, KEY_FILE, L, M, PROXY, TLS, Finding, Findings, rx
from checks.rules.families_net import EXPIRED, SF_OWNED

_PROXY = rx(r"\bprox(?:y|ies)\b")
_TUNNEL = rx(r"\btunnel|\bCONNECT\b")
_STATUS = re.compile(r"\b([45]\d\d)\b")
_TLS = rx(r"\b(?:ssl|tls|x509|certificates?|cert|handshake|pkix|certification)\b")
_TRUST = rx(r"unknown authority|not trusted|untrusted|verify failed|verification failed|unable to (?:get|verify)"
            r"|self[- ]signed|certification path|issuer")
_NAME = rx(r"not valid for|does(?: not|n't) match|subject alternative|altnames?\b|hostname mismatch|name mismatch"
           r"|valid for [^\r\n]{1,400}, not ")
# .NET and others wrap any handshake failure in "could not be established" or a closed stream.
_PROTO = rx(r"\bprotocol\b|\bcipher|\bversion\b|could not be established|closed the transport stream"
            r"|handshake (?:failed|failure)")
_VALID_FOR = rx(r"valid for (?P<names>[^\r\n]{1,400}?),? not (?P<host>[\w.-]{1,253})")
_KEY = rx(r"private key|\bkey\b|\bpem\b|pkcs\s?#?\d|\bder\b|asn\.?1|\bpfx\b|keystore|\brsa\b|\bpkey\b|LoadKey")
_KEYFAIL = rx(r"\bpars|decod|deserializ|\binvalid\b|unsupported|not supported|corrupt|malformed|expecting"
              r"|could not read"
              r"|unable to load|too big|getLength|format")
_PASS = rx(r"password|passphrase")
_BAD = rx(r"not correct|incorrect|wrong|invalid|bad|required|missing|failed")
_8443 = re.compile(r":8443\b")
_8443_FAIL = rx(r"reset|handshake|alert|ssl|tls")
# Any family noun, lower-cased: only the lines around one are read, found with str.find (a case-insensitive
# regex over a 2 MB log costs more than the whole rest of the reading).
NOUN_WORDS = ("prox", "8443", "ssl", "tls", "x509", "cert", "handshake", "pkix", "key", "pem", "pkcs", "der", "asn",
               "pfx", "rsa")
_PER_WORD = 40  # positions per noun: the rule is a fallback, the first mentions tell the story
_BUDGET = 50_000  # characters of lines read in all
_SPAN = 2  # lines either side: a stack trace spreads one failure over several lines
_WIDE = 500  # characters either side of a position: a log may be one long line


def _positions(low: str) -> list[int]:
    out: list[int] = []
    for word in NOUN_WORDS:
        pos = low.find(word)
        for _ in range(_PER_WORD):
            if pos < 0:
                break
            out.append(pos)
            pos = low.find(word, pos + len(word))
    return sorted(set(out))


def _line(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the line at ``pos``, at most ``_WIDE`` characters either side."""
    start = max(text.rfind("\n", max(0, pos - _WIDE), pos) + 1, pos - _WIDE, 0)
    end = text.find("\n", pos, pos + _WIDE)
    return start, end if end >= 0 else min(len(text), pos + _WIDE)


def _around(text: str, pos: int) -> list[tuple[int, int]]:
    """The line at ``pos`` and ``_SPAN`` lines either side, in order."""
    here = _line(text, pos)
    before, after = [], []
    a, b = here
    for _ in range(_SPAN):
        if a > 0:
            before.insert(0, _line(text, a - 1))
            a = before[0][0]
        if b < len(text):
            after.append(_line(text, b + 1))
            b = after[-1][1]
    return before + [here] + after


def vocabulary(text: str, low: str, found: set[str]) -> list[Finding]:
    """Findings for the families not in ``found``, one per family, from the first line that shows one.
    ``low`` is ``text`` lower-cased, of the same length."""
    out = Findings()

    def add(family: str, cause: C, conf: Confidence, reason: str, pos: int, *also: tuple[C, Confidence]) -> None:
        evidence = text[slice(*_line(text, pos))].strip()[:200]  # the line read, already redacted
        out.append(Finding(family, cause, conf, reason, pos, evidence, tuple(also), vocabulary=True))
        found.add(family)

    read: set[int] = set()
    covered, budget = -1, _BUDGET
    for pos in _positions(low):
        if {PROXY, TLS, KEY_FILE} <= found or budget <= 0:
            break
        if pos < covered:
            continue  # on a line already read
        lines = _around(text, pos)
        covered = _line(text, pos)[1]
        for i, (p, e) in enumerate(lines):
            if p in read:
                continue
            read.add(p)
            budget -= e - p
            w = text[lines[max(0, i - _SPAN)][0]: lines[min(len(lines) - 1, i + _SPAN)][1]]
            _read_line(text[p:e], w, p, found, add)
    return list(out)


def _read_line(ln: str, w: str, p: int, found: set[str], add: Callable[..., None]) -> None:
    """The rules on one line ``ln`` (at ``p``) and its window ``w``."""
    if PROXY not in found and _PROXY.search(ln) and (_TUNNEL.search(w) or _STATUS.search(ln)):
        codes = _STATUS.findall(ln) or _STATUS.findall(w)
        if codes:
            code = codes[0]
            add(PROXY, C.PROXY_AUTH_REQUIRED if code == "407" else C.PROXY_REFUSED,
                H if code in ("407", "403") else M, f"the proxy answered {code}", p)
    if TLS not in found and _8443.search(w) and _8443_FAIL.search(ln):
        add(TLS, C.MUTUAL_TLS_CERTIFICATE, M, "a failed connection to the mutual-TLS port 8443", p,
            (C.TLS_PROTOCOL, L))
    if TLS not in found and _TLS.search(ln):
        if _NAME.search(ln):
            vf = _VALID_FOR.search(ln)
            names = [n.strip().lstrip("*.") for n in (vf["names"].split(",") if vf else []) if n.strip()]
            if names and all(SF_OWNED.search(n) for n in names):
                add(TLS, C.USERNAME_OR_LOGIN_URL, M, "Salesforce's certificate does not cover this host", p,
                    (C.TLS_INTERCEPTION, L))
            else:
                add(TLS, C.TLS_INTERCEPTION, H if names else M, "the certificate presented is not Salesforce's",
                    p, (C.USERNAME_OR_LOGIN_URL, L))
        elif EXPIRED.search(ln):
            add(TLS, C.TLS_INTERCEPTION, M, "an expired certificate in the chain: an inspecting proxy's, or the "
                "client's clock is wrong", p, (C.CLOCK_SKEW_OR_EXPIRY, L))
        elif _TRUST.search(ln):
            add(TLS, C.TLS_INTERCEPTION, H, "the certificate chain is not trusted on the client's side", p)
        elif _PROTO.search(ln):
            add(TLS, C.TLS_PROTOCOL, M, "no TLS protocol or cipher in common", p, (C.TLS_INTERCEPTION, L))
    if KEY_FILE not in found and _KEY.search(w):
        if _PASS.search(ln) and _BAD.search(ln):
            add(KEY_FILE, C.LOCAL_KEY_PASSPHRASE, M, "the key's password was refused", p)
        elif _KEY.search(ln) and _KEYFAIL.search(ln):
            add(KEY_FILE, C.PRIVATE_KEY_INVALID, M, "the key could not be parsed", p)
