"""Remove secrets from pasted text before anything else reads it: keys, tokens, secrets, JWT assertions.

Public import path: :mod:`checks.explain.reader` re-exports :func:`redact` and :class:`Redacted`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass

MAX_CHARS = 2_000_000  # beyond this keep head and tail: errors sit near either end of a log

_PEM_BEGIN = re.compile(r"-----BEGIN (?P<label>(?:[A-Z0-9]{1,12} ){0,3})PRIVATE[ ]KEY-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY-----")
# A key without its END line: only what belongs to a key goes with it (base64 chunks, the Proc-Type/DEK-Info
# headers of an encrypted PKCS#1 key), never the prose after it, which holds the error. Chunks are separated by
# newlines, escaped newlines (JSON) or spaces (chat clients fold lines); a short last chunk ends in padding or
# mixes digits and letters, as a word of prose does not.
_PEM_CHUNK = (r"(?:[A-Za-z0-9+/]{16,10000}={0,2}|[A-Za-z0-9+/]{1,15}={1,2}"
              r"|(?=[A-Za-z+/]{0,14}\d)(?=\d{0,14}[A-Za-z])[A-Za-z0-9+/]{4,15}(?![\w.+/=-])"
              r"|Proc-Type: [^\r\n]{1,40}|DEK-Info: [^\r\n]{1,80})")
_PEM_TAIL = re.compile(r"(?:(?:[ \t]{0,8}(?:\r?\n|(?:\\r)?\\n)){0,3}[ \t]{0,8}" + _PEM_CHUNK + r"){0,400}")
_ENCRYPTED_HEADER = re.compile(r"Proc-Type: 4,ENCRYPTED")
# Key bodies pasted without their BEGIN line: PKCS#1 and PKCS#8 RSA keys start this way.
_KEY_BODY = re.compile(r"MII[A-Za-z0-9+/]{2,4}(?:IBAAKC|IBADANBgkqhkiG9w0BAQEFAAS)[A-Za-z0-9+/=\\\s]{100,10000}")
_ACCESS_TOKEN = re.compile(r"\b00D[A-Za-z0-9]{12,15}(?:!|%21)[A-Za-z0-9._-]{20,500}")  # raw or form-encoded
_LABELLED = re.compile(
    r"(?i)(?P<label>access[_ ]?token|refresh[_ ]?token|consumer[_ ]?secret|client[_ ]?secret|password|\bbearer)"
    r"(?P<sep>[\"']?\s{0,3}(?:=>|[:=])\s{0,3}[\"']?|[\"']?\s{0,3}\r?\n\s{0,8}|\s{1,3})"
    r"(?P<value>[A-Za-z0-9+/=._~!$*#%^-]{8,500})"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,2000}\.(?P<payload>eyJ[A-Za-z0-9_-]{5,8000})\.[A-Za-z0-9_-]{0,2000}")


@dataclass(frozen=True)
class Redacted:
    text: str
    secrets: frozenset[str]  # kinds removed: private_key, access_token, secret, password
    claims: tuple[dict, ...] = ()  # payloads of JWT assertions found before they were removed
    # labels of the redacted keys' BEGIN lines ("OPENSSH", "RSA", "EC", "ENCRYPTED"; "PKCS8" for none), plus
    # "ENCRYPTED" for a key with a Proc-Type: 4,ENCRYPTED header: the key's format is a clue, its body a secret.
    key_labels: tuple[str, ...] = ()


def _cap(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + "\n…\n" + text[-half:]


def _strip_pem(text: str) -> tuple[str, list[str]]:
    """``text`` without private keys, each replaced by ``[REDACTED <label> PRIVATE KEY]``; the labels seen."""
    out, pos, labels, ends = [], 0, [], True
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        label = (m["label"] or "").strip() or "PKCS8"
        out.append(text[pos:m.start()])
        end = _PEM_END.search(text, m.end()) if ends else None
        ends = end is not None  # no END after this BEGIN means none after later ones: don't rescan
        # A key without its END line (truncated paste) still loses its body.
        stop = end.end() if end else _PEM_TAIL.match(text, m.end()).end()  # type: ignore[union-attr]
        labels.append(label)
        if "ENCRYPTED" not in label and _ENCRYPTED_HEADER.search(text, m.end(), min(stop, m.end() + 200)):
            labels.append("ENCRYPTED")
        out.append(f"[REDACTED {label} PRIVATE KEY]")
        pos = stop
    out.append(text[pos:])
    return "".join(out), labels


def _decode_claims(payload: str) -> dict | None:
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


_SMART = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def _normalise(text: str) -> str:
    """Undo what chat clients do to pasted text: HTML entities (Slack) and smart quotes (macOS)."""
    if "&" in text and any(e in text for e in ("&quot;", "&#39;", "&#x27;", "&amp;", "&lt;", "&gt;")):
        text = html.unescape(text)
    return text.translate(_SMART)


def redact(text: str) -> Redacted:
    """Remove private keys, access tokens, secrets and JWT assertions; say which kinds were present."""
    text = _normalise(_cap(text))
    text, labels = _strip_pem(text)
    kinds: set[str] = {"private_key"} if labels else set()
    for rx, kind in ((_KEY_BODY, "private_key"), (_ACCESS_TOKEN, "access_token")):
        text, n = rx.subn(f"[REDACTED {kind.upper().replace('_', ' ')}]", text)
        kinds |= {kind} if n else set()

    def labelled(m: re.Match[str]) -> str:
        value = m["value"]
        # Short plain words after a label are prose ("password expired"), not values.
        if not (any(c.isdigit() for c in value) or len(value) >= 16):
            return m[0]
        label = m["label"].lower()
        kinds.add("secret" if "secret" in label else "password" if label == "password" else "access_token")
        return f"{m['label']}{m['sep']}[REDACTED]"

    text = _LABELLED.sub(labelled, text)
    claims: list[dict] = []

    def jwt(m: re.Match[str]) -> str:
        if (c := _decode_claims(m["payload"])) is not None:
            claims.append(c)
        return "[JWT ASSERTION]"  # a signed assertion with a far exp is replayable: keep it out of output

    text = _JWT.sub(jwt, text)
    return Redacted(text, frozenset(kinds), tuple(claims), tuple(dict.fromkeys(labels)))
