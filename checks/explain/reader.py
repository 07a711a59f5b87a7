"""Triage a pasted error: what Salesforce said, and what it most likely means.

Secrets are removed first (:func:`redact`), so nothing found later can carry
them. :mod:`checks.explain.extract` then finds Salesforce's answers and their context (hosts,
usernames, claims), and :mod:`checks.rules.families` the failures that never reached Salesforce
(proxy, TLS, the key file, wrappers). Ranking starts from :func:`checks.rules.errors.base_candidates`,
each clue (:mod:`checks.explain.clues`) moves a cause up or down, and :mod:`checks.explain.ranking`
puts root failures before their consequences. A clue only raises a cause to ``high`` when it decides
the question on its own; otherwise answers stay medium or low and carry the check that separates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checks.rules.advice import AdviceContext
from checks.rules.errors import ErrorKind, base_candidates, kind_of
from checks.rules.families import KEY_FILE, PROXY, TLS, WRAPPER, Finding, recognise
from checks.rules.next_check import next_check as next_check_for
from checks.explain.extract import LOGIN_HISTORY, PRIVATE_KEY, UNREACHABLE, Hit, find_context, find_hits
from checks.explain.clues import HOST_KINDS, Board, exp_clues, host_clues, show
from checks.explain.ranking import merge, tied_at_top, usable
from checks.model import Candidate, CauseId, Confidence, TokenError
from checks.explain.redaction import MAX_CHARS, Redacted, redact  # noqa: F401 - MAX_CHARS and Redacted are re-exported

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId
K = ErrorKind

ASK = ("No Salesforce or JWT error was recognised. Ask for the exact message: what the aprity app showed under "
       "Settings > Connection > Test Connection, or the failing line of the scan log.")
WARNINGS = {
    "private_key": "The pasted text contains a private key. Delete the message wherever it was posted and replace "
                   "the key pair: new key in aprity, new certificate in the Connected App.",
    "access_token": "The pasted text contains an access token. Delete the message and end that session "
                    "(Setup > Session Management) so the token cannot be reused.",
    "secret": "The pasted text contains a consumer secret. Delete the message and rotate the secret in the "
              "Connected App (Manage Consumer Details); the JWT flow never needs it.",
    "password": "The pasted text contains a password. Delete the message and change that password.",
}

# Kinds whose answer is generic: the description (or its absence) gets a clue.
GENERIC_KINDS = {K.OTHER, K.AUTH_FAILURE, K.NO_VALID_SCOPES, K.INVALID_REQUEST}
_LOCAL_LABELS = (PRIVATE_KEY, UNREACHABLE, PROXY, TLS, KEY_FILE)  # errors raised on the caller's side

# The token request's own body or header (curl -H/-d, curl -v's "> " lines), not the JSON response's header.
_JSON_BODY = re.compile(r"(?im)(?:-H\s{0,3}[\"']?|^>\s{0,3})content-type:\s{0,3}application/json"
                        r"|[\"']grant_type[\"']\s{0,3}:")

# Answers that came from Salesforce, but not as JSON: a maintenance page, a server error.
_SERVICE = re.compile(r"(?i)html|maintenance|ERROR_HTTP_5|HTTP/\d(?:\.\d)?\s{1,3}5\d\d|unexpected end of json|unavailable")


@dataclass(frozen=True)
class Explanation:
    found: bool  # a Salesforce/JWT error, or a proxy/TLS/key/wrapper failure, was recognised
    error: TokenError | None  # the main error, verbatim, with the HTTP status when visible
    candidates: list[Candidate]  # ranked via checks.model.rank: at most three, "unknown" only after them
    clues: list[str]  # plain-words reasons drawn from the text
    warnings: list[str]  # secrets seen in the text
    errors: list[TokenError] = field(default_factory=list)  # every error found, in order
    # The check that separates the reading when the text does not decide it (top not high, or a tie).
    next_check: str | None = None

    @property
    def source(self) -> str:
        """Who produced the main error: "salesforce", "local" (a library, a proxy or the network on the caller's
        side), "unavailable" (Salesforce answered with a maintenance page or a server error) or "hidden" (a
        wrapper reported the failure without Salesforce's answer)."""
        e = self.error
        if e is None or e.error == LOGIN_HISTORY:
            return "salesforce"
        if e.error == WRAPPER:
            return "hidden"
        if e.error not in _LOCAL_LABELS:
            return "salesforce"
        if e.error == UNREACHABLE and (_SERVICE.search(e.error_description) or (e.status or 0) >= 500):
            return "unavailable"
        return "local"

    @property
    def local(self) -> bool:
        return self.source == "local"

    def advice_context(self, surface: str = "cli") -> AdviceContext:
        """Context for :func:`checks.rules.advice.advice_for`: an unavailable Salesforce gets no proxy advice."""
        # "External client app is not installed in this org": Salesforce names the app's kind itself.
        said = (self.error.error_description or "").lower() if self.error is not None else ""
        return AdviceContext(surface=surface, unreachable="service" if self.source == "unavailable" else "network",
                             app_type="external_client_app" if "external client app" in said else "unknown")

    def next_check_for(self, surface: str = "cli") -> str | None:
        """:attr:`next_check` worded for ``surface`` ("slack": no shell commands)."""
        if self.next_check is None or not self.candidates:
            return None
        return next_check_for(self.candidates[0].id, surface)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": [c.to_dict() for c in self.candidates],
            "error": self.error.to_dict() if self.error else None,
            "next_check": self.next_check,
        }


def _local_candidates(hit: Hit, text: str, clues: list[str]) -> list[tuple[CauseId, Confidence, str]]:
    code, desc = hit.error.error, hit.error.error_description
    if code == PRIVATE_KEY:
        return [(C.PRIVATE_KEY_INVALID, H, "the private key could not be read as an RSA PEM key")]
    if code == UNREACHABLE and _SERVICE.search(desc):
        return [(C.SALESFORCE_UNREACHABLE, H, "Salesforce answered with a maintenance page or a server error: "
                 "it is unavailable for now")]
    if code == UNREACHABLE:
        if "certificate" in desc.lower():
            clues.append("The TLS error means something between aprity and Salesforce (a proxy or TLS inspection) "
                         "presents its own certificate.")
        return [(C.SALESFORCE_UNREACHABLE, H, "no usable JSON answer came back from the token endpoint")]
    if code == LOGIN_HISTORY:
        if "approved" in desc.lower():
            return [(C.USER_NOT_PREAUTHORIZED, H, "Login History says the user is not approved for the app")]
        return [(C.IP_OR_LOGIN_HOURS, H, "Login History says the login came from a restricted IP")]
    if code == "INVALID_SESSION_ID":
        near = (desc + " " + text[max(0, hit.pos - 400): hit.pos + 400]).lower()
        if "not valid for use with the rest api" in near:  # scopes first; session restrictions tie: never high
            clues.append("\"Not valid for use with the REST API\" follows a successful login: the token lacks the "
                         "api scope, or a session restriction (IP-locked sessions, session level, API Access "
                         "Control) refuses it.")
            return [(C.OAUTH_NOT_ENABLED_OR_SCOPES, M, "a token was issued but it may lack the api scope"),
                    (C.REST_SESSION_INVALID, M, "an IP-locked session, the session level or API Access Control")]
        clues.append("INVALID_SESSION_ID without the REST API wording means the session expired or was revoked: "
                     "the login itself worked.")
        if "session expired or invalid" in near:
            return [(C.SESSION_EXPIRED, H, "the login worked; the token later expired or was revoked")]
        return [(C.SESSION_EXPIRED, M, "the session id was refused after login"),
                (C.REST_SESSION_INVALID, L, "a session restriction refuses it")]
    if code == "INVALID_LOGIN":
        clues.append("INVALID_LOGIN answers a username-password (SOAP) login, never a JWT one: if JWT was meant, the "
                     "client is configured for a password login; if not, check the password, security token and "
                     "lock-out in Login History.")
        return [(C.NOT_JWT_FLOW, H, "INVALID_LOGIN answers a username-password (SOAP) login, not JWT")]
    if code == "INSUFFICIENT_ACCESS":
        low = desc.lower()
        conf = H if ("metadata" in low or "modifyalldata" in low) else M if "metadata" in text.lower() else L
        return [(C.METADATA_ACCESS_MISSING, conf, "the user lacks a permission the Metadata API needs")]
    if code == "URL_NOT_RESET":
        clues.append("URL_NOT_RESET means API calls went to the login host: they must go to the instance_url "
                     "returned with the token (a new My Domain may also still be replicating).")
        return [(C.UNKNOWN, M, "API calls sent to the login host instead of instance_url")]
    return [(C.UNKNOWN, L, "an error this tool does not recognise")]


def _other_clue(error: TokenError, clues: list[str]) -> None:
    desc = error.error_description.lower()
    if "authentication failure" in desc:
        clues.append("\"authentication failure\" comes from password or web logins, not the JWT flow: "
                     "check the client really sends a jwt-bearer grant.")
    elif "no valid scopes defined" in desc:
        clues.append("\"no valid scopes defined\" is a client-credentials answer: "
                     "the client is not using the JWT flow.")
    elif not desc:
        clues.append(f"Only the code {error.error!r} is visible; the error_description that follows it "
                     "decides the cause, so ask for the full message.")


def explain(text: str | bytes, now: float | None = None) -> Explanation:
    """Recognise the error in pasted ``text`` and rank its likely causes.

    ``now`` (epoch seconds) lets an ``exp`` claim in the text be compared with the present.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    red = redact(text or "")
    warnings = [WARNINGS[k] for k in ("private_key", "access_token", "secret", "password") if k in red.secrets]
    hits = find_hits(red.text)
    findings = usable(recognise(red.text, red.key_labels), hits)
    clues: list[str] = []
    if not hits and not findings:
        return Explanation(False, None, [], [ASK], warnings)

    oauth = [h for h in hits if not h.local]
    kinds = {kind_of(h.error) for h in oauth}
    attempts = [h for h in oauth if h.attempt]
    attempt_kinds = {kind_of(h.error) for h in attempts}
    # Salesforce CLI tries several host/audience pairs; "audience is invalid" lines then only show
    # pairs that do not fit the org, unless every other attempt also points at the host.
    noisy_audience = (K.AUDIENCE_INVALID in attempt_kinds and len(attempt_kinds) > 1
                      and K.APP_NOT_FOUND not in attempt_kinds)
    board = Board()
    ordered = sorted(hits, key=lambda h: noisy_audience and kind_of(h.error) == K.AUDIENCE_INVALID and not h.local)
    for h in ordered:
        kind = None if h.local else kind_of(h.error)
        triples = (_local_candidates(h, red.text, clues) if h.local
                   else [(c.id, c.confidence, c.reason) for c in base_candidates(h.error)])
        for cid, conf, why in triples:
            if noisy_audience and kind == K.AUDIENCE_INVALID and conf == H:
                conf = M
            board.add(cid, conf, why)
        if kind in GENERIC_KINDS:
            _other_clue(h.error, clues)

    if len(attempt_kinds) > 1:
        if {K.APP_NOT_FOUND, K.AUDIENCE_INVALID} <= attempt_kinds:
            clues.append("Every CLI attempt failed on the host or the audience: use the org's My Domain URL "
                         "(https://<name>.my.salesforce.com) as both login URL and audience.")
            board.add(C.USERNAME_OR_LOGIN_URL, H, "no host/audience pair the client tried reaches the app")
        elif noisy_audience:
            clues.append("Salesforce CLI tried several host/audience pairs: the \"audience is invalid\" lines "
                         "are pairs that do not fit this org; the other line is the org's real answer.")
    unreachable = any(h.error.error == UNREACHABLE for h in hits)
    host_conf = H if kinds & HOST_KINDS else M if (kinds & GENERIC_KINDS or unreachable) else None
    ctx = find_context(red.text, red.claims)
    if K.NOT_APPROVED in kinds:  # the tie the live check reports too, and what separates it
        user = next((u for u, _ in ctx.users), None)
        clues.append("Salesforce gives this answer both for a user not pre-authorized for the app and for a username "
                     "that does not exist behind the host called; the one check that tells them apart: Setup → Users: "
                     f"does {show(user) if user else 'the integration user'} exist, spelled exactly?")
    if K.UNSUPPORTED_GRANT in kinds and _JSON_BODY.search(red.text):
        clues.append("The token request was sent as JSON: Salesforce reads only a form-encoded body "
                     "(Content-Type: application/x-www-form-urlencoded).")
        board.add(C.REQUEST_MALFORMED, H, "the token request body was JSON, not form-encoded")
    host_clues(board, clues, ctx, hits, kinds, host_conf)
    exp_clues(board, clues, ctx, kinds, now)

    candidates = merge(findings, board.ranked(), red.key_labels)
    clues.extend(f"{show(f.evidence, 80)}: {f.reason}." for f in findings if f.evidence)
    primary = _primary(hits, findings, red.text, candidates)
    if candidates and candidates[0].id == C.UNKNOWN:
        clues.append("The message alone does not name a cause: run the full aprity-diagnose check on the connection.")
    decided = bool(candidates) and candidates[0].confidence == H and not tied_at_top(candidates)
    separating = None if decided or not candidates else next_check_for(candidates[0].id)
    errors = [h.error for h in hits] + [_as_error(f) for f in findings if f.evidence]
    return Explanation(True, primary, candidates, list(dict.fromkeys(clues)), warnings, errors, separating)


def _as_error(f: Finding) -> TokenError:
    return TokenError(None, f.family, f.evidence or f.reason)


def _primary(hits: list[Hit], findings: list[Finding], text: str, candidates: list[Candidate]) -> TokenError:
    """The error that backs the top cause: an answer read in the text, else a family finding; failing that
    the first recognised error."""
    top = candidates[0].id if candidates else None

    def top_of(h: Hit) -> CauseId:
        return _local_candidates(h, text, [])[0][0] if h.local else base_candidates(h.error)[0].id

    for h in hits:
        if top_of(h) == top and (h.local or kind_of(h.error) != K.OTHER):
            return h.error
    for f in findings:
        if f.cause == top:
            return _as_error(f)
    if hits:
        return next((h.error for h in hits if h.local or kind_of(h.error) != K.OTHER), hits[0].error)
    return _as_error(findings[0])
