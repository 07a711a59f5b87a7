"""checks.explain.reader: recognise pasted errors in every client wrapping, rank causes, answer when nothing is found.

Secrets in the paste and garbage or huge input: test_explain_safety.py.
"""

from __future__ import annotations

import base64
import json
from typing import Callable

import pytest

from checks.explain.reader import Explanation, explain
from checks.model import CauseId as C, Confidence

from pasted_errors import APPROVE, CLI_HEAD, ECA, guzzle, http, jsforce, jsn, mule, slack

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


# wrapping name -> (text from code and description, code visible in the text, HTTP status visible)
WRAPS: dict[str, tuple[Callable[[str, str], str], bool, int | None]] = {
    "json": (lambda c, d: jsn(c, d), True, None),
    "json-rev-pretty": (lambda c, d: jsn(c, d, reverse=True, indent=2), True, None),
    "pyrepr": (lambda c, d: repr({"error": c, "error_description": d}), True, None),
    "http": (lambda c, d: http(400, "Bad Request", jsn(c, d)), True, 400),
    "sfdx2019": (lambda c, d: "ERROR running force:auth:jwt:grant:  This org appears to have a problem with its OAuth "
                 f"configuration. Reason: {c} - {d}", True, None),
    "sfdx2017": (lambda c, d: f"An error occurred authorizing this org. name: {c} message: {d}", True, None),
    "sf-cli": (lambda c, d: CLI_HEAD + f"{d}\n{d}\n\nTry this:\nCheck the JWT key file.", False, None),
    "sf-json": (lambda c, d: json.dumps({"code": "JwtGrantError", "message": CLI_HEAD.split(": ", 1)[1] + d,
                                          "name": "JwtGrantError", "status": 1}, indent=2), False, None),
    "jwt-config": (lambda c, d: f"ERROR running force:org:create:  Error authenticating with JWT config due to: {d}",
                   False, None),
    "simple-sf": (lambda c, d: "simple_salesforce.exceptions.SalesforceAuthenticationFailed: Authentication failed "
                  f"(code: {c}): {d}", True, None),
    "simple-sf-old": (lambda c, d: f"SalesforceAuthenticationFailed: {c}: {d}", True, None),
    "restforce": (lambda c, d: f"Restforce::AuthenticationError: {c}: {d} (400)", True, 400),
    "restforce-paren": (lambda c, d: f"Restforce::AuthenticationError ({c}: {d})", True, None),
    "guzzle": (lambda c, d: guzzle("login.salesforce.com", jsn(c, d)), True, 400),
    "apex": (lambda c, d: "System.CalloutException: 13:05:22.0 (41234567)|FATAL_ERROR|Auth.JWTBearerTokenExchange."
             f"JWTBearerTokenExchangeException: Error 400: {jsn(c, d)}\nClass.TokenService.getToken: line 42",
             True, 400),
    "cumulus": (lambda c, d: "cumulusci.core.exceptions.SalesforceCredentialsException: Error retrieving access "
                f"token: {json.dumps({'error': c, 'error_description': d}, separators=(',', ':')).encode()!r}",
                True, None),
    "mule": (lambda c, d: mule(jsn(c, d)), True, 400),
    "jsforce": (lambda c, d: jsforce(c, d), True, None),
    "jsforce-inspect": (lambda c, d: f"Error: {d}\n    at OAuth2._postParams (oauth2.js:236:17) {{\n  name: '{c}',\n"
                        f"  message: {d!r}\n}}", True, None),
    "spring": (lambda c, d: "HttpClientErrorException$BadRequest: 400 Bad Request: \"" + jsn(c, d) + '"', True, 400),
    "escaped": (lambda c, d: json.dumps({"level": "error", "msg": jsn(c, d)}), True, None),
    "slack": (lambda c, d: slack(c, d), True, None),
    "smart-quotes": (lambda c, d: jsn(c, d).replace('"', "\u201c", 1).replace("'", "\u2019"), True, None),
}
APP_ACCESS = "user is not admin approved to access this app"
# (tag, error, error_description, top cause, its confidence, wrappings)
KINDS = [
    ("ia", "invalid_grant", "invalid assertion", C.CERTIFICATE_MISMATCH, M,
     "json json-rev-pretty pyrepr http sfdx2019 sf-cli simple-sf restforce guzzle apex cumulus mule jsforce escaped"),
    ("aud", "invalid_grant", "audience is invalid", C.USERNAME_OR_LOGIN_URL, H,
     "json http sf-cli restforce guzzle apex"),
    ("aud-doc", "invalid_grant", "Audience validation failed", C.USERNAME_OR_LOGIN_URL, H, "json-rev-pretty spring"),
    ("na", "invalid_grant", APPROVE, C.USER_NOT_PREAUTHORIZED, M,
     "http pyrepr sfdx2017 simple-sf-old sf-cli sf-json jwt-config cumulus jsforce-inspect mule slack smart-quotes"),
    ("aa", "invalid_app_access", APP_ACCESS, C.USER_NOT_PREAUTHORIZED, H, "json restforce simple-sf"),
    ("eca", "app_not_found", ECA, C.USERNAME_OR_LOGIN_URL, M, "json sf-cli jsforce"),
    ("exp", "invalid_grant", "expired authorization code", C.CLOCK_SKEW_OR_EXPIRY, H,
     "json-rev-pretty simple-sf-old apex cumulus restforce-paren spring"),
    ("cid", "invalid_client_id", "client identifier invalid", C.CONSUMER_KEY_MISMATCH, M, "json guzzle sf-cli jsforce"),
    ("ic", "invalid_client", "invalid client credentials", C.PRIVATE_KEY_INVALID, L, "pyrepr http"),
    # issue 18: unsupported_grant_type gets its real cause, still medium: the code alone does not decide it
    ("ug", "unsupported_grant_type", "grant type not supported", C.REQUEST_MALFORMED, M, "http jsforce"),
    ("ip", "invalid_grant", "ip restricted", C.IP_OR_LOGIN_HOURS, H, "json sf-cli mule"),
    ("ip-doc", "invalid_grant", "IP restricted or invalid login hours", C.IP_OR_LOGIN_HOURS, H, "restforce"),
    ("iu", "invalid_grant", "inactive user", C.USER_OR_ORG_INACTIVE, H, "restforce simple-sf"),
    ("io", "inactive_org", "Org is locked, closed, or suspended", C.USER_OR_ORG_INACTIVE, H, "json"),
    ("io-obs", "invalid_grant", "inactive organization", C.USER_OR_ORG_INACTIVE, H, "simple-sf"),
    ("rate", "invalid_grant", "login rate exceeded", C.LOGIN_RATE_EXCEEDED, H, "http mule"),
    ("rate-doc", "rate_limit_exceeded", "Number of logins exceeded", C.LOGIN_RATE_EXCEEDED, H, "json"),
    # issue 18: "authentication failure" answers a non-JWT login (was unknown/low)
    ("auth-fail", "invalid_grant", "authentication failure", C.NOT_JWT_FLOW, M, "restforce simple-sf-old"),
]
PK, NET = C.PRIVATE_KEY_INVALID, C.SALESFORCE_UNREACHABLE
SESSION = "This session is not valid for use with the REST API"
METADATA = "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions"
# Failures outside the token endpoint's JSON, and wrappings with a clue: (id, text, cause, confidence, error)
OTHERS = [
    ("pem-node", "Error: error:0909006C:PEM routines:get_name:no start line\n    at Sign.sign (node:internal/crypto)",
     PK, H, ("private_key_invalid", "error:0909006C:PEM routines:get_name:no start line", None)),
    ("pem-sfdx", "ERROR running force:auth:jwt:grant:  error:0906D06C:PEM routines:PEM_read_bio:no start line",
     PK, H, ("private_key_invalid", "error:0906D06C:PEM routines:PEM_read_bio:no start line", None)),
    ("pem-ruby", "OpenSSL::PKey::RSAError (Neither PUB key nor PRIV key: nested asn1 error)",
     PK, H, ("private_key_invalid", "Neither PUB key nor PRIV key: nested asn1 error", None)),
    ("pem-grafana", "failed to sign JWT: private key should be a PEM or plain PKCS1 or PKCS8; parse error",
     PK, H, ("private_key_invalid", "private key should be a PEM or plain PKCS1 or PKCS8", None)),
    ("pem-drupal", "Warning: openssl_sign(): supplied key param cannot be coerced into a private key in JWT::sign()",
     PK, H, ("private_key_invalid", "supplied key param cannot be coerced into a private key", None)),
    # issue 18: the TLS failure is the root, "unreachable" its consequence (was salesforce_unreachable/high)
    ("tls", "ERROR running force:auth:jwt:grant:  unable to get local issuer certificate",
     C.TLS_INTERCEPTION, H, ("tls", "unable to get local issuer certificate", None)),
    ("empty-json", CLI_HEAD + "Unexpected end of JSON input\n", NET, H,
     ("unreachable", "Unexpected end of JSON input", None)),
    ("jsforce-503", "ERROR_HTTP_503: <html><head><title>Service Unavailable</title></head></html>\n    at OAuth2."
     "_postParams (oauth2.js:240:19) {\n  name: 'ERROR_HTTP_503'\n}", NET, H, ("unreachable", "ERROR_HTTP_503", 503)),
    ("html-503", "HTTP/1.1 503 Service Unavailable\nContent-Type: text/html\n\n<!DOCTYPE html><html><head><title>"
     "Down for Maintenance</title></head></html>", NET, H, ("unreachable", "Down for Maintenance", 503)),
    ("dns-typo", "Error: getaddrinfo ENOTFOUND login.salesforce.co\n    at GetAddrInfoReqWrap.onlookup",
     C.USERNAME_OR_LOGIN_URL, H, ("unreachable", "getaddrinfo ENOTFOUND login.salesforce.co", None)),
    ("dns-python", "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='acme.my.salesforce.com', port=443):"
     " Max retries exceeded (Caused by NameResolutionError(\"Failed to resolve 'acme.my.salesforce.com'\"))",
     NET, H, ("unreachable", "NameResolutionError", None)),
    # issue 18: scopes tie with session restrictions, never high (was high)
    ("rest-scope", http(401, "Unauthorized", f'[{{"message":"{SESSION}","errorCode":"INVALID_SESSION_ID"}}]'),
     C.OAUTH_NOT_ENABLED_OR_SCOPES, M, ("INVALID_SESSION_ID", SESSION, 401)),
    ("rest-scope-2", f'[{{"errorCode":"INVALID_SESSION_ID","message":"{SESSION}"}}]',
     C.OAUTH_NOT_ENABLED_OR_SCOPES, M, ("INVALID_SESSION_ID", SESSION, None)),
    ("metadata", "<soapenv:Fault><faultcode>sf:INSUFFICIENT_ACCESS</faultcode><faultstring>INSUFFICIENT_ACCESS: "
     f"{METADATA}</faultstring></soapenv:Fault>", C.METADATA_ACCESS_MISSING, H,
     ("INSUFFICIENT_ACCESS", METADATA, None)),
    ("url-not-reset", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set", C.UNKNOWN, M,
     ("URL_NOT_RESET", "Destination URL not reset. The URL returned from login must be set", None)),
    ("login-history", "11/03/2026 10:02 integration@acme.com Remote Access 2.0 Failed: Not approved for access",
     C.USER_NOT_PREAUTHORIZED, H, ("login_history", "Failed: Not approved for access", None)),
    ("bare-phrase", "the scan stopped, the log just says: user is inactive", C.USER_OR_ORG_INACTIVE, H,
     ("", "user is inactive", None)),
    ("bare-code", "Audit trail: LOGIN_RATE_EXCEEDED for integration@acme.com", C.LOGIN_RATE_EXCEEDED, H,
     ("LOGIN_RATE_EXCEEDED", "", None)),
    ("aa-redirect", "https://app.example.com/cb?error=OAUTH_APP_ACCESS_DENIED&error_description=user+is+not+admin+"
     "approved+to+access+this+app", C.USER_NOT_PREAUTHORIZED, H, ("OAUTH_APP_ACCESS_DENIED", APP_ACCESS, None)),
    ("ia-sandbox-user-on-prod", "sfdx force:auth:jwt:grant -u ci@acme.com.dev -r https://login.salesforce.com\n"
     + WRAPS["sfdx2019"][0]("invalid_grant", "invalid assertion"), C.USERNAME_OR_LOGIN_URL, H,
     ("invalid_grant", "invalid assertion", None)),
    ("aud-cli-http", CLI_HEAD + "audience is invalid [audience=http://login.salesforce.com "
     "login=https://test.salesforce.com]",
     C.USERNAME_OR_LOGIN_URL, H, ("", "audience is invalid", None)),
    ("na-sandbox-mydomain-vs-prod", "login_url = https://acme--uat.sandbox.my.salesforce.com\naudience = https://login."
     "salesforce.com\n" + jsn("invalid_grant", APPROVE), C.USERNAME_OR_LOGIN_URL, H, ("invalid_grant", APPROVE, None)),
    ("na-lightning", "Login URL: https://acme.lightning.force.com\n" + jsn("invalid_grant", APPROVE),
     C.USERNAME_OR_LOGIN_URL, H, ("invalid_grant", APPROVE, None)),
    ("eca-cli-mixed", CLI_HEAD + f"{ECA}\naudience is invalid  [audience=https://login.salesforce.com "
     f"login=https://test.salesforce.com/]\n{ECA}\n", C.USERNAME_OR_LOGIN_URL, H, ("", ECA, None)),
    ("eca-guzzle-generic", guzzle("login.salesforce.com", jsn("app_not_found", ECA)), C.USERNAME_OR_LOGIN_URL, H,
     ("app_not_found", ECA, 400)),
]
CASES = [
    pytest.param(WRAPS[w][0](code, desc), cause, confidence, (code if WRAPS[w][1] else "", desc, WRAPS[w][2]),
                 id=f"{tag}-{w}")
    for tag, code, desc, cause, confidence, wraps in KINDS for w in wraps.split()
] + [pytest.param(text, cause, confidence, error, id=name) for name, text, cause, confidence, error in OTHERS]


@pytest.mark.parametrize(("text", "cause", "confidence", "error"), CASES)
def test_recognises_wrapping(text: str, cause: C, confidence: Confidence, error: tuple) -> None:
    result = explain(text)
    assert result.found and result.candidates, result
    top = result.candidates[0]
    assert (top.id, top.confidence) == (cause, confidence), result.candidates
    assert result.error is not None
    assert (result.error.error, result.error.error_description, result.error.status) == error


def test_table_is_large_and_covers_every_wrapping() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert {w for *_, wraps in KINDS for w in wraps.split()} == set(WRAPS)


def test_to_dict_shape() -> None:
    d = explain(http(400, "Bad Request", jsn("invalid_grant", "invalid assertion"))).to_dict()
    assert set(d) == {"candidates", "error", "next_check"}
    assert d["next_check"]  # medium: the text does not decide, so the separating check comes with it
    assert d["error"] == {"status": 400, "error": "invalid_grant", "error_description": "invalid assertion"}
    assert d["candidates"][0] == {"id": "certificate_mismatch", "confidence": "medium"}
    assert explain("nothing here").to_dict() == {"candidates": [], "error": None, "next_check": None}


# ----------------------------------------------------------------- clues

def clues_of(result: Explanation) -> str:
    return "\n".join(result.clues)


def conf(result: Explanation, cause: C) -> Confidence | None:
    return next((c.confidence for c in result.candidates if c.id == cause), None)


IA, NA = jsn("invalid_grant", "invalid assertion"), jsn("invalid_grant", APPROVE)
PAIR = "audience is invalid  [audience=https://{} login=https://{}]"
# (id, text, a fragment the clues must hold, cause, its expected confidence or None for absent, must it be first)
CLUES = [
    ("sandbox-user-prod-host", '{"username": "ops@acme.com.uat", "loginUrl": "https://login.salesforce.com"}\n' + NA,
     "ops@acme.com.uat ends in .uat", C.USERNAME_OR_LOGIN_URL, H, True),
    ("sandbox-user-sandbox-host", "--username ops@acme.com.uat --instance-url https://test.salesforce.com\n" + NA,
     "they agree", C.USERNAME_OR_LOGIN_URL, M, False),  # agreeing environments do not rule out a typo: the tie stays
    ("sandbox-mydomain-vs-prod", "POST https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token "
     "aud=https://login.salesforce.com\n" + IA, "acme--uat.sandbox.my.salesforce.com with production host(s) "
     "login.salesforce.com", C.USERNAME_OR_LOGIN_URL, H, True),
    ("prod-user-sandbox-host", '{"sub": "ops@acme.com", "aud": "https://test.salesforce.com"}\n' + IA,
     "no sandbox suffix", C.USERNAME_OR_LOGIN_URL, M, False),
    ("lightning-html", "POST https://acme.lightning.force.com/services/oauth2/token\nHTTP/1.1 200 OK\n\n<html>"
     "<head><title>Login</title></head></html>", "log in at https://acme.my.salesforce.com", C.USERNAME_OR_LOGIN_URL, H,
     True),
    ("exp-ms", 'claims: {"exp": 1893456000000, "aud": "https://login.salesforce.com"}\n' + IA, "milliseconds",
     C.CLOCK_SKEW_OR_EXPIRY, None, False),
    ("cli-audience-noise", CLI_HEAD + "invalid assertion\n"
     + PAIR.format("login.salesforce.com", "test.salesforce.com/"),
     "other line is the org's real answer", C.CERTIFICATE_MISMATCH, M, True),
    ("eca-plus-audience", next(c.values[0] for c in CASES if c.id == "eca-cli-mixed"), "use the org's My Domain URL",
     C.USERNAME_OR_LOGIN_URL, H, True),
    ("eca-on-my-domain", guzzle("acme.my.salesforce.com", jsn("app_not_found", ECA)), "may not be installed",
     C.CONSUMER_KEY_MISMATCH, M, False),
    ("crossing-pair", CLI_HEAD + PAIR.format("test.salesforce.com", "login.salesforce.com"),
     "is a sandbox host but the token request went to", C.USERNAME_OR_LOGIN_URL, H, True),
    ("typo-host", "Error: getaddrinfo ENOTFOUND login.salesforce.co",
     "login.salesforce.co is not a Salesforce login host",
     C.SALESFORCE_UNREACHABLE, M, False),
    ("url-not-reset", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set",
     "instance_url", C.UNKNOWN, M, True),
    ("prose-restricted-ip", "our profile has restricted IP ranges\n" + IA, "", C.IP_OR_LOGIN_HOURS, None, False),
    ("session-expired", '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]',
     "expired or was revoked", C.OAUTH_NOT_ENABLED_OR_SCOPES, None, False),
    # issue 18: the TLS cause leads, "unreachable" stays as its consequence at low (was unreachable/high first)
    ("tls", "unable to get local issuer certificate", "TLS inspection", C.TLS_INTERCEPTION, H, True),
    ("tls-consequence", "unable to get local issuer certificate", "not trusted", C.SALESFORCE_UNREACHABLE, L, False),
    ("code-only", '{"error":"invalid_grant"}', "ask for the full message", C.UNKNOWN, L, True),
]


@pytest.mark.parametrize(("text", "fragment", "cause", "confidence", "first"),
                         [pytest.param(*c[1:], id=c[0]) for c in CLUES])
def test_clues(text: str, fragment: str, cause: C, confidence: Confidence | None, first: bool) -> None:
    r = explain(text)
    assert fragment in clues_of(r), r.clues
    assert conf(r, cause) == confidence, r.candidates
    if first:
        assert r.candidates[0].id == cause, r.candidates


def test_http_audience_claim_from_decoded_assertion() -> None:
    payload = {"iss": "3MVG9" + "x" * 80, "sub": "ops@acme.com", "aud": "http://login.salesforce.com",
               "exp": 1893456000}
    part = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    assertion = f"eyJhbGciOiJSUzI1NiJ9.{part}.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbm90LXJlYWw"
    r = explain(f"assertion={assertion}\n" + jsn("invalid_grant", "audience is invalid"))
    assert "http://login.salesforce.com" in clues_of(r)
    assert r.candidates[0].id == C.USERNAME_OR_LOGIN_URL
    assert assertion not in repr(r) and part not in repr(r)


def test_exp_in_the_past_raises_clock_when_now_is_known() -> None:
    r = explain('{"exp": 1700000000}\n' + jsn("invalid_grant", "invalid assertion"), now=1700003600)
    assert conf(r, C.CLOCK_SKEW_OR_EXPIRY) == H
    assert "60 minutes in the past" in clues_of(r)


def test_cli_audience_noise_keeps_the_real_answer_medium() -> None:
    text = CLI_HEAD + "invalid assertion\n" + PAIR.format("login.salesforce.com", "test.salesforce.com/") + "\n"
    r = explain(text)
    assert r.candidates[0].id == C.CERTIFICATE_MISMATCH and r.candidates[0].confidence == M
    assert conf(r, C.USERNAME_OR_LOGIN_URL) == M
    assert r.error is not None and r.error.error_description == "invalid assertion"
    assert [e.error_description for e in r.errors] == ["invalid assertion", "audience is invalid"]


# -------------------------------------------------------------- no error

@pytest.mark.parametrize("text", ["", "   ", "it does not work since yesterday", "Test Connection failed.",
                                  "error: something went wrong", '{"error": "Not Found"}'])
def test_no_salesforce_error(text: str) -> None:
    r = explain(text)
    assert not r.found and r.candidates == [] and r.error is None
    assert "exact message" in r.clues[0]
