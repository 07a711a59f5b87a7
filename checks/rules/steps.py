"""One function per check, in the guide's order: facts + verdict → a step result.

Each check states what it saw (``finding``); a failing or doubtful one carries
"how to verify" and "how to fix" from :mod:`checks.rules.advice`. Checks do no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from checks.crypto import keys
from checks.rules.advice import AdviceContext, advice_for
from checks.rules.causes import CONSUMER_KEY_LENGTH, CONSUMER_KEY_PREFIX, Verdict, consumer_key_looks_right
from checks.rules.errors import ErrorKind
from checks.rules.facts import Facts
from checks.salesforce.hosts import environment_of, is_login_host, my_domain_name, sandbox_suffix
from checks.model import STEP_TITLES, CauseId, Confidence, Status, StepId, StepResult

C = CauseId
SKEW_WARN_SECONDS = 60
EXPIRY_WARN_DAYS = 30

Check = Callable[[Facts, Verdict, AdviceContext], StepResult]

# Causes that have a step of their own, which shows their advice.
OWN_STEP: dict[CauseId, StepId] = {
    C.PRIVATE_KEY_INVALID: StepId.PRIVATE_KEY,
    C.CERTIFICATE_MISMATCH: StepId.CERTIFICATE,
    C.CONSUMER_KEY_MISMATCH: StepId.CONSUMER_KEY,
    C.OAUTH_NOT_ENABLED_OR_SCOPES: StepId.OAUTH_SETTINGS,
    C.DIGITAL_SIGNATURES_DISABLED: StepId.DIGITAL_SIGNATURES,
    C.USER_NOT_PREAUTHORIZED: StepId.PRE_AUTHORIZATION,
    C.USERNAME_OR_LOGIN_URL: StepId.USERNAME_LOGIN_URL,
    C.CLOCK_SKEW_OR_EXPIRY: StepId.CLOCK,
}


def _with_advice(step: StepId, status: Status, finding: str, cause: CauseId, ctx: AdviceContext,
                 detail: tuple[str, ...] = ()) -> StepResult:
    if status in (Status.PASS, Status.SKIP):
        return StepResult(step, status, finding, detail=detail)
    advice = advice_for(cause, ctx)
    return StepResult(step, status, finding, verify=advice.verify, fix=advice.fix, detail=detail,
                      links=advice.links)


def _standing(verdict: Verdict, cause: CauseId) -> Status | None:
    """FAIL only when ``cause`` leads the verdict at high confidence; WARN when it is merely possible."""
    if verdict.ok or not verdict.candidates:
        return None
    top = verdict.candidates[0]
    if top.id == cause and top.confidence == Confidence.HIGH and verdict.separating_check is None:
        return Status.FAIL
    if any(c.id == cause for c in verdict.candidates):
        return Status.WARN
    return None


def _host(f: Facts) -> str:
    return (f.login_origin or f.connection.login_url).split("://", 1)[-1]


def check_private_key(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    if f.key is None:
        problem = f.key_problem or "no private key was loaded"
        return _with_advice(StepId.PRIVATE_KEY, Status.FAIL, str(problem), C.PRIVATE_KEY_INVALID, ctx)
    bits = keys.key_bits(f.key)
    return StepResult(StepId.PRIVATE_KEY, Status.PASS, f"RSA {bits}-bit private key loaded",
                      detail=(f"SHA-256 of the public half of aprity's private key: "
                              f"{keys.public_key_fingerprint(f.key)}",))


def check_certificate(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.CERTIFICATE, C.CERTIFICATE_MISMATCH
    detail: list[str] = []
    if f.cert_problem is not None:
        return _with_advice(step, Status.FAIL, f"certificate file unusable: {f.cert_problem}", cause, ctx)
    # Dates are judged by Salesforce's clock when its Date header was read: a slow local clock must not
    # make a good certificate look "not valid yet" (the clock step reports the skew itself).
    server = f.reply.server_date if f.reply is not None else None
    facts = keys.certificate_facts(f.cert, server or datetime.fromtimestamp(f.now, timezone.utc)) if f.cert else None
    if f.cert is not None and f.key is None:
        return StepResult(step, Status.SKIP, "not compared: the private key did not load")
    if f.cert is not None and facts is not None:
        whose = "made from aprity's key" if f.cert_matches else "NOT made from aprity's key"
        detail.append(f"Certificate file of the connection (certificate_file, {whose}): subject "
                      f"{f.cert.subject.rfc4514_string()}, valid {facts.not_before:%Y-%m-%d} to "
                      f"{facts.not_after:%Y-%m-%d}, SHA-256 {keys.fingerprint_sha256(f.cert)}")
        if f.cert_matches is False and v.ok:
            return StepResult(step, Status.WARN, "the login works, so the app in Salesforce holds the right "
                              "certificate, but the certificate file on disk was not made from aprity's key: it is "
                              "stale",
                              fix=("Replace the certificate file of the connection with the one matching the key, "
                                   "or remove certificate_file from the connection.",), detail=tuple(detail))
        if f.cert_matches is False:
            return _with_advice(step, Status.FAIL, "the certificate on file was not made from the private key "
                                "aprity signs with", cause, ctx, tuple(detail))
        if facts.too_large:
            return _with_advice(step, Status.FAIL, f"certificate is {facts.der_size} bytes; Salesforce refuses "
                                "uploads of 4 KB or more (upload the DER form)", cause, ctx, tuple(detail))
    standing = _standing(v, cause)
    if standing is not None:
        verdict_finding = ("Salesforce could not verify the signature with the certificate the app in Salesforce holds"
                           if f.signature_verified is False else
                           "'invalid assertion' usually means the app holds another certificate")
        return _with_advice(step, standing, verdict_finding, cause, ctx, tuple(detail))
    if facts is not None:
        if facts.expired or facts.not_yet_valid:
            when = (f"expired (valid until {facts.not_after:%Y-%m-%d})" if facts.expired else
                    f"is not valid yet (valid from {facts.not_before:%Y-%m-%d %H:%M} UTC)")
            return _with_advice(step, Status.WARN, f"certificate matches the key but {when}", cause, ctx,
                                tuple(detail))
        if facts.days_left < EXPIRY_WARN_DAYS:
            return _with_advice(step, Status.WARN, f"certificate matches the key but expires on "
                                f"{facts.not_after:%Y-%m-%d} ({facts.days_left} days left): upload a new one "
                                "before then", cause, ctx, tuple(detail))
        if f.signature_verified:
            return StepResult(step, Status.PASS, "matches the private key, and Salesforce verified the signature",
                              detail=tuple(detail))
        return StepResult(step, Status.PASS, "matches the private key", detail=tuple(detail))
    if f.signature_verified:
        return StepResult(step, Status.PASS, "Salesforce verified the signature: the app holds the matching "
                          "certificate", detail=tuple(detail))
    return StepResult(step, Status.SKIP, "no certificate file configured, and Salesforce did not get far "
                      "enough to tell", detail=tuple(detail))


def check_consumer_key(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.CONSUMER_KEY, C.CONSUMER_KEY_MISMATCH
    key = f.connection.consumer_key
    shape_ok = consumer_key_looks_right(key)
    shape = (f"{len(key)} characters starting {key[:5]}" if not shape_ok else
             f"{CONSUMER_KEY_LENGTH} characters starting {CONSUMER_KEY_PREFIX}")
    standing = _standing(v, cause)
    if standing is not None:
        if f.error_kind == ErrorKind.APP_NOT_FOUND:
            finding = (f"no app with this key is installed behind {_host(f)} ({shape}); check it is the key of "
                       "the org's own app")
        elif standing == Status.FAIL:
            finding = f"Salesforce did not recognise this consumer key ({shape})"
        else:
            finding = f"possible: the key may belong to another app or org ({shape})"
        return _with_advice(step, standing, finding, cause, ctx)
    if f.app_found:
        return StepResult(step, Status.PASS, "Salesforce recognised the consumer key")
    if not shape_ok:
        return _with_advice(step, Status.WARN, f"unusual shape: {shape}; keys seen so far are "
                            f"{CONSUMER_KEY_LENGTH} characters starting {CONSUMER_KEY_PREFIX}", cause, ctx)
    return StepResult(step, Status.SKIP, f"shape looks right ({shape}); Salesforce's verdict unknown")


def check_oauth_settings(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.OAUTH_SETTINGS, C.OAUTH_NOT_ENABLED_OR_SCOPES
    reply = f.reply
    standing = _standing(v, cause)
    if reply is not None and reply.ok:
        scopes = " ".join(reply.scope) or "none"
        if standing is not None:
            return _with_advice(step, Status.FAIL, f"token granted without the api scope (scopes: {scopes})",
                                cause, ctx)
        return StepResult(step, Status.PASS, f"OAuth is on; granted scopes: {scopes}")
    if standing is not None and not (f.app_found and f.signature_verified):
        return _with_advice(step, standing, "OAuth may be off for the app, or a required scope missing", cause, ctx)
    if f.app_found:
        return StepResult(step, Status.PASS, "OAuth is on (Salesforce found the app); scopes are read after a "
                          "successful login")
    return StepResult(step, Status.SKIP, "not reached: Salesforce did not get as far as the app's settings")


def check_digital_signatures(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.DIGITAL_SIGNATURES, C.DIGITAL_SIGNATURES_DISABLED
    standing = _standing(v, cause)
    if standing is not None:
        return _with_advice(step, standing, "Salesforce had no certificate to verify the signature with, or "
                            "another one", cause, ctx)
    if f.signature_verified:
        return StepResult(step, Status.PASS, "on: Salesforce verified the JWT signature")
    return StepResult(step, Status.SKIP, "not reached")


def check_pre_authorization(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.PRE_AUTHORIZATION, C.USER_NOT_PREAUTHORIZED
    standing = _standing(v, cause)
    if standing is not None:
        user = f.connection.username
        if standing == Status.FAIL and v.candidates[0].confidence == Confidence.HIGH:
            finding = f"{user} is not pre-authorized for the app"
        elif standing == Status.FAIL:
            finding = (f"likely: {user} is not pre-authorized for the app (Salesforce gives the same answer "
                       "for a username it does not know)")
        else:
            finding = f"possible: {user} may not be pre-authorized for the app"
        return _with_advice(step, standing, finding, cause, ctx)
    if f.reply is not None and f.reply.ok:
        return StepResult(step, Status.PASS, f"{f.connection.username} is approved for the app")
    accepted = f.accepted_elsewhere()
    if accepted is not None:  # a probe logged in as this user: the approval exists, at the other host
        return StepResult(step, Status.PASS, f"{f.connection.username} is approved for the app "
                          f"(a login at {accepted.plan.label} worked)")
    return StepResult(step, Status.SKIP, "not reached")


def check_username_login_url(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.USERNAME_LOGIN_URL, C.USERNAME_OR_LOGIN_URL
    conn = f.connection
    if f.url_problem is not None:
        return _with_advice(step, Status.FAIL, f.url_problem, cause, ctx)
    standing = _standing(v, cause)
    host = (f.login_origin or conn.login_url).split("://", 1)[-1]
    env = environment_of(f.login_origin or conn.login_url)
    suffix = sandbox_suffix(conn.username)
    if standing is not None:
        accepted = f.accepted_elsewhere()
        if accepted:
            finding = f"Salesforce accepts this login at {accepted.plan.label}, not at {host}"
        elif f.reply is not None and f.reply.dns_failure:
            finding = f"{host} does not exist (DNS lookup failed): check the spelling of the My Domain"
        elif f.error_kind == ErrorKind.APP_NOT_FOUND and not my_domain_name(host):
            finding = f"{host} cannot see External Client Apps: use the org's My Domain URL"
        elif standing == Status.FAIL:
            finding = f"{conn.username} at {host} looks wrong for this org"
        else:
            finding = f"possible: {conn.username} may not be a user of the org behind {host}"
        return _with_advice(step, standing, finding, cause, ctx)
    if f.reply is not None and f.reply.ok:
        return StepResult(step, Status.PASS, f"{conn.username} logs in at {host} ({env})")
    if f.reply is None:
        return StepResult(step, Status.SKIP, "not reached: no login was attempted")
    if suffix and env == "production":
        return _with_advice(step, Status.WARN, f"username ends in .{suffix} (a sandbox name) but {host} is a "
                            "production host", cause, ctx)
    if not suffix and env == "sandbox":
        return _with_advice(step, Status.WARN, f"{host} is a sandbox host but the username has no sandbox "
                            "suffix", cause, ctx)
    if is_login_host(host):
        # A host on the allowlist is not a verified username: only a login proves the pair.
        return StepResult(step, Status.SKIP, f"not proven: {host} is a Salesforce login host ({env}), but no login "
                          "got far enough to confirm the username there")
    return StepResult(step, Status.SKIP, "not reached: no login got far enough to confirm the username")


def check_clock(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step, cause = StepId.CLOCK, C.CLOCK_SKEW_OR_EXPIRY
    claims = f.claims
    if claims is None:
        return StepResult(step, Status.SKIP, "no assertion was built")
    ahead = claims.exp - int(f.now)
    base = f"exp = now + {ahead} s, in seconds"
    server = f.reply.server_date if f.reply is not None else None
    skew = None if server is None else f.now - server.timestamp()
    skew_text = "" if skew is None else f"; local clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} Salesforce"
    if f.error_kind == ErrorKind.EXPIRED:
        return _with_advice(step, Status.FAIL, f"Salesforce says the assertion expired ({base}{skew_text})", cause, ctx)
    if skew is not None and abs(skew) > SKEW_WARN_SECONDS:
        return _with_advice(step, Status.WARN, base + skew_text, cause, ctx)
    if skew is None:
        return StepResult(step, Status.SKIP, base + "; not compared: Salesforce sent no Date header")
    return StepResult(step, Status.PASS, base + skew_text)


def check_token_exchange(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step = StepId.TOKEN_EXCHANGE
    reply = f.reply
    if reply is None:
        return StepResult(step, Status.SKIP, "not attempted: fix the steps above first")
    if reply.ok:
        return StepResult(step, Status.PASS, f"token issued by {reply.url.split('/services')[0]}")
    err = reply.error
    assert err is not None
    status = f"HTTP {err.status}" if err.status else "no HTTP answer"
    if err.error != "unreachable":
        finding = f"{status}: {err.error}: {err.error_description}"
    elif err.error_description.startswith("HTTP "):  # the description already names the status
        finding = err.error_description
    else:
        finding = f"{status}: {err.error_description}"
    cause = v.candidates[0].id if v.candidates else C.UNKNOWN
    if cause in OWN_STEP:  # that step carries the advice; repeating it here adds noise
        return StepResult(step, Status.FAIL, finding,
                          fix=(f"See \"{STEP_TITLES[OWN_STEP[cause]]}\" above.",))
    return _with_advice(step, Status.FAIL, finding, cause, ctx)


def check_verification(f: Facts, v: Verdict, ctx: AdviceContext) -> StepResult:
    step = StepId.VERIFICATION
    ver = f.verification
    if f.reply is None or not f.reply.ok or ver is None:
        return StepResult(step, Status.SKIP, "needs a successful login")
    if v.ok:
        org = ver.organization.data if ver.organization else {}
        kind = "sandbox" if org.get("IsSandbox") else "production"
        return StepResult(step, Status.PASS, f"Org {org.get('Id')} ({org.get('Name')}, {kind}): metadata "
                          "access confirmed")
    cause = v.candidates[0].id if v.candidates else C.UNKNOWN
    reason = v.candidates[0].reason if v.candidates else "verification failed"
    sure = bool(v.candidates) and v.candidates[0].confidence == Confidence.HIGH
    org_id = ver.identity.data.get("organization_id") if ver.identity and ver.identity.ok else None
    # Reads that got no answer (the run's deadline, an outage) leave the access unproven, not refused.
    return _with_advice(step, Status.FAIL if sure else Status.WARN, f"Org {org_id}: {reason}" if org_id else reason,
                        cause, ctx)


CHECKS: dict[StepId, Check] = {
    StepId.PRIVATE_KEY: check_private_key,
    StepId.CERTIFICATE: check_certificate,
    StepId.CONSUMER_KEY: check_consumer_key,
    StepId.OAUTH_SETTINGS: check_oauth_settings,
    StepId.DIGITAL_SIGNATURES: check_digital_signatures,
    StepId.PRE_AUTHORIZATION: check_pre_authorization,
    StepId.USERNAME_LOGIN_URL: check_username_login_url,
    StepId.CLOCK: check_clock,
    StepId.TOKEN_EXCHANGE: check_token_exchange,
    StepId.VERIFICATION: check_verification,
}
