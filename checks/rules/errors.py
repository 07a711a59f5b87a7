"""What a token-endpoint answer alone says: its kind, and the causes it can mean.

The body alone rarely decides (``invalid assertion``, ``user hasn't approved this
consumer`` and ``invalid_client_id`` each have several causes); :mod:`checks.rules.causes`
refines these base candidates with probes and local evidence, and
:mod:`checks.explain.reader` with clues found in pasted text.
"""

from __future__ import annotations

from enum import StrEnum

from checks.model import Candidate, CauseId, Confidence, TokenError

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


class ErrorKind(StrEnum):
    INVALID_ASSERTION = "invalid_assertion"
    AUDIENCE_INVALID = "audience_invalid"
    NOT_APPROVED = "not_approved"
    NOT_ADMIN_APPROVED = "not_admin_approved"
    APP_NOT_FOUND = "app_not_found"
    EXPIRED = "expired"
    CLIENT_ID_INVALID = "client_id_invalid"
    INVALID_CLIENT = "invalid_client"
    UNSUPPORTED_GRANT = "unsupported_grant"
    IP_RESTRICTED = "ip_restricted"
    INACTIVE_USER = "inactive_user"
    INACTIVE_ORG = "inactive_org"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    INVALID_REQUEST = "invalid_request"  # a generic answer: the request itself is malformed
    AUTH_FAILURE = "auth_failure"  # "authentication failure": a password or web login answers this, not JWT
    NO_VALID_SCOPES = "no_valid_scopes"  # a client-credentials answer
    OTHER = "other"


# (error code or None for any, lower-case fragment of the description or None) → kind.
# First match wins; order puts the specific descriptions before the bare codes.
_RULES: tuple[tuple[str | None, str | None, ErrorKind], ...] = (
    (None, "invalid assertion", ErrorKind.INVALID_ASSERTION),
    (None, "audience is invalid", ErrorKind.AUDIENCE_INVALID),
    (None, "audience validation failed", ErrorKind.AUDIENCE_INVALID),
    (None, "invalid audience", ErrorKind.AUDIENCE_INVALID),  # how several clients word it, any casing
    (None, "hasn't approved this consumer", ErrorKind.NOT_APPROVED),
    (None, "has not approved this consumer", ErrorKind.NOT_APPROVED),
    (None, "not admin approved", ErrorKind.NOT_ADMIN_APPROVED),
    ("invalid_app_access", None, ErrorKind.NOT_ADMIN_APPROVED),
    ("oauth_app_access_denied", None, ErrorKind.NOT_ADMIN_APPROVED),
    ("app_not_found", None, ErrorKind.APP_NOT_FOUND),
    (None, "external client app is not installed", ErrorKind.APP_NOT_FOUND),
    (None, "expired authorization code", ErrorKind.EXPIRED),
    ("invalid_client_id", None, ErrorKind.CLIENT_ID_INVALID),
    (None, "client identifier invalid", ErrorKind.CLIENT_ID_INVALID),
    (None, "invalid client credentials", ErrorKind.INVALID_CLIENT),
    ("invalid_client", None, ErrorKind.INVALID_CLIENT),
    ("unsupported_grant_type", None, ErrorKind.UNSUPPORTED_GRANT),
    (None, "grant type not supported", ErrorKind.UNSUPPORTED_GRANT),
    (None, "ip restricted", ErrorKind.IP_RESTRICTED),
    (None, "invalid login hours", ErrorKind.IP_RESTRICTED),
    ("inactive_user", None, ErrorKind.INACTIVE_USER),
    (None, "inactive user", ErrorKind.INACTIVE_USER),
    (None, "user is inactive", ErrorKind.INACTIVE_USER),
    ("inactive_org", None, ErrorKind.INACTIVE_ORG),
    (None, "inactive organization", ErrorKind.INACTIVE_ORG),
    (None, "org is locked", ErrorKind.INACTIVE_ORG),
    ("rate_limit_exceeded", None, ErrorKind.RATE_LIMITED),
    (None, "login rate exceeded", ErrorKind.RATE_LIMITED),
    (None, "number of logins exceeded", ErrorKind.RATE_LIMITED),
    ("login_rate_exceeded", None, ErrorKind.RATE_LIMITED),
    ("unreachable", None, ErrorKind.UNREACHABLE),
    (None, "no valid scopes defined", ErrorKind.NO_VALID_SCOPES),
    (None, "authentication failure", ErrorKind.AUTH_FAILURE),
    ("invalid_request", None, ErrorKind.INVALID_REQUEST),
)

# Transport failures are reported as TokenError(status=None or 5xx, error="unreachable", …).
UNREACHABLE = "unreachable"


def kind_of(error: TokenError) -> ErrorKind:
    code = (error.error or "").strip().lower()
    desc = (error.error_description or "").strip().lower()
    for rule_code, fragment, kind in _RULES:
        if rule_code is not None and code != rule_code:
            continue
        if fragment is not None and fragment not in desc and fragment not in code.replace("_", " "):
            continue
        return kind
    return ErrorKind.OTHER


C = CauseId
# What each kind can mean when nothing else is known, most likely first.
_BASE: dict[ErrorKind, tuple[tuple[CauseId, Confidence, str], ...]] = {
    ErrorKind.INVALID_ASSERTION: (
        (C.CERTIFICATE_MISMATCH, M, "the signature did not verify against the app's certificate"),
        (C.USERNAME_OR_LOGIN_URL, L, "a sandbox user sent to the production host gives the same answer"),
        (C.DIGITAL_SIGNATURES_DISABLED, L, "with no certificate on the app nothing can verify the signature"),
    ),
    ErrorKind.AUDIENCE_INVALID: (
        (C.USERNAME_OR_LOGIN_URL, H, "the aud claim does not match the login host (production vs sandbox)"),
    ),
    # Salesforce found the app and verified the signature before saying this, so OAuth is on; an unknown
    # username gets the very same answer: the two causes tie. (A self-authorized approval lacking the
    # refresh_token scope is a pre-authorization matter, covered by that cause's advice.)
    ErrorKind.NOT_APPROVED: (
        (C.USER_NOT_PREAUTHORIZED, M, "the user's profile or permission set is not assigned to the app"),
        (C.USERNAME_OR_LOGIN_URL, M, "the username does not exist behind this login host"),
    ),
    ErrorKind.NOT_ADMIN_APPROVED: (
        (C.USER_NOT_PREAUTHORIZED, H, "admin-approved app, but the user's profile or permission set is not assigned"),
    ),
    ErrorKind.APP_NOT_FOUND: (
        (C.USERNAME_OR_LOGIN_URL, M, "External Client Apps answer only on the org's My Domain URL"),
        (C.CONSUMER_KEY_MISMATCH, L, "the app may not be installed in this org"),
    ),
    ErrorKind.EXPIRED: ((C.CLOCK_SKEW_OR_EXPIRY, H, "the exp claim was already in the past for Salesforce"),),
    ErrorKind.CLIENT_ID_INVALID: (
        (C.CONSUMER_KEY_MISMATCH, M, "the consumer key is unknown to this login host"),
        (C.USERNAME_OR_LOGIN_URL, L, "the app lives in another org type (sandbox vs production)"),
        (C.OAUTH_NOT_ENABLED_OR_SCOPES, L, "an app with OAuth switched off is not found either"),
    ),
    ErrorKind.INVALID_CLIENT: (
        (C.PRIVATE_KEY_INVALID, L, "the assertion was not signed RS256 with an RSA private key"),
        (C.CONSUMER_KEY_MISMATCH, L, "client authentication failed"),
    ),
    # Generic (issue 18): a missing or misspelled grant_type, a JSON body, or a grant the org does not offer.
    ErrorKind.UNSUPPORTED_GRANT: (
        (C.REQUEST_MALFORMED, M, "grant_type is missing or wrong, or the body is not form-encoded"),
        (C.NOT_JWT_FLOW, L, "the client asks for another grant type than jwt-bearer"),
    ),
    ErrorKind.INVALID_REQUEST: (
        (C.REQUEST_MALFORMED, M, "the token request is malformed (method, scheme or parameters)"),
        (C.UNKNOWN, L, "only the generic code is visible"),
    ),
    ErrorKind.AUTH_FAILURE: (
        (C.NOT_JWT_FLOW, M, "a password, refresh-token or web login answers this, not a JWT bearer login"),
        (C.UNKNOWN, L, "a generic answer"),
    ),
    ErrorKind.NO_VALID_SCOPES: (
        (C.NOT_JWT_FLOW, H, "a client-credentials answer: the client is not doing a JWT bearer login"),
    ),
    ErrorKind.IP_RESTRICTED: (
        (C.IP_OR_LOGIN_HOURS, H, "the profile's Login IP Ranges or Login Hours refuse this login"),
    ),
    ErrorKind.INACTIVE_USER: ((C.USER_OR_ORG_INACTIVE, H, "the integration user is deactivated"),),
    ErrorKind.INACTIVE_ORG: ((C.USER_OR_ORG_INACTIVE, H, "the org is locked, closed, suspended or expired"),),
    ErrorKind.RATE_LIMITED: ((C.LOGIN_RATE_EXCEEDED, H, "more than about 3,600 logins for this user in an hour"),),
    ErrorKind.UNREACHABLE: ((C.SALESFORCE_UNREACHABLE, H, "no usable answer from the token endpoint"),),
    ErrorKind.OTHER: ((C.UNKNOWN, L, "an answer this tool does not recognise"),),
}


# invalid_request descriptions that name what is wrong with the request: they decide it.
_KNOWN_REQUEST_FAULTS = ("https required", "must use http post", "must use http get", "out-of-band not supported")


def base_candidates(error: TokenError) -> list[Candidate]:
    """Causes the answer alone can mean, most likely first."""
    kind = kind_of(error)
    desc = (error.error_description or "").lower()
    if kind == ErrorKind.INVALID_REQUEST and any(f in desc for f in _KNOWN_REQUEST_FAULTS):
        return [Candidate(C.REQUEST_MALFORMED, H, f"Salesforce named the fault: {error.error_description}")]
    cands = [Candidate(cid, conf, why) for cid, conf, why in _BASE[kind]]
    if kind == ErrorKind.AUTH_FAILURE and not error.error:  # the phrase alone: a wrapper may have reworded it
        cands.insert(1, Candidate(C.WRAPPER_HID_ANSWER, L, "a wrapper may have reworded Salesforce's answer"))
    return cands
