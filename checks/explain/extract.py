"""Find Salesforce/JWT errors, and the hosts, usernames and claims around them, in pasted text.

Pasted text arrives in many wrappings (raw JSON, HTTP dumps, CLI output, client
exceptions). This module finds the errors; :mod:`checks.explain.context` finds what surrounds
them (re-exported here). Callers pass text already redacted by :func:`checks.explain.reader.redact`.
Every pattern has bounded repetition: the input may be a megabyte of log or
garbage and must be scanned in linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from urllib.parse import unquote_plus

from checks.explain.context import PAIR, Context, find_context, find_pairs, strip_pairs
from checks.model import TokenError

__all__ = [
    "LOGIN_HISTORY", "MAX_HITS", "OAUTH_CODES", "PRIVATE_KEY", "REST_CODES", "UNREACHABLE",
    "Context", "Hit", "find_context", "find_hits", "find_pairs", "strip_pairs",
]

MAX_HITS = 50  # more distinct errors than this is a log dump; the first ones tell the story

# Labels for failures that never came from the token endpoint (see checks.rules.errors.UNREACHABLE).
UNREACHABLE = "unreachable"
PRIVATE_KEY = "private_key_invalid"
LOGIN_HISTORY = "login_history"
REST_CODES = ("INVALID_SESSION_ID", "INSUFFICIENT_ACCESS", "URL_NOT_RESET", "INVALID_LOGIN")  # API/SOAP answers

OAUTH_CODES = (
    "invalid_grant", "invalid_client_id", "invalid_client_credentials", "invalid_client", "invalid_app_access",
    "app_not_found", "unsupported_grant_type", "inactive_user", "inactive_org", "rate_limit_exceeded",
    "login_rate_exceeded", "invalid_request", "invalid_scope", "oauth_app_access_denied",
)
_CODE_ALT = "|".join(OAUTH_CODES)

# ------------------------------------------------------------------ errors

@dataclass(frozen=True)
class Hit:
    """One error found in the text, in the order it appears."""

    error: TokenError
    pos: int
    local: bool = False  # never reached the token endpoint, or came after it (REST, Login History)
    attempt: bool = False  # one line of a Salesforce CLI "Errors encountered" list
    pair: tuple[str, str] | None = None  # (audience, login) the CLI printed with the line


_STATUS = re.compile(
    r"HTTP/\d(?:\.\d)?\s{1,3}(?P<a>[1-5]\d\d)\b|resulted in a `(?P<b>[1-5]\d\d)|\bError (?P<c>[1-5]\d\d):"
    r"|status code:?\s{0,3}(?P<d>[1-5]\d\d)\b|ERROR_HTTP_(?P<e>[1-5]\d\d)\b"
    r"|[\"']?status(?:Code|_code)?[\"']?\s{0,3}[:=]\s{0,3}(?P<f>[1-5]\d\d)\b"
    r"|\b(?P<g>[45]\d\d) (?:Bad Request|Unauthorized|Forbidden|Not Found|Internal Server Error|Bad Gateway"
    r"|Service Unavailable|Gateway Time-?out)\b",
    re.I,
)
_KV = re.compile(
    r"(?<![\w$])(?P<q>[\"']?)(?P<key>error_description|errorDescription|error|name|message)(?P=q)\s{0,3}(?:=>|[:=])"
    r"\s{0,3}(?:b?\"(?P<dq>(?:[^\"\\\r\n]|\\.){0,600})\"|b?'(?P<sq>(?:[^'\\\r\n]|\\.){0,600})'"
    r"|(?P<bare>[^\s\"'{}\[\]][^\r\n&\"}]{0,300}))"
)
_CODE_DESC = re.compile(
    rf"(?<![\w\"'])(?P<code>{_CODE_ALT})(?![\w\"'])\)?(?:\s{{1,3}}message:|\s{{0,3}}(?:::|:|-|–))\s{{0,3}}"
    r"(?P<desc>[^\r\n]{1,300})",
    re.I,
)
# A Java/Python frame glued to the message: "... consumer at org.mule.extension.salesforce.Foo.bar(Foo.java:12)".
_STACK_TAIL = re.compile(r"\s{1,3}at [A-Za-z_$][\w$]{0,60}(?:\.[\w$]{1,60}){2,30}[^\r\n]{0,300}$")
_TRAIL_STATUS = re.compile(r"\s{0,3}\((?P<s>[1-5]\d\d)\)\s{0,3}$")
_HERES = re.compile(r"Here[’']s the error:[ \t]{0,3}(?P<rest>[^\r\n]{1,600})")
_DUE_TO = re.compile(r"Error authenticating with JWT config due to:[ \t]{0,3}(?P<rest>[^\r\n]{1,600})")
_ENCOUNTERED = re.compile(r"Errors encountered:")
_JSON_END = re.compile(r"\"\s{0,3}[,}]")
_JSON_KEY = re.compile(r"\"\w{1,60}\"\s{0,3}:")
_LINE_SPLIT = re.compile(r"\r?\n|\\n")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")

_PHRASES = (
    "ip restricted or invalid login hours", "user hasn't approved this consumer", "user has not approved this consumer",
    "user is not admin approved to access this app", "external client app is not installed in this org",
    "org is locked, closed, or suspended", "expired authorization code", "client identifier invalid",
    "invalid client credentials", "grant type not supported", "audience validation failed", "audience is invalid",
    "invalid audience",
    "number of logins exceeded", "login rate exceeded", "inactive organization", "authentication failure",
    "invalid assertion", "user is inactive", "inactive user", "ip restricted",
)
_PHRASE = re.compile(
    r"(?<![\w])(?:" + "|".join(re.escape(p).replace("'", "[’']") for p in _PHRASES) + "|" + _CODE_ALT + r")(?![\w])",
    re.I,
)

# (label, pattern) for failures outside the token endpoint's JSON answer.
_LOCAL: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    # Login History statuses are UI strings: match their exact case so prose ("restricted IP ranges") does not.
    (label, re.compile(p, 0 if label == LOGIN_HISTORY else re.I))
    for label, p in (
        (PRIVATE_KEY, r"(?:error:[0-9A-F]{8}:)?PEM routines:[A-Za-z_]{0,40}:{1,2}no start line|\bno start line\b"),
        (PRIVATE_KEY, r"Neither PUB key nor PRIV key(?::[^\r\n)]{0,60})?"),
        (PRIVATE_KEY, r"private key should be a PEM(?: or plain PKCS1 or PKCS8)?"),
        (PRIVATE_KEY, r"supplied key param cannot be coerced into a private key"),
        (PRIVATE_KEY, r"Could not deserialize key data|secretOrPrivateKey must be an asymmetric key[^\r\n]{0,30}"),
        (PRIVATE_KEY, r"error:1E08010C:DECODER routines::unsupported"),
        (UNREACHABLE, r"unable to get local issuer certificate|self[- ]signed certificate in certificate chain"
                      r"|CERTIFICATE_VERIFY_FAILED"),
        (UNREACHABLE, r"Unexpected end of JSON input|HTTP response contains html content"),
        (UNREACHABLE, r"ERROR_HTTP_[1-5]\d\d"),
        (UNREACHABLE, r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)(?: [\w.-]{1,253})?|Name or service not known"
                      r"|nodename nor servname provided, or not known|Temporary failure in name resolution"
                      r"|Could not resolve host(?:: [\w.-]{1,253})?|No such host is known|NameResolutionError"),
        (UNREACHABLE, r"\b(?:ECONNREFUSED|ETIMEDOUT|ECONNRESET)\b|Connection (?:refused|timed out)"
                      r"|\bConnectTimeout\b|\bReadTimeout\b"),
        (LOGIN_HISTORY, r"(?:Failed:\s{0,3})?Not approved for access|\bRestricted IP\b"),
    )
)
# Any casing, and with spaces for underscores ("Invalid Session ID"): clients reword the code; normalised on read.
_REST = re.compile(r"(?i)\b(?P<code>INVALID[_ ]SESSION[_ ]ID|INSUFFICIENT_ACCESS|URL_NOT_RESET|INVALID_LOGIN)\b"
                   r"|(?P<phrase>Invalid username, password, security token; or user locked out)")
_REST_LEAD = re.compile(r"[\s\"',:=]{0,6}(?:message[\"']?\s{0,3}[:=]\s{0,3}[\"']?)?")
_REST_DESC = re.compile(r"[^\r\n\"<\]}]{0,300}")
_REST_MESSAGE = re.compile(r"[\"']message[\"']\s{0,3}:\s{0,3}[\"'](?P<m>[^\"'\r\n]{1,300})[\"']")
_HTML = re.compile(r"<!DOCTYPE html|<html", re.I)
_TITLE = re.compile(r"<title>(?P<t>[^<]{1,200})</title>", re.I)
_STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)?\s{1,3}5\d\d[^\r\n]{0,40}")


def _unescape(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m[1]
        if s[0] == "u":
            return chr(int(s[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(s, s)

    return _ESCAPE.sub(one, value)


def _clean_desc(desc: str) -> tuple[str, int | None, tuple[str, str] | None]:
    """Trim a description taken from a line: CLI pair annotation, a trailing ``(400)``, quotes."""
    pair = None
    if (m := PAIR.search(desc)) is not None:
        pair = (m["aud"], m["login"])
        desc = desc[: m.start()] + desc[m.end():]
    status = None
    if (m := _TRAIL_STATUS.search(desc)) is not None:
        status, desc = int(m["s"]), desc[: m.start()]
    desc = _STACK_TAIL.sub("", desc)
    desc = desc.strip().strip("\"'`,;}{").strip()
    if desc.endswith(")") and desc.count(")") > desc.count("("):
        desc = desc[:-1].rstrip()  # "Restforce::AuthenticationError (invalid_grant: ...)"
    return desc, status, pair


def _fragment(line: str) -> tuple[str, str, int | None, tuple[str, str] | None]:
    """(code, description, status, pair) from one line that holds a single error."""
    if (m := _CODE_DESC.search(line)) is not None:
        desc, status, pair = _clean_desc(m["desc"])
        return m["code"], desc, status, pair
    desc, status, pair = _clean_desc(line)
    return "", desc, status, pair


def _is_local(line: str) -> bool:
    return any(p.search(line) for _, p in _LOCAL) or bool(_REST.search(line))


_PLAUSIBLE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,60}")


@dataclass(frozen=True)
class _Item:
    start: int
    end: int
    is_code: bool
    key: str
    quoted_key: bool
    value: str


def _kv_items(text: str) -> list[_Item]:
    items: list[_Item] = []
    pos = 0
    while (m := _KV.search(text, pos)) is not None:
        key, is_code = m["key"], m["key"] in ("error", "name")
        pos = m.end()
        if m["dq"] is not None or m["sq"] is not None:
            value = _unescape(m["dq"] if m["dq"] is not None else m["sq"])
        else:
            value = m["bare"].rstrip().rstrip(",;)")
            if is_code:
                token = m["bare"].split()[0]
                value = token.rstrip(",;)")
                pos = m.start("bare") + len(token)  # the rest of the line may hold the description key
            elif "=" in text[m.end("key"): m.start("bare")] and ("%" in value or "+" in value):
                value = unquote_plus(value)  # form-encoded: error=...&error_description=user+is+...
        if is_code and not _PLAUSIBLE_CODE.fullmatch(value):
            continue  # prose such as "Client error: `POST ...`"
        items.append(_Item(m.start(), m.end(), is_code, key, bool(m["q"]), value.strip()))
    return items


def _kv_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []

    def emit(code: _Item | None, desc: _Item | None) -> None:
        shape = bool(code and desc and code.key == "error" and desc.key != "message")
        known = bool(code) and code.value.lower() in OAUTH_CODES  # type: ignore[union-attr]
        lone_desc = desc is not None and code is None and desc.key != "message"
        if known or shape or lone_desc:
            pos = min(i.start for i in (code, desc) if i)
            hits.append(Hit(TokenError(None, code.value if code else "", desc.value if desc else ""), pos))

    pending: _Item | None = None
    for item in _kv_items(text):
        if (pending is not None and pending.is_code != item.is_code and item.start - pending.end < 600
                and pending.quoted_key == item.quoted_key):
            emit(*((pending, item) if pending.is_code else (item, pending)))
            pending = None
            continue
        if pending is not None:
            emit(pending if pending.is_code else None, None if pending.is_code else pending)
        pending = item
    if pending is not None:
        emit(pending if pending.is_code else None, None if pending.is_code else pending)
    return hits


def _cli_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []
    seen_until = -1
    for m in _ENCOUNTERED.finditer(text):
        if m.start() < seen_until:
            continue  # inside the block just read
        seen_until = m.end() + 8000
        block = text[m.end(): m.end() + 8000]
        lines = _LINE_SPLIT.split(block)[:40]
        if lines and not lines[0].strip():
            lines = lines[1:]
        for line in lines:
            # In --json output the message string ends mid-line: `...consumer","exitCode":1}`.
            line = _JSON_END.split(line, 1)[0].strip().lstrip("-*•›> ").rstrip(",").strip()
            if (not line or line.startswith(("Try this", "Warning", "at ", "***")) or "Errors encountered" in line
                    or _JSON_KEY.match(line)):
                break
            if _is_local(line):
                continue
            code, desc, _, pair = _fragment(line)
            if desc or code:
                hits.append(Hit(TokenError(None, code, desc), m.start(), attempt=True, pair=pair))
    for rx in (_HERES, _DUE_TO):
        for m in rx.finditer(text):
            rest = _LINE_SPLIT.split(m["rest"])[0]
            if "JwtAuthError" in rest or rest.startswith("Error authenticating with JWT") or _is_local(rest):
                continue
            code, desc, _, pair = _fragment(rest)
            if desc or code:
                hits.append(Hit(TokenError(None, code, desc), m.start(), pair=pair))
    return hits


def _code_desc_hits(text: str) -> list[Hit]:
    hits = []
    for m in _CODE_DESC.finditer(text):
        desc, status, pair = _clean_desc(m["desc"])
        if desc.startswith(("{", "[")) or not desc:
            continue  # a JSON body after the code: the key/value pass reads it
        hits.append(Hit(TokenError(status, m["code"], desc), m.start(), pair=pair))
    return hits


def _local_hits(text: str) -> list[Hit]:
    hits = []
    for label, rx in _LOCAL:
        for m in rx.finditer(text):
            hits.append(Hit(TokenError(None, label, m[0]), m.start(), local=True))
    best: dict[str, Hit] = {}  # SOAP faults name the code twice; keep the copy with a message
    for m in _REST.finditer(text):
        code = m["code"].upper().replace(" ", "_") if m["code"] else "INVALID_LOGIN"
        lead = _REST_LEAD.match(text, m.end())
        desc = m["phrase"] or _REST_DESC.match(text, lead.end())[0].strip()  # type: ignore[union-attr,index]
        if not desc:  # {"message": "...", "errorCode": "..."}: the message came first
            before = list(_REST_MESSAGE.finditer(text, max(0, m.start() - 400), m.start()))
            desc = before[-1]["m"].strip() if before else ""
        old = best.get(code)
        if old is None or len(desc) > len(old.error.error_description):
            best[code] = Hit(TokenError(None, code, desc), old.pos if old else m.start(), local=True)
    return hits + list(best.values())


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per description (or code); a coded or status-bearing copy beats a bare one."""
    out: dict[str, Hit] = {}
    for h in sorted(hits, key=lambda h: h.pos):
        key = (h.error.error_description or h.error.error).lower()
        if h.attempt:
            key = f"attempt:{key}:{h.pair}"
        old = out.get(key)
        if old is None:
            out[key] = h
        elif (not old.error.error and h.error.error) or (old.error.status is None and h.error.status is not None):
            error = TokenError(h.error.status or old.error.status, h.error.error or old.error.error,
                               old.error.error_description or h.error.error_description)
            out[key] = replace(old, error=error, pair=old.pair or h.pair)
    return sorted(out.values(), key=lambda h: h.pos)


def _with_status(hits: list[Hit], text: str) -> list[Hit]:
    marks = [(m.start(), int(next(g for g in m.groups() if g))) for m in _STATUS.finditer(text)]
    starts = [p for p, _ in marks]
    out = []
    for h in hits:
        status = h.error.status
        if status is None and not h.attempt:
            i = bisect_right(starts, h.pos)  # the nearest status line before the error, else just after it
            if i and h.pos - starts[i - 1] <= 4000:
                status = marks[i - 1][1]
            elif i < len(marks) and starts[i] - h.pos <= 300:
                status = marks[i][1]
        out.append(replace(h, error=replace(h.error, status=status)))
    return out


def _drop_bare_codes(hits: list[Hit]) -> list[Hit]:
    """A code seen alone next to a full error is the same error read twice."""
    if not any(h.error.error_description for h in hits):
        return hits
    out = list(hits)
    for h in hits:
        if h.error.error_description:
            continue
        for i, d in enumerate(out):  # "invalid_grant invalid assertion": lend the code to the description
            if d.error.error_description and not d.error.error and 0 <= d.pos - h.pos <= 300:
                out[i] = replace(d, error=replace(d.error, error=h.error.error))
                break
    return [h for h in out if h.error.error_description]


def find_hits(text: str) -> list[Hit]:
    """Every error in ``text`` (already redacted), in order of appearance."""
    if '\\"error' in text:
        text = text.replace('\\"', '"')  # a JSON body quoted inside another JSON string
    oauth = _kv_hits(text) + _code_desc_hits(text) + _cli_hits(text)
    local = _local_hits(text)
    if not oauth:
        for m in _PHRASE.finditer(text):
            word = m[0]
            coded = word.lower() in OAUTH_CODES
            oauth.append(Hit(TokenError(None, word if coded else "", "" if coded else word), m.start()))
    oauth = [h for h in oauth if not _is_local(h.error.error_description)]
    if not oauth and not any(h.error.error == UNREACHABLE for h in local):
        # A non-JSON answer with nothing else to go on: an HTML page or a bare 5xx status line.
        if (m := _HTML.search(text)) is not None:
            t = _TITLE.search(text, m.start())
            local.append(Hit(TokenError(None, UNREACHABLE, t["t"].strip() if t else "HTML page"), m.start(), True))
        elif (m := _STATUS_LINE.search(text)) is not None:
            local.append(Hit(TokenError(None, UNREACHABLE, m[0].strip()), m.start(), True))
    return _with_status(_dedupe(_drop_bare_codes(_dedupe(oauth)) + local)[:MAX_HITS], text)
