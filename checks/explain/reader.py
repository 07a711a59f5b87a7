"""Triage a pasted error: what Salesforce said, and what it most likely means.

Secrets are removed first (:func:`redact`), so nothing found later can carry
them. :mod:`checks.explain.extract` then finds the errors and their context (hosts,
usernames, claims); ranking starts from :func:`checks.rules.errors.base_candidates`
and each clue moves a cause up or down. A clue only raises a cause to ``high``
when it decides the question on its own; otherwise answers stay medium or low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checks.rules.advice import AdviceContext
from checks.rules.errors import ErrorKind, base_candidates, kind_of
from checks.rules.families import KEY_FILE, PROXY, TLS, WRAPPER, Finding, recognise
from checks.rules.next_check import next_check as next_check_for
from checks.explain.extract import LOGIN_HISTORY, PRIVATE_KEY, UNREACHABLE, Context, Hit, find_context, find_hits
from checks.explain.ranking import merge, tied_at_top, usable
from checks.salesforce.hosts import LOGIN, TEST, environment_of, is_api_host, is_login_host, my_domain_for, sandbox_suffix
from checks.model import CONFIDENCE_RANK, Candidate, CauseId, Confidence, TokenError, rank
from checks.explain.redaction import MAX_CHARS, Redacted, redact  # noqa: F401 - MAX_CHARS and Redacted are re-exported

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId
K = ErrorKind
# Answers a host/username mix-up can produce; other kinds name their cause on their own.
HOST_KINDS = {K.INVALID_ASSERTION, K.NOT_APPROVED, K.CLIENT_ID_INVALID, K.APP_NOT_FOUND, K.AUDIENCE_INVALID}

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
_COUNTRY_OR_SANDBOX = re.compile(r"(?i)@[^@\s]{1,200}\.(?:com|net|org)\.[a-z]{2}$")

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
        return AdviceContext(surface=surface, unreachable="service" if self.source == "unavailable" else "network")

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


class _Board:
    """Candidates by cause, keeping first-seen order so ties stay in the order evidence arrived."""

    def __init__(self) -> None:
        self.by_id: dict[CauseId, Candidate] = {}

    def add(self, cid: CauseId, conf: Confidence, reason: str) -> None:
        old = self.by_id.get(cid)
        if old is None or CONFIDENCE_RANK[conf] > CONFIDENCE_RANK[old.confidence]:
            self.by_id[cid] = Candidate(cid, conf, reason if old is None or reason else old.reason)

    def promote(self, cid: CauseId) -> None:
        """Put ``cid`` first among its equals: the clue that raised it also explains the others."""
        if cid in self.by_id:
            self.by_id = {cid: self.by_id[cid], **{k: v for k, v in self.by_id.items() if k != cid}}

    def cap(self, cid: CauseId, conf: Confidence) -> None:
        old = self.by_id.get(cid)
        if old is not None and CONFIDENCE_RANK[old.confidence] > CONFIDENCE_RANK[conf]:
            self.by_id[cid] = Candidate(cid, conf, old.reason)

    def ranked(self) -> list[Candidate]:
        return rank(list(self.by_id.values()))


def _show(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


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


def _suggest(host: str) -> str:
    return "https://" + host.replace(".lightning.force.com", ".my.salesforce.com")


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].lower()


def _host_clues(board: _Board, clues: list[str], ctx: Context, hits: list[Hit], kinds: set[ErrorKind],
                host_conf: Confidence | None) -> None:
    """Clues from hosts, usernames, CLI audience notes and aud claims."""
    login_hosts = {h for h in ctx.hosts if is_login_host(h)} | {_host_of(a) for a in ctx.aud if "://" in a}
    sandbox = sorted(h for h in login_hosts if environment_of(h) == "sandbox")
    prod = sorted(h for h in login_hosts if environment_of(h) == "production")
    unreachable = any(h.error.error == UNREACHABLE for h in hits)

    def bump(reason: str, conf: Confidence | None = host_conf) -> None:
        if conf is not None:
            board.add(C.USERNAME_OR_LOGIN_URL, conf, reason)

    def blame_host(reason: str) -> None:
        # The "unreachable" answer came from a host that was never a login host: the URL is the cause.
        bump(reason, H)
        board.cap(C.SALESFORCE_UNREACHABLE, M)
        board.promote(C.USERNAME_OR_LOGIN_URL)

    for h in dict.fromkeys(ctx.hosts):
        if h.endswith(".lightning.force.com") or h.endswith(".salesforce-setup.com"):
            clues.append(f"{_show(h)} is a browser address (Lightning or Setup), not a login host: log in at "
                         f"{my_domain_for(h) or _suggest(h)}.")
            if unreachable:
                blame_host("a *.lightning.force.com address was used as the login URL")
            else:
                bump("a *.lightning.force.com address was used as the login URL",
                     H if kinds & HOST_KINDS else host_conf)
        elif "salesforce" in h and not is_api_host(h):
            clues.append(f"{_show(h)} is not a Salesforce login host; check the login URL for a typo.")
            if unreachable:
                blame_host("the login host is not a Salesforce host")
            else:
                bump("the login host is not a Salesforce host", M if host_conf else None)
    if sandbox and prod:
        clues.append(f"The text mixes sandbox host(s) {', '.join(sandbox)} with production host(s) {', '.join(prod)}: "
                     "a sandbox logs in at https://test.salesforce.com or its sandbox My Domain, production elsewhere.")
        bump("sandbox and production hosts are mixed in one login")

    names = list(dict.fromkeys([u for u, _ in ctx.users] + ctx.sub))
    suffixed = [(u, s) for u in names if (s := sandbox_suffix(u))]
    for user, suffix in suffixed[:3]:
        if prod:
            clues.append(f"The username {_show(user)} ends in .{suffix}, the mark of a sandbox user, but the login "
                         f"went to production ({', '.join(prod)}): use https://test.salesforce.com "
                         "or the sandbox My Domain.")
            bump("a sandbox username was sent to a production login host")
        elif sandbox:
            clues.append(f"The username {_show(user)} and the host {sandbox[0]} both point at a sandbox; they agree.")
    for user in [u for u in names if _COUNTRY_OR_SANDBOX.search(u) and not sandbox_suffix(u)][:1]:
        if prod:  # ".qa" is Qatar's domain, or a sandbox named qa: the text cannot say which
            clues.append(f"The username {_show(user)} ends in a two-letter suffix: a sandbox of that name (then log "
                         "in at https://test.salesforce.com or the sandbox My Domain), or a country domain.")
            bump("a username that may be a sandbox user's was sent to a production login host", M)
    labelled = [u for u, is_labelled in ctx.users if is_labelled and not sandbox_suffix(u)]
    if labelled and sandbox and not prod and not suffixed:
        clues.append(f"The username {_show(labelled[0])} has no sandbox suffix but the host {sandbox[0]} is a sandbox: "
                     "sandbox usernames usually end with .<sandbox name>.")
        bump("a production-style username was sent to a sandbox host", M if host_conf else None)

    multi = sum(1 for h in hits if h.attempt) > 1
    for aud, login in ctx.pairs:
        env_a, env_l = environment_of(aud), environment_of(login)
        if aud.lower().startswith("http://"):
            clues.append(f"The audience {_show(aud)} uses http://; Salesforce only accepts an https:// audience.")
            bump("the audience uses http://", H if K.AUDIENCE_INVALID in kinds else host_conf)
        elif "unknown" not in (env_a, env_l) and env_a != env_l and not multi:
            clues.append(f"The audience {_show(aud)} is a {env_a} host but the token request went to {_show(login)} "
                         f"({env_l}): the two must match the org.")
            bump("audience and token host disagree about production vs sandbox", H)
    for aud in dict.fromkeys(ctx.aud):
        if aud.lower().startswith("http://"):
            clues.append(f"The assertion's aud {_show(aud)} uses http://; it must be an https:// URL.")
            bump("the aud claim uses http://", H if K.AUDIENCE_INVALID in kinds else host_conf)
        elif aud and "://" not in aud:
            clues.append(f"The assertion's aud {_show(aud)} is not a full URL; write it as https://{_show(aud)}.")
            bump("the aud claim is not a full https URL", H if K.AUDIENCE_INVALID in kinds else host_conf)

    if K.APP_NOT_FOUND in kinds:
        used = {_host_of(login) for _, login in ctx.pairs} | login_hosts
        generic = sorted(h for h in used if h in (LOGIN, TEST))
        my_domains = sorted(h for h in used if is_login_host(h) and h not in (LOGIN, TEST))
        target = (f"https://{my_domains[0]}" if my_domains
                  else "the org's My Domain URL (https://<name>.my.salesforce.com)")
        if generic:
            clues.append(f"External Client Apps (Spring '26 and later) are not found through {', '.join(generic)}: "
                         f"use {target} for both the login URL and the audience.")
            board.add(C.USERNAME_OR_LOGIN_URL, H, "the app was looked up through a generic login host")
        elif my_domains:
            clues.append(f"The request already went to the My Domain {my_domains[0]}: the app may not be installed "
                         "in this org, or the consumer key belongs to another org.")
            board.add(C.CONSUMER_KEY_MISMATCH, M, "the app is not installed in the org behind the My Domain")


def _exp_clues(board: _Board, clues: list[str], ctx: Context, kinds: set[ErrorKind], now: float | None) -> None:
    for exp in dict.fromkeys(ctx.exp):
        if exp > 10**11:
            clues.append(f"exp {exp} is in milliseconds, i.e. far in the future; Salesforce accepts that, "
                         "so expiry is not what failed.")
            board.cap(C.CLOCK_SKEW_OR_EXPIRY, M if K.EXPIRED in kinds else L)
        elif now is not None and exp < now - 180:
            clues.append(f"exp {exp} was {int((now - exp) // 60)} minutes in the past when checked: "
                         "the signing clock or the exp arithmetic is wrong.")
            board.add(C.CLOCK_SKEW_OR_EXPIRY, H, "the assertion's exp is already in the past")


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
    board = _Board()
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
                     f"does {_show(user) if user else 'the integration user'} exist, spelled exactly?")
    if K.UNSUPPORTED_GRANT in kinds and _JSON_BODY.search(red.text):
        clues.append("The token request was sent as JSON: Salesforce reads only a form-encoded body "
                     "(Content-Type: application/x-www-form-urlencoded).")
        board.add(C.REQUEST_MALFORMED, H, "the token request body was JSON, not form-encoded")
    _host_clues(board, clues, ctx, hits, kinds, host_conf)
    _exp_clues(board, clues, ctx, kinds, now)

    candidates = merge(findings, board.ranked(), red.key_labels)
    clues.extend(f"{_show(f.evidence, 80)}: {f.reason}." for f in findings if f.evidence)
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
