"""Text safety and formatting for Block Kit: escaping, redaction, truncation, mentions, times.

Everything a user, a customer or Salesforce wrote is untrusted: it goes through
:func:`escape_mrkdwn` (or :func:`plain` for ``plain_text``) before it reaches a
block, so pasted ``<!channel>`` or ``<https://evil|Salesforce>`` shows as text.
Only this module builds ``<…>`` sequences (mentions and links), from validated input.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from checks.model import CAUSE_TITLES, CauseId, Confidence

from bot.durations import duration_label, minutes_label  # noqa: F401 - part of this vocabulary
from bot.redact import redact

# Slack limits (docs.slack.dev Block Kit reference; see docs in shared/reference §3).
MAX_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
MAX_ID = 255
MAX_CONTEXT_ELEMENTS = 10
FALLBACK_TEXT = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100
MODAL_TITLE = 24
# Slack rejects messages whose blocks carry too much text in total (msg_blocks_too_long,
# undocumented: reports range from ~11k to ~13k characters); stay well under it.
MESSAGE_TEXT_BUDGET = 8_000

ELLIPSIS = "…"
WORD_JOINER = "\u2060"

_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SAFE_URL_RE = re.compile(r"^https?://[^\s<>|`]+$", re.IGNORECASE)
_BROADCAST_RE = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_PARTIAL_ENTITY_RE = re.compile(r"&[a-z]{0,3}$")


def escape_mrkdwn(text: object) -> str:
    """Untrusted text → mrkdwn that cannot mention, link or break out of its block."""
    s = redact("" if text is None else str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # With link_names, bare "@here" would still ping; a word joiner breaks the match.
    return _BROADCAST_RE.sub(lambda m: "@" + WORD_JOINER + m.group(1), s)


def plain(text: object, limit: int | None = None) -> str:
    """Untrusted text for a ``plain_text`` object: never parsed, but keep it inert anyway."""
    s = redact("" if text is None else str(text))
    s = s.replace("<", "‹").replace(">", "›")
    s = _BROADCAST_RE.sub(lambda m: "@" + WORD_JOINER + m.group(1), s)
    s = " ".join(s.split())
    return clamp(s, limit) if limit else s


def clamp(text: str, limit: int) -> str:
    """Cut mrkdwn to ``limit`` chars with "…", never inside an entity, a link or a code span."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    cut = _PARTIAL_ENTITY_RE.sub("", cut)
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.count("```") % 2:
        cut = cut[: cut.rfind("```")]
    elif cut.replace("```", "").count("`") % 2:
        cut = cut[: cut.rfind("`")]
    return cut + ELLIPSIS


def field(text: object, limit: int) -> str:
    """Untrusted text, escaped and cut to ``limit``."""
    return clamp(escape_mrkdwn(text), limit)


def one_line(text: object) -> str:
    return " ".join(("" if text is None else str(text)).split())


def _code_safe(text: object) -> str:
    # Slack has no escape for a backtick inside code; a look-alike keeps the span closed.
    return escape_mrkdwn(text).replace("`", "ˋ")


def code(text: object, limit: int = 500) -> str:
    """Inline code on one line; empty text shows as an em dash."""
    body = clamp(_code_safe(one_line(text)), limit) or "—"
    return f"`{body}`"


def code_block(text: object, limit: int = 2000) -> str:
    body = clamp(_code_safe(text).strip("\n"), limit) or "—"
    return f"```{body}```"


def is_user_id(user_id: object) -> bool:
    return isinstance(user_id, str) and bool(_USER_ID_RE.match(user_id))


# The requester of sessions the bot opens itself (bot/watch/watcher.py): not a person, never a ping.
AUTOMATIC_WATCH = "automatic watch"


def mention(user_id: object) -> str:
    """``<@U…>`` for a valid Slack user id; anything else is shown as text, never as a ping."""
    if is_user_id(user_id):
        return f"<@{user_id}>"
    if user_id == AUTOMATIC_WATCH:
        return "the _automatic watch_"
    return "an unknown user"


def safe_url(url: object) -> str | None:
    """The URL if it is http(s) and cannot break out of ``<url|text>``; else None."""
    if isinstance(url, str) and len(url) <= 3000 and _SAFE_URL_RE.match(url):
        return url.replace("&", "&amp;")
    return None


def link(url: object, label: str) -> str:
    """``<url|label>`` for a safe URL (label is ours, escaped); else the label and the URL as code."""
    href = safe_url(url)
    if href is None:
        return f"{escape_mrkdwn(label)} (link unavailable)"
    return f"<{href}|{escape_mrkdwn(label)}>"


def utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC (callers pass UTC)."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def hhmm(dt: datetime) -> str:
    return utc(dt).strftime("%H:%M UTC")


def stamp(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def cause_title(cause: CauseId | str | None) -> str:
    """Title of a known cause, or the escaped raw value for one this version does not know.

    A stored tie ("a,b", see :mod:`bot.store.ties`) reads "Tied: A or B".
    """
    if cause is None:
        return "no cause identified"
    if "," in str(cause):
        return "Tied: " + " or ".join(cause_title(c) for c in str(cause).split(",") if c)
    try:
        return CAUSE_TITLES[CauseId(cause)]
    except ValueError:
        return escape_mrkdwn(one_line(cause)) or "unknown cause"


def short_cause(cause: CauseId | str | None) -> str:
    if cause is not None and "," in str(cause):  # a tie: "tied: a or b"
        return "tied: " + " or ".join(short_cause(c) for c in str(cause).split(",") if c)
    title = cause_title(cause)
    if title[1:2].isupper():  # an acronym ("OAuth settings …") keeps its capital
        return title
    return title[:1].lower() + title[1:]


def environment_text(login_env: str, org_env: str | None, proof: str | None) -> str:
    """The org's environment as proven, and the login URL's when the two disagree (plain words, unescaped)."""
    if org_env is None or org_env == login_env:
        return org_env or login_env
    return f"login URL: {login_env} — {proof or 'the evidence says'}: {org_env}"


def confidence_label(confidence: Confidence | str) -> str:
    return f"{escape_mrkdwn(str(confidence))} confidence"



def login_host(login_url: object) -> str:
    """Host part of a login URL for display (escaped), or the escaped raw value."""
    raw = one_line(login_url)
    try:
        host = urlsplit(raw if "//" in raw else "//" + raw).hostname
    except ValueError:
        host = None
    return field(host or raw or "unknown", 200)
