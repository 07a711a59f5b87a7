"""A family finding, and the small text helpers the family recognisers share (:mod:`checks.rules.families`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checks.model import CauseId, Confidence

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId

PROXY, TLS, KEY_FILE, WRAPPER = "proxy", "tls", "key_file", "wrapper"


@dataclass(frozen=True)
class Finding:
    """One family failure read in the text."""

    family: str  # PROXY | TLS | KEY_FILE | WRAPPER
    cause: CauseId
    confidence: Confidence
    reason: str  # plain words, for Candidate.reason
    pos: int  # offset in the redacted text
    evidence: str = ""  # the words matched, shown as the main error's description
    also: tuple[tuple[CauseId, Confidence], ...] = ()  # other causes the same words can mean
    vocabulary: bool = False  # found by the noun+outcome rule, not by a sure string


def rx(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def line_at(text: str, pos: int, most: int = 1000) -> str:
    """The line around ``pos``, at most ``most`` characters either side (a log may be one 2 MB line)."""
    a = max(text.rfind("\n", max(0, pos - most), pos) + 1, pos - most)
    b = text.find("\n", pos, pos + most)
    return text[max(0, a): b if b >= 0 else min(len(text), pos + most)]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower(text: str) -> str:
    """``text`` lower-cased with every offset kept (str.lower may lengthen a few non-ASCII letters)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def has_any(low: str, words: tuple[str, ...]) -> bool:
    """Does lower-cased ``low`` hold one of ``words``? A substring test is far cheaper than a case-insensitive
    alternation over a megabyte: each family's patterns run only when one of its words is there."""
    return any(w in low for w in words)


def window(text: str, start: int, end: int, span: int = 200) -> str:
    return text[max(0, start - span): end + span]


class Findings(list[Finding]):
    """The findings so far, with the helpers the recognisers share."""

    def add(self, family: str, cause: CauseId, conf: Confidence, reason: str, m: re.Match[str] | int,
            *also: tuple[CauseId, Confidence]) -> None:
        pos, evidence = (m, "") if isinstance(m, int) else (m.start(), m[0].strip())
        self.append(Finding(family, cause, conf, reason, pos, evidence[:200], tuple(also)))

    def has(self, family: str | None = None, cause: CauseId | None = None) -> bool:
        return any((family is None or f.family == family) and (cause is None or f.cause == cause) for f in self)




FOCUS_ABOVE = 50_000  # characters: a longer text is read only around the families' words
_FOCUS_PER_WORD = 20
_FOCUS_SPAN = 1000


def focus(text: str, low: str, words: tuple[str, ...]) -> str:
    """``text`` cut down to the stretches around ``words`` (the first few of each), joined by blank lines.

    A 2 MB log is mostly noise; the family patterns are long case-insensitive alternations, so reading only
    where a family word stands keeps the whole reading linear and quick. Short texts are returned whole.
    """
    if len(text) <= FOCUS_ABOVE:
        return text
    spans: list[tuple[int, int]] = []
    for word in words:
        pos = low.find(word)
        for _ in range(_FOCUS_PER_WORD):
            if pos < 0:
                break
            spans.append((max(0, pos - _FOCUS_SPAN), pos + len(word) + _FOCUS_SPAN))
            pos = low.find(word, pos + len(word))
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return "\n\n".join(text[a:b] for a, b in merged)
