"""Merge the family findings (:mod:`checks.rules.families`) with the causes read from Salesforce's answers.

Rules, in order: Salesforce's own answer outranks a vocabulary guess and a wrapper; a wrapper speaks only when
nothing more specific was read; the root failure outranks its consequences (a proxy or TLS failure is *why*
Salesforce could not be reached; a missing or encrypted key file is *why* the key could not be parsed). A
reading says ``high`` only where the text decides it; the others keep their separating check
(:mod:`checks.rules.next_check`).
"""

from __future__ import annotations

from checks.explain.clues import Board
from checks.explain.extract import LOGIN_HISTORY, REST_CODES, Hit
from checks.model import Candidate, CauseId, Confidence
from checks.rules.errors import ErrorKind, kind_of
from checks.rules.families import PROXY, TLS, WRAPPER, Finding

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId
MAX_CANDIDATES = 3  # ranked readings shown; "unknown" may follow them, never lead them
_PROXY_CAUSES = {C.PROXY_AUTH_REQUIRED, C.PROXY_REFUSED, C.PROXY_SCHEME_WRONG}


def salesforce_answered(hits: list[Hit]) -> bool:
    """Is Salesforce's own OAuth answer (a known kind, or a code with its description) in the text?"""
    return any(kind_of(h.error) != ErrorKind.OTHER or h.error.error_description for h in hits if not h.local)


def usable(findings: list[Finding], hits: list[Hit]) -> list[Finding]:
    """The findings that may speak next to ``hits``."""
    answered = salesforce_answered(hits)
    if answered:  # vocabulary guesses never outrank Salesforce's own words
        findings = [f for f in findings if not f.vocabulary]
    # a wrapper speaks only when nothing more specific was read: a family failure, or Salesforce's own words
    # (an OAuth answer, a SOAP/REST fault such as INVALID_LOGIN, a Login History status)
    specific = any(f.family != WRAPPER for f in findings) or answered or any(
        h.error.error in REST_CODES or h.error.error == LOGIN_HISTORY for h in hits)
    return [f for f in findings if f.family != WRAPPER or not specific]


def merge(findings: list[Finding], read: list[Candidate], key_labels: tuple[str, ...]) -> list[Candidate]:
    """Family findings first (they name the root failure), then the causes ``read`` from the answers; capped by
    cause and effect; at most :data:`MAX_CANDIDATES`, "unknown" after them."""
    board = Board()
    add, cap = board.add, board.cap

    for f in findings:
        add(f.cause, f.confidence, f.reason)
        for cid, conf in f.also:
            add(cid, conf, "")
    for c in read:
        add(c.id, c.confidence, c.reason)

    roots = [f for f in findings if f.cause != C.SALESFORCE_UNREACHABLE]
    if any(f.family in (PROXY, TLS) for f in roots):  # still true, but no longer the answer
        cap(C.SALESFORCE_UNREACHABLE, L)
    if any(f.family == PROXY and f.cause == C.SALESFORCE_UNREACHABLE for f in findings):
        cap(C.SALESFORCE_UNREACHABLE, M)
    if (any(f.cause in (C.LOCAL_KEY_UNREADABLE, C.LOCAL_KEY_PASSPHRASE) and f.confidence == H for f in findings)
            and not any(lb.startswith("OPENSSH") for lb in key_labels)):
        cap(C.PRIVATE_KEY_INVALID, L)  # "cannot be coerced" after "failed to open" is the consequence
    if any(f.cause in _PROXY_CAUSES and f.confidence == H for f in findings):
        cap(C.TLS_PROTOCOL, L)

    ranked = board.ranked()
    known = [c for c in ranked if c.id != C.UNKNOWN][:MAX_CANDIDATES]
    return known + [c for c in ranked if c.id == C.UNKNOWN]


def tied_at_top(candidates: list[Candidate]) -> bool:
    return len(candidates) > 1 and candidates[0].confidence == candidates[1].confidence
