"""From what Salesforce said (plus probes and local evidence) to ranked causes.

Three inputs, combined the way a support engineer would:

1. the token endpoint's answer (:func:`checks.rules.errors.base_candidates`),
2. probes that vary one input at a time (another login host, another audience,
   an audience nobody accepts to learn whether the signature verified),
3. local evidence: key vs certificate, consumer key shape, username suffix vs host.

Confidence stays medium or low unless a probe or local fact decides: a wrong
answer stated confidently costs a customer more than an honest "one of these".
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.rules.errors import ErrorKind, base_candidates
from checks.rules.facts import BOGUS_AUDIENCE, Facts, ProbeKind, ProbePlan
from checks.salesforce.hosts import LOGIN, TEST, environment_of, sandbox_suffix
from checks.model import Candidate, CauseId, Confidence, rank

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId
LOGIN_URL = f"https://{LOGIN}"
TEST_URL = f"https://{TEST}"
CONSUMER_KEY_PREFIX = "3MVG9"
CONSUMER_KEY_LENGTH = 85


# Answers that come after Salesforce found the app for ``iss`` (in the order the simulator,
# and the reference's evidence, suggest).
_KEY_KNOWN = (ErrorKind.NOT_APPROVED, ErrorKind.NOT_ADMIN_APPROVED, ErrorKind.EXPIRED, ErrorKind.IP_RESTRICTED,
              ErrorKind.INACTIVE_USER, ErrorKind.INACTIVE_ORG, ErrorKind.RATE_LIMITED, ErrorKind.AUDIENCE_INVALID,
              ErrorKind.INVALID_ASSERTION)
KEY_KNOWN = _KEY_KNOWN


def consumer_key_looks_right(key: str) -> bool:
    """Every Salesforce consumer key seen is 85 characters starting 3MVG9 (observed, not documented)."""
    return len(key) == CONSUMER_KEY_LENGTH and key.startswith(CONSUMER_KEY_PREFIX)


def _generic_for(origin: str) -> str | None:
    env = environment_of(origin)
    return TEST_URL if env == "sandbox" else LOGIN_URL if env == "production" else None


def plan_probes(origin: str, kind: ErrorKind, my_domain: str | None = None) -> list[ProbePlan]:
    """Second-round requests worth making for this answer; each varies one input.

    ``my_domain``: the org's My Domain learned earlier (a login's instance URL). From a generic
    host it is worth one more try there: an External Client App answers only on it.
    """
    plans: list[ProbePlan] = []
    generic = _generic_for(origin)
    if generic is None:  # an extra (test or private) origin: no Salesforce neighbours to try
        return plans
    other = TEST_URL if generic == LOGIN_URL else LOGIN_URL
    is_generic_host = origin in (LOGIN_URL, TEST_URL)
    if kind in (ErrorKind.INVALID_ASSERTION, ErrorKind.NOT_APPROVED, ErrorKind.CLIENT_ID_INVALID,
                ErrorKind.AUDIENCE_INVALID):
        if not is_generic_host:  # My Domain: its own environment's generic host...
            plans.append(ProbePlan(ProbeKind.HOST, generic, generic))
        # ...and the other environment's: a sandbox user sent to production, or the reverse.
        plans.append(ProbePlan(ProbeKind.HOST, other, other))
    if not is_generic_host and kind in (ErrorKind.AUDIENCE_INVALID, ErrorKind.NOT_APPROVED,
                                        ErrorKind.APP_NOT_FOUND):
        # GovCloud-style orgs want the token on My Domain but aud = login/test.
        plans.append(ProbePlan(ProbeKind.AUDIENCE, origin, generic))
    if is_generic_host and kind == ErrorKind.APP_NOT_FOUND:
        plans.append(ProbePlan(ProbeKind.HOST, other, other))
    if is_generic_host and my_domain and my_domain not in (origin, other) and kind in (
            ErrorKind.APP_NOT_FOUND, ErrorKind.CLIENT_ID_INVALID, ErrorKind.NOT_APPROVED, ErrorKind.INVALID_ASSERTION):
        plans.append(ProbePlan(ProbeKind.HOST, my_domain, my_domain))
    if kind == ErrorKind.INVALID_ASSERTION:
        plans.append(ProbePlan(ProbeKind.SIGNATURE, origin, BOGUS_AUDIENCE))
    return plans


@dataclass(frozen=True)
class Verdict:
    candidates: list[Candidate]
    evidence: list[str]
    retryable: bool
    ok: bool = False
    separating_check: str | None = None  # set when the top causes are tied


def unreachable_side(facts: Facts) -> str:
    """Whose side a missing answer is on: "service" (Salesforce answered badly), "host" (login.salesforce.com
    answers, the configured host does not), "network" (aprity's host cannot reach Salesforce), or "unknown"
    (no complete answer in time, or not asked: Salesforce slow, or something in between)."""
    reply = facts.reply
    if reply is None or reply.error is None or reply.error.status is not None:
        return "service"
    if facts.well_known_resolves is True:
        return "host"
    if reply.timed_out or (facts.well_known_resolves is None and facts.login_origin != LOGIN_URL):
        return "unknown"
    return "network"


def _judge_unreachable(facts: Facts, host: str) -> Verdict:
    """No usable answer: our network, their host name, or Salesforce itself."""
    reply = facts.reply
    assert reply is not None and reply.error is not None
    said = reply.error.error_description
    shown = host.split("://", 1)[-1]
    side = unreachable_side(facts)
    if side == "service":  # an HTTP answer that is not JSON: Salesforce is having trouble
        return Verdict([Candidate(C.SALESFORCE_UNREACHABLE, H, "Salesforce answered without a usable body")],
                       [f"{shown} answered, but not as a token endpoint does ({said}): Salesforce is unavailable "
                        "or in maintenance. Nothing needs changing on either side; the automatic retests will tell "
                        "when it is back."], retryable=True)
    if side == "host" and reply.dns_failure:
        return Verdict([Candidate(C.USERNAME_OR_LOGIN_URL, H, "login host does not exist")],
                       [f"{LOGIN} answers from aprity's host, but {shown} does not resolve: the host name is "
                        "probably mistyped."], retryable=False)
    if side == "host":
        return Verdict([Candidate(C.SALESFORCE_UNREACHABLE, H, f"{shown} did not answer")],
                       [f"{LOGIN} answers from aprity's host, but {shown} did not ({said}). The automatic "
                        "retests will tell whether it comes back."], retryable=True)
    if side == "unknown":  # timed out (Salesforce may be slow), or the run's time ran out before asking
        return Verdict([Candidate(C.SALESFORCE_UNREACHABLE, H, f"{shown} did not answer")],
                       [f"{shown} gave no usable answer ({said}): Salesforce may be slow or in an incident, or "
                        "something between aprity and Salesforce holds the connection. The org's configuration "
                        "was not reached; the automatic retests will tell whether it comes back."], retryable=True)
    return Verdict([Candidate(C.SALESFORCE_UNREACHABLE, H, "aprity's host cannot reach Salesforce")],
                   [f"aprity's host could not reach {LOGIN if facts.well_known_resolves is False else shown} "
                    f"({said}): the DNS, outbound network or proxy of the machine running aprity is failing, not the "
                    "org's configuration. The automatic retests will tell when it is back."], retryable=True)


# Causes Salesforce answers identically, and the one check that tells them apart.
def _separating_check(facts: Facts, a: CauseId, b: CauseId) -> str | None:
    pair = {a, b}
    if pair == {C.USER_NOT_PREAUTHORIZED, C.USERNAME_OR_LOGIN_URL}:
        return f"Setup → Users: does {facts.connection.username} exist?"
    if pair == {C.CERTIFICATE_MISMATCH, C.DIGITAL_SIGNATURES_DISABLED}:
        app = facts.connection.connected_app or "aprity"
        eca = (f"Setup → External Client App Manager → {app} ▼ → Edit Settings → OAuth Settings → Flow Enablement: "
               "is \"Enable JWT Bearer Flow\" checked, with a certificate?")
        ca = f"Setup → App Manager → {app} ▼ → Edit: is \"Use digital signatures\" checked, with a certificate?"
        both = "Uploading the certificate made from aprity's key fixes either."
        if facts.app_type == "external_client_app":
            return f"{eca} {both}"
        if facts.app_type == "connected_app":
            return f"{ca} {both}"
        return f"{eca} (For an older Connected App: {ca.removeprefix('Setup → ')}) {both}"
    return None


def _finish(facts: Facts, cands: list[Candidate], evidence: list[str], retryable: bool) -> Verdict:
    """Rank, and name the check that separates two tied leading causes."""
    ranked = rank(cands)
    check = None
    if len(ranked) >= 2 and ranked[0].confidence == ranked[1].confidence != H:
        check = _separating_check(facts, ranked[0].id, ranked[1].id)
        if check is not None and facts.error_kind == ErrorKind.NOT_APPROVED:
            user, where = facts.connection.username, (facts.login_origin or "").split("://", 1)[-1]
            evidence.append(f"Salesforce gives the same answer when {user} is not pre-authorized for the app and when "
                            f"no user {user} exists behind {where}: the two stay tied. {check}")
        elif check is not None:
            evidence.append(f"Salesforce's answer is the same for both; the one check that tells them apart: {check}")
    return Verdict(ranked, evidence, retryable, separating_check=check)


def judge(facts: Facts) -> Verdict:
    """Rank the causes for everything ``facts`` holds."""
    conn = facts.connection
    if facts.key_problem is not None:
        return Verdict([Candidate(C.PRIVATE_KEY_INVALID, H, str(facts.key_problem))],
                       [f"The private key cannot be used: {facts.key_problem}"], retryable=False)
    if facts.url_problem is not None:
        return Verdict([Candidate(C.USERNAME_OR_LOGIN_URL, H, facts.url_problem)],
                       [f"The login URL was refused before any call: {facts.url_problem}"], retryable=False)
    reply = facts.reply
    if reply is None:
        return Verdict([Candidate(C.UNKNOWN, L, "no request was made")], [], retryable=True)
    if reply.ok:
        return _judge_success(facts)

    evidence: list[str] = []
    kind = facts.error_kind
    assert kind is not None and reply.error is not None
    cands = base_candidates(reply.error)
    host = facts.login_origin or conn.login_url
    suffix = sandbox_suffix(conn.username)
    env = environment_of(host)

    if kind == ErrorKind.UNREACHABLE:
        return _judge_unreachable(facts, host)

    # Local evidence first: it needs no interpretation of Salesforce's words.
    if kind == ErrorKind.INVALID_ASSERTION and facts.cert_matches is False:
        cands.insert(0, Candidate(C.CERTIFICATE_MISMATCH, H, "the certificate on file was not made from this key"))
        evidence.append("The certificate on file does not belong to the private key aprity signs with.")
    if kind == ErrorKind.CLIENT_ID_INVALID and not consumer_key_looks_right(conn.consumer_key):
        cands.insert(0, Candidate(C.CONSUMER_KEY_MISMATCH, H, "the consumer key does not have Salesforce's shape"))
        evidence.append(f"The consumer key is {len(conn.consumer_key)} characters long; Salesforce keys are "
                        f"{CONSUMER_KEY_LENGTH} characters starting {CONSUMER_KEY_PREFIX}.")
    if suffix and env == "production" and kind in (ErrorKind.INVALID_ASSERTION, ErrorKind.NOT_APPROVED,
                                                   ErrorKind.CLIENT_ID_INVALID, ErrorKind.AUDIENCE_INVALID):
        cands.append(Candidate(C.USERNAME_OR_LOGIN_URL, M, "sandbox username on a production login host"))
        evidence.append(f"The username ends in .{suffix}, a sandbox suffix, but {host} is a production host.")
    if not suffix and env == "sandbox" and kind in (ErrorKind.INVALID_ASSERTION, ErrorKind.NOT_APPROVED,
                                                    ErrorKind.AUDIENCE_INVALID):
        cands.append(Candidate(C.USERNAME_OR_LOGIN_URL, M, "production-style username on a sandbox host"))
        evidence.append(f"{host} is a sandbox host, but the username has no sandbox suffix "
                        "(sandbox usernames end in .<sandbox name>).")

    # Probes: the strongest evidence there is.
    accepted = facts.accepted_elsewhere()
    if accepted is not None:
        where = accepted.plan.origin.split("://", 1)[-1]
        if accepted.plan.kind == ProbeKind.HOST:
            what = "this user lives in a sandbox" if environment_of(accepted.plan.origin) == "sandbox" \
                else "this user lives in a production org"
            evidence.append(f"The same login is accepted by {where}: {what}. Use {accepted.plan.origin} "
                            "as the login URL.")
        else:
            evidence.append(f"{where} accepts the login when aud is {accepted.plan.audience}: "
                            "keep this host for the token request but use that audience.")
        # The fix is on aprity's side (login URL or audience): waiting for Salesforce changes nothing.
        return Verdict([Candidate(C.USERNAME_OR_LOGIN_URL, H, f"accepted by {accepted.plan.label}")],
                       evidence, retryable=False)

    for probe in facts.probes_of(ProbeKind.HOST):
        where = probe.plan.origin.split("://", 1)[-1]
        other_env = environment_of(probe.plan.origin)
        if probe.kind in _KEY_KNOWN and kind in (ErrorKind.CLIENT_ID_INVALID, ErrorKind.APP_NOT_FOUND):
            evidence.append(f"{where} knows this consumer key ({probe.reply.error.fingerprint()}) while "
                            f"{host.split('://')[-1]} does not: the app lives behind {where}.")
            # 'invalid assertion' implies a known key only if Salesforce finds the app before
            # checking the signature (inferred, not documented), and something else fails there.
            level = M if probe.kind == ErrorKind.INVALID_ASSERTION else H
            if level == M:
                evidence.append(f"{where} then refused the assertion itself: a certificate or username "
                                "problem may remain there.")
            if (suffix is not None) == (other_env == "sandbox"):
                # The username agrees with the other host: that is where this login belongs.
                # Replace weaker entries: rank() breaks ties by an id's last position.
                cands = [c for c in cands if c.id != C.USERNAME_OR_LOGIN_URL or c.confidence == H]
                cands.insert(0, Candidate(C.USERNAME_OR_LOGIN_URL, level, f"consumer key known at {where}"))
            else:
                # It does not: either the login URL is wrong, or the key is the other org's app.
                evidence.append(f"The username does not look like a {other_env} user, so the consumer key may "
                                f"belong to the {other_env} org's app instead of this org's.")
                cands = _raise(cands, C.USERNAME_OR_LOGIN_URL, M)
                cands = _raise(cands, C.CONSUMER_KEY_MISMATCH, M)
        elif probe.kind is not None:
            if other_env == env:  # only a My Domain's own generic host: says nothing about the other one
                evidence.append(f"{where} also refuses it ({probe.reply.error.fingerprint()}), so the generic "
                                f"{env} host does not help either.")
            else:
                evidence.append(f"{where} also refuses it ({probe.reply.error.fingerprint()}), so switching "
                                "between production and sandbox hosts does not help.")
            if kind == ErrorKind.NOT_APPROVED and not suffix:
                cands = _raise(cands, C.USER_NOT_PREAUTHORIZED, M)

    if kind == ErrorKind.NOT_APPROVED and not any(c.confidence == H for c in cands):
        # An unknown username gets the very same answer as an unapproved user: a tie, not a ranking.
        cands = _raise(cands, C.USERNAME_OR_LOGIN_URL, M)
        cands = _raise(cands, C.USER_NOT_PREAUTHORIZED, M)
    if facts.app_found and facts.signature_verified:
        # The app was found (so OAuth is on) and the signature verified: OAuth settings are not the problem.
        cands = [c for c in cands if c.id != C.OAUTH_NOT_ENABLED_OR_SCOPES]

    verified = facts.signature_verified
    if kind == ErrorKind.INVALID_ASSERTION and verified is True:
        evidence.append("With an audience nobody accepts, Salesforce answers 'audience is invalid': the "
                        "signature verified, so the certificate and digital signatures are fine.")
        cands = [c for c in cands if c.id not in (C.CERTIFICATE_MISMATCH, C.DIGITAL_SIGNATURES_DISABLED)]
        cands = _raise(cands, C.USERNAME_OR_LOGIN_URL, M)
    elif kind == ErrorKind.INVALID_ASSERTION and verified is False:
        evidence.append("Even with an audience nobody accepts, Salesforce still answers 'invalid assertion': "
                        "the signature does not verify against the certificate the app in Salesforce holds.")
        cands = [c for c in cands if c.id != C.USERNAME_OR_LOGIN_URL or c.confidence == H]
        if facts.cert_matches is True:
            evidence.append("The certificate on file matches the key, so the app in Salesforce holds another "
                            "certificate, or none (JWT Bearer Flow / digital signatures off).")
        else:
            evidence.append("The app in Salesforce holds another certificate, or none (JWT Bearer Flow / "
                            "digital signatures off); Salesforce's answer is the same for both.")
        # Cannot be told apart from outside: both stay medium, the commoner cause first.
        cands = _raise(cands, C.DIGITAL_SIGNATURES_DISABLED, M)
        cands = _raise(cands, C.CERTIFICATE_MISMATCH, M)

    if kind == ErrorKind.APP_NOT_FOUND and host in (LOGIN_URL, TEST_URL):
        evidence.append("External Client Apps answer only on the org's My Domain URL since Spring '26.")
        # The answer names an External Client App for this key: the key is not in question, the host is.
        cands = [c for c in _raise(cands, C.USERNAME_OR_LOGIN_URL, H) if c.id != C.CONSUMER_KEY_MISMATCH]
    top = rank(cands)[0] if cands else None
    aprity_side = top is not None and top.confidence == H and (
        top.id == C.USERNAME_OR_LOGIN_URL
        or (top.id == C.CONSUMER_KEY_MISMATCH and not consumer_key_looks_right(conn.consumer_key)))
    if aprity_side:  # a change in aprity's connection takes effect at once: no propagation, no retest wait
        return _finish(facts, cands, evidence, retryable=False)
    if kind in (ErrorKind.CLIENT_ID_INVALID, ErrorKind.NOT_APPROVED, ErrorKind.INVALID_ASSERTION):
        evidence.append("If the app in Salesforce was changed in the last 10 minutes, Salesforce may still be "
                        "propagating it: the automatic retests will tell.")
    return _finish(facts, cands, evidence, retryable=True)


def _raise(cands: list[Candidate], cause: CauseId, to: Confidence) -> list[Candidate]:
    """Set ``cause`` to at least ``to`` (adding it if absent); ranking happens later."""
    out = [c for c in cands if c.id != cause]
    existing = next((c for c in cands if c.id == cause), None)
    reason = existing.reason if existing else ""
    order = {H: 3, M: 2, L: 1}
    level = to if existing is None or order[to] > order[existing.confidence] else existing.confidence
    return [Candidate(cause, level, reason)] + out


def _judge_success(facts: Facts) -> Verdict:
    reply = facts.reply
    assert reply is not None
    evidence = [f"Salesforce issued a token at {reply.url.split('/services')[0]} with scopes: "
                f"{' '.join(reply.scope) or '(none listed)'}."]
    ver = facts.verification or None
    lacks_api = "api" not in reply.scope and "full" not in reply.scope
    if lacks_api and ver is not None and ver.organization is not None and ver.organization.ok:
        # A live REST answer outweighs the scope list (which may be absent or spelled differently).
        evidence.append("The scope list does not name 'api', yet the REST API answered: going by the live calls.")
    elif lacks_api:
        evidence.append("The granted scopes lack 'api': every REST and Metadata call will be refused.")
        return Verdict([Candidate(C.OAUTH_NOT_ENABLED_OR_SCOPES, H, "api scope missing")], evidence, retryable=True)
    if ver is None:
        return Verdict([Candidate(C.UNKNOWN, L, "verification did not run")], evidence, retryable=True)
    org = ver.organization
    if org is not None and not org.ok and org.code == "INVALID_SESSION_ID":
        evidence.append(f"The REST API refused the token: {org.message}.")
        return Verdict([Candidate(C.OAUTH_NOT_ENABLED_OR_SCOPES, H, "REST API refused the session")], evidence,
                       retryable=True)
    if org is not None and not org.ok and org.code == "API_CURRENTLY_DISABLED":
        evidence.append(f"The REST API is disabled for this user: {org.message}.")
        return Verdict([Candidate(C.METADATA_ACCESS_MISSING, H, "the user lacks the API Enabled permission")],
                       evidence, retryable=True)
    meta = ver.metadata
    if meta is not None and not meta.ok and meta.code == "INSUFFICIENT_ACCESS":
        evidence.append(f"describeMetadata was refused: {meta.message}")
        return Verdict([Candidate(C.METADATA_ACCESS_MISSING, H, "Metadata API permission missing")], evidence,
                       retryable=True)
    identity = ver.identity
    if identity is not None and not identity.ok and org is not None and org.ok and meta is not None and meta.ok:
        # The Org ID also comes from the Organization query: a failed identity read alone is not a failure.
        evidence.append(f"The identity URL did not answer ({identity.code}); the Org ID comes from the "
                        "Organization query instead.")
        return Verdict([], evidence, retryable=True, ok=True)
    failed = [(name, r) for name, r in (("identity", identity), ("Organization query", org),
                                        ("describeMetadata", meta)) if r is None or not r.ok]
    if failed:
        for name, r in failed:
            evidence.append(f"{name} failed: {r.code if r else 'not run'} {r.message if r else ''}".strip())
        unreachable = all(r is not None and r.code in ("UNREACHABLE", "NOT_JSON", "NOT_XML", "TOO_LARGE")
                          for _, r in failed)
        cause = C.SALESFORCE_UNREACHABLE if unreachable else C.UNKNOWN
        return Verdict([Candidate(cause, M, "verification calls failed")], evidence, retryable=True)
    evidence.append("Identity, Organization query and describeMetadata all answered.")
    return Verdict([], evidence, retryable=True, ok=True)
