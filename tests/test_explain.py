"""checks.explain: recognise pasted errors in every client wrapping, rank causes, keep secrets out."""

from __future__ import annotations

import base64
import json
import random
import string
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.explain import Explanation, explain
from checks.model import CauseId as C, Confidence

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
CLI_HEAD = (
    "Error (JwtGrantError): We encountered a JSON web token error, which is likely not an issue with Salesforce CLI. "
    "Here’s the error: JwtAuthError::Error authenticating with JWT.\nErrors encountered:\n"
)
APPROVE = "user hasn't approved this consumer"
ECA = "External client app is not installed in this org"


def jsn(code: str, desc: str, reverse: bool = False, indent: int | None = None) -> str:
    body = {"error": code, "error_description": desc}
    if reverse:
        body = {"error_description": desc, "error": code}
    return json.dumps(body, indent=indent)


def http(status: int, reason: str, body: str) -> str:
    return (f"HTTP/1.1 {status} {reason}\nDate: Tue, 03 Nov 2026 10:00:00 GMT\n"
            "Content-Type: application/json;charset=UTF-8\nCache-Control: no-cache,must-revalidate,max-age=0\n"
            f"Transfer-Encoding: chunked\n\n{body}\n")


def guzzle(host: str, body: str) -> str:
    return (f"GuzzleHttp\\Exception\\ClientException: Client error: `POST https://{host}/services/oauth2/token` "
            f"resulted in a `400 Bad Request` response:\n{body}\n in /var/www/vendor/guzzlehttp/guzzle/src/"
            "Exception/RequestException.php:113")


def apex(body: str) -> str:
    return ("System.CalloutException: 13:05:22.0 (41234567)|FATAL_ERROR|"
            f"Auth.JWTBearerTokenExchange.JWTBearerTokenExchangeException: Error 400: {body}\n"
            "Class.TokenService.getToken: line 42, column 1")


def mule(body: str) -> str:
    return ("ERROR 2026-11-03 10:00:00,123 [[MuleRuntime].uber.04] org.mule.runtime.core.internal.exception: "
            f"HTTP POST on resource 'https://login.salesforce.com/services/oauth2/token' failed: "
            f"Invalid status code: 400, response body: {body}")


def cumulus(desc_escaped: str, code: str = "invalid_grant") -> str:
    return ("cumulusci.core.exceptions.SalesforceCredentialsException: Error retrieving access token: "
            f"b'{{\"error\":\"{code}\",\"error_description\":\"{desc_escaped}\"}}'")


def jsforce_stack(code: str, desc: str) -> str:
    return (f"{code}: {desc}\n    at OAuth2._postParams (/app/node_modules/jsforce/lib/oauth2.js:236:17)\n"
            "    at processTicksAndRejections (node:internal/process/task_queues:95:5) {\n"
            f"  name: '{code}'\n}}")


# (id, text, top cause, top confidence, error, error_description, status)
CASES = [
    # invalid assertion: certificate first, but never high without a clue
    ("ia-json", jsn("invalid_grant", "invalid assertion"), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-json-rev-pretty", jsn("invalid_grant", "invalid assertion", True, 2), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-pyrepr", "{'error': 'invalid_grant', 'error_description': 'invalid assertion'}", C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-http", http(400, "Bad Request", jsn("invalid_grant", "invalid assertion")), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", 400),
    ("ia-sfdx2019", "ERROR running force:auth:jwt:grant:  This org appears to have a problem with its OAuth configuration. "
     "Reason: invalid_grant - invalid assertion", C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-sfdx-travis", "ERROR running auth:jwt:grant:  We encountered a JSON web token error, which is likely not an issue "
     "with Salesforce CLI. Here’s the error: invalid assertion", C.CERTIFICATE_MISMATCH, M, "", "invalid assertion", None),
    ("ia-sf-cli", CLI_HEAD + "invalid assertion\ninvalid assertion\n", C.CERTIFICATE_MISMATCH, M, "", "invalid assertion", None),
    ("ia-simple-sf", "simple_salesforce.exceptions.SalesforceAuthenticationFailed: Authentication failed (code: invalid_grant): "
     "invalid assertion", C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-restforce", "Restforce::AuthenticationError: invalid_grant: invalid assertion (400)", C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", 400),
    ("ia-guzzle", guzzle("login.salesforce.com", jsn("invalid_grant", "invalid assertion")), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", 400),
    ("ia-apex", apex(jsn("invalid_grant", "invalid assertion")), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", 400),
    ("ia-cumulus", cumulus("invalid assertion"), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-mule", mule(jsn("invalid_grant", "invalid assertion")), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", 400),
    ("ia-jsforce", jsforce_stack("invalid_grant", "invalid assertion"), C.CERTIFICATE_MISMATCH, M, "invalid_grant", "invalid assertion", None),
    ("ia-sandbox-user-on-prod", "sfdx force:auth:jwt:grant -u ci@acme.com.dev -r https://login.salesforce.com -f server.key\n"
     "ERROR running force:auth:jwt:grant:  This org appears to have a problem with its OAuth configuration. Reason: "
     "invalid_grant - invalid assertion", C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "invalid assertion", None),
    # audience
    ("aud-json", jsn("invalid_grant", "audience is invalid"), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "audience is invalid", None),
    ("aud-doc", http(400, "Bad Request", jsn("invalid_grant", "Audience validation failed", True)), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "Audience validation failed", 400),
    ("aud-guzzle", guzzle("acme--dev.sandbox.my.salesforce.com", jsn("invalid_grant", "audience is invalid")), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "audience is invalid", 400),
    ("aud-cli-pair", CLI_HEAD + "audience is invalid  [audience=https://login.salesforce.com login=https://test.salesforce.com/]\n",
     C.USERNAME_OR_LOGIN_URL, H, "", "audience is invalid", None),
    ("aud-cli-http", CLI_HEAD + "audience is invalid [audience=http://login.salesforce.com login=https://test.salesforce.com]",
     C.USERNAME_OR_LOGIN_URL, H, "", "audience is invalid", None),
    ("aud-restforce", "Restforce::AuthenticationError: invalid_grant: audience is invalid", C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "audience is invalid", None),
    ("aud-apex", apex(jsn("invalid_grant", "audience is invalid")), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", "audience is invalid", 400),
    # not approved: overloaded, stays medium
    ("na-http", http(400, "Bad Request", jsn("invalid_grant", APPROVE)), C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, 400),
    ("na-sfdx2017", f"An error occurred authorizing this org. name: invalid_grant message: {APPROVE}", C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-simple-sf-old", f"SalesforceAuthenticationFailed: invalid_grant: {APPROVE}", C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-cli-five", CLI_HEAD + (APPROVE + "\n") * 5, C.USER_NOT_PREAUTHORIZED, M, "", APPROVE, None),
    ("na-cli-json", json.dumps({"code": "JwtGrantError", "message": CLI_HEAD.split(": ", 1)[1] + APPROVE + "\n" + APPROVE,
                                "name": "JwtGrantError", "status": 1, "exitCode": 1}, indent=2),
     C.USER_NOT_PREAUTHORIZED, M, "", APPROVE, None),
    ("na-slack-escaped", "Test Connection said: {&quot;error&quot;:&quot;invalid_grant&quot;,&quot;error_description&quot;:"
     "&quot;user hasn&#39;t approved this consumer&quot;} &lt;https://test.salesforce.com&gt;",
     C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-smart-quotes", "{“error”:“invalid_grant”,“error_description”:“user hasn’t approved this consumer”}",
     C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-jwt-config", f"ERROR running force:org:create:  Error authenticating with JWT config due to: {APPROVE}", C.USER_NOT_PREAUTHORIZED, M, "", APPROVE, None),
    ("na-cumulus", cumulus("user hasn\\'t approved this consumer"), C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-jsforce-inspect", f"Error: {APPROVE}\n    at OAuth2._postParams (oauth2.js:236:17) {{\n  name: 'invalid_grant',\n"
     f"  message: \"{APPROVE}\"\n}}", C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-mule", mule(jsn("invalid_grant", APPROVE)), C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, 400),
    ("na-pyrepr", f"{{'error': 'invalid_grant', 'error_description': \"{APPROVE}\"}}", C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-escaped-json", '{"level":"error","msg":"{\\"error\\":\\"invalid_grant\\",\\"error_description\\":\\"'
     + APPROVE + '\\"}"}', C.USER_NOT_PREAUTHORIZED, M, "invalid_grant", APPROVE, None),
    ("na-sandbox-mydomain-vs-prod", "login_url = https://acme--uat.sandbox.my.salesforce.com\naudience = https://login.salesforce.com\n"
     + jsn("invalid_grant", APPROVE), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", APPROVE, None),
    ("na-lightning", "Login URL: https://acme.lightning.force.com\n" + jsn("invalid_grant", APPROVE), C.USERNAME_OR_LOGIN_URL, H, "invalid_grant", APPROVE, None),
    # admin approved
    ("aa-json", jsn("invalid_app_access", "user is not admin approved to access this app"), C.USER_NOT_PREAUTHORIZED, H, "invalid_app_access", "user is not admin approved to access this app", None),
    ("aa-redirect", "https://app.example.com/callback?error=OAUTH_APP_ACCESS_DENIED&error_description=user+is+not+admin+approved+to+access+this+app",
     C.USER_NOT_PREAUTHORIZED, H, "OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app", None),
    ("aa-restforce", "Restforce::AuthenticationError: invalid_app_access: user is not admin approved to access this app (400)",
     C.USER_NOT_PREAUTHORIZED, H, "invalid_app_access", "user is not admin approved to access this app", 400),
    # External Client App not found
    ("eca-n8n", '{"error": "app_not_found", "error_description": "External client app is not installed in this org"}', C.USERNAME_OR_LOGIN_URL, M, "app_not_found", ECA, None),
    ("eca-cli-mixed", CLI_HEAD + f"{ECA}\naudience is invalid  [audience=https://login.salesforce.com login=https://test.salesforce.com/]\n{ECA}\n",
     C.USERNAME_OR_LOGIN_URL, H, "", ECA, None),
    ("eca-guzzle-generic", guzzle("login.salesforce.com", jsn("app_not_found", ECA)), C.USERNAME_OR_LOGIN_URL, H, "app_not_found", ECA, 400),
    ("eca-cli-line", CLI_HEAD + ECA + "\n", C.USERNAME_OR_LOGIN_URL, M, "", ECA, None),
    # expired
    ("exp-json-rev", '{"error_description":"expired authorization code","error":"invalid_grant"}', C.CLOCK_SKEW_OR_EXPIRY, H, "invalid_grant", "expired authorization code", None),
    ("exp-simple-sf", "SalesforceAuthenticationFailed: invalid_grant: expired authorization code", C.CLOCK_SKEW_OR_EXPIRY, H, "invalid_grant", "expired authorization code", None),
    ("exp-restforce-paren", "Restforce::AuthenticationError (invalid_grant: expired authorization code)", C.CLOCK_SKEW_OR_EXPIRY, H,
     "invalid_grant", "expired authorization code", None),
    ("exp-spring", 'org.springframework.web.client.HttpClientErrorException$BadRequest: 400 Bad Request: "'
     + jsn("invalid_grant", "expired authorization code") + '"', C.CLOCK_SKEW_OR_EXPIRY, H, "invalid_grant", "expired authorization code", 400),
    ("exp-apex", apex(jsn("invalid_grant", "expired authorization code")), C.CLOCK_SKEW_OR_EXPIRY, H, "invalid_grant", "expired authorization code", 400),
    ("exp-cumulus", cumulus("expired authorization code"), C.CLOCK_SKEW_OR_EXPIRY, H, "invalid_grant", "expired authorization code", None),
    # client id
    ("cid-json", jsn("invalid_client_id", "client identifier invalid"), C.CONSUMER_KEY_MISMATCH, M, "invalid_client_id", "client identifier invalid", None),
    ("cid-guzzle", guzzle("test.salesforce.com", jsn("invalid_client_id", "client identifier invalid")), C.CONSUMER_KEY_MISMATCH, M, "invalid_client_id", "client identifier invalid", 400),
    ("cid-cli", CLI_HEAD + "client identifier invalid\n", C.CONSUMER_KEY_MISMATCH, M, "", "client identifier invalid", None),
    ("cid-jsforce", jsforce_stack("invalid_client_id", "client identifier invalid"), C.CONSUMER_KEY_MISMATCH, M, "invalid_client_id", "client identifier invalid", None),
    # other codes
    ("ic-pyrepr", "{'error': 'invalid_client', 'error_description': 'invalid client credentials'}", C.PRIVATE_KEY_INVALID, L, "invalid_client", "invalid client credentials", None),
    ("ug-json", http(400, "Bad Request", jsn("unsupported_grant_type", "grant type not supported")), C.UNKNOWN, M, "unsupported_grant_type", "grant type not supported", 400),
    ("ug-jsforce", jsforce_stack("unsupported_grant_type", "grant type not supported"), C.UNKNOWN, M, "unsupported_grant_type", "grant type not supported", None),
    ("ip-json", jsn("invalid_grant", "ip restricted"), C.IP_OR_LOGIN_HOURS, H, "invalid_grant", "ip restricted", None),
    ("ip-doc", "Restforce::AuthenticationError: invalid_grant: IP restricted or invalid login hours (400)", C.IP_OR_LOGIN_HOURS, H, "invalid_grant", "IP restricted or invalid login hours", 400),
    ("ip-cli", CLI_HEAD + "ip restricted\n", C.IP_OR_LOGIN_HOURS, H, "", "ip restricted", None),
    ("iu-restforce", "Restforce::AuthenticationError: invalid_grant: inactive user", C.USER_OR_ORG_INACTIVE, H, "invalid_grant", "inactive user", None),
    ("io-json", jsn("inactive_org", "Org is locked, closed, or suspended"), C.USER_OR_ORG_INACTIVE, H, "inactive_org", "Org is locked, closed, or suspended", None),
    ("io-simple-sf", "Authentication failed (code: invalid_grant): inactive organization", C.USER_OR_ORG_INACTIVE, H, "invalid_grant", "inactive organization", None),
    ("rate-json", http(400, "Bad Request", jsn("invalid_grant", "login rate exceeded")), C.LOGIN_RATE_EXCEEDED, H, "invalid_grant", "login rate exceeded", 400),
    ("rate-doc", jsn("rate_limit_exceeded", "Number of logins exceeded"), C.LOGIN_RATE_EXCEEDED, H, "rate_limit_exceeded", "Number of logins exceeded", None),
    ("rate-bare", "Audit trail: LOGIN_RATE_EXCEEDED for integration@acme.com", C.LOGIN_RATE_EXCEEDED, H, "LOGIN_RATE_EXCEEDED", "", None),
    ("auth-failure", "Error authenticating with auth code due to: invalid_grant::authentication failure", C.UNKNOWN, L, "invalid_grant", "authentication failure", None),
    # never reached Salesforce
    ("pem-node", "Error: error:0909006C:PEM routines:get_name:no start line\n    at Sign.sign (node:internal/crypto/sig:131:29)",
     C.PRIVATE_KEY_INVALID, H, "private_key_invalid", "error:0909006C:PEM routines:get_name:no start line", None),
    ("pem-sfdx", "ERROR running force:auth:jwt:grant:  error:0906D06C:PEM routines:PEM_read_bio:no start line",
     C.PRIVATE_KEY_INVALID, H, "private_key_invalid", "error:0906D06C:PEM routines:PEM_read_bio:no start line", None),
    ("pem-ruby", "OpenSSL::PKey::RSAError (Neither PUB key nor PRIV key: nested asn1 error)", C.PRIVATE_KEY_INVALID, H,
     "private_key_invalid", "Neither PUB key nor PRIV key: nested asn1 error", None),
    ("pem-grafana", "failed to sign JWT: private key should be a PEM or plain PKCS1 or PKCS8; parse error", C.PRIVATE_KEY_INVALID, H,
     "private_key_invalid", "private key should be a PEM or plain PKCS1 or PKCS8", None),
    ("pem-drupal", "Warning: openssl_sign(): supplied key param cannot be coerced into a private key in Firebase\\JWT\\JWT::sign()",
     C.PRIVATE_KEY_INVALID, H, "private_key_invalid", "supplied key param cannot be coerced into a private key", None),
    ("tls", "ERROR running force:auth:jwt:grant:  unable to get local issuer certificate", C.SALESFORCE_UNREACHABLE, H,
     "unreachable", "unable to get local issuer certificate", None),
    ("empty-json", CLI_HEAD + "Unexpected end of JSON input\n", C.SALESFORCE_UNREACHABLE, H, "unreachable", "Unexpected end of JSON input", None),
    ("jsforce-503", "ERROR_HTTP_503: <html><head><title>Service Unavailable</title></head><body>Maintenance</body></html>\n"
     "    at OAuth2._postParams (oauth2.js:240:19) {\n  name: 'ERROR_HTTP_503'\n}", C.SALESFORCE_UNREACHABLE, H, "unreachable", "ERROR_HTTP_503", 503),
    ("html-503", "HTTP/1.1 503 Service Unavailable\nContent-Type: text/html\n\n<!DOCTYPE html><html><head><title>Down for Maintenance"
     "</title></head></html>", C.SALESFORCE_UNREACHABLE, H, "unreachable", "Down for Maintenance", 503),
    ("dns-node-typo", "Error: getaddrinfo ENOTFOUND login.salesforce.co\n    at GetAddrInfoReqWrap.onlookup", C.USERNAME_OR_LOGIN_URL, H,
     "unreachable", "getaddrinfo ENOTFOUND login.salesforce.co", None),
    ("dns-python", "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='acme.my.salesforce.com', port=443): Max retries "
     "exceeded (Caused by NameResolutionError(\"Failed to resolve 'acme.my.salesforce.com'\"))", C.SALESFORCE_UNREACHABLE, H,
     "unreachable", "NameResolutionError", None),
    ("rest-scope", http(401, "Unauthorized", '[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]'),
     C.OAUTH_NOT_ENABLED_OR_SCOPES, H, "INVALID_SESSION_ID", "This session is not valid for use with the REST API", 401),
    ("rest-scope-2", '[{"errorCode":"INVALID_SESSION_ID","message":"This session is not valid for use with the REST API"}]',
     C.OAUTH_NOT_ENABLED_OR_SCOPES, H, "INVALID_SESSION_ID", "This session is not valid for use with the REST API", None),
    ("metadata", "<soapenv:Fault><faultcode>sf:INSUFFICIENT_ACCESS</faultcode><faultstring>INSUFFICIENT_ACCESS: use of the Metadata API "
     "requires a user with the ModifyAllData or ModifyMetadata permissions</faultstring></soapenv:Fault>", C.METADATA_ACCESS_MISSING, H,
     "INSUFFICIENT_ACCESS", "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions", None),
    ("url-not-reset", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set", C.UNKNOWN, M,
     "URL_NOT_RESET", "Destination URL not reset. The URL returned from login must be set", None),
    ("login-history", "Login History: 11/03/2026 10:02 integration@acme.com Remote Access 2.0 Failed: Not approved for access",
     C.USER_NOT_PREAUTHORIZED, H, "login_history", "Failed: Not approved for access", None),
    ("bare-phrase", "the scan stopped, the log just says: user is inactive", C.USER_OR_ORG_INACTIVE, H, "", "user is inactive", None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_recognises_wrapping(case: tuple) -> None:
    _, text, cause, confidence, code, desc, status = case
    result = explain(text)
    assert result.found
    assert result.candidates, result
    top = result.candidates[0]
    assert (top.id, top.confidence) == (cause, confidence), result.candidates
    assert result.error is not None
    assert (result.error.error, result.error.error_description, result.error.status) == (code, desc, status)


def test_table_is_large_and_covers_every_wrapping() -> None:
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


def test_to_dict_shape() -> None:
    d = explain(http(400, "Bad Request", jsn("invalid_grant", "invalid assertion"))).to_dict()
    assert set(d) == {"candidates", "error"}
    assert d["error"] == {"status": 400, "error": "invalid_grant", "error_description": "invalid assertion"}
    assert d["candidates"][0] == {"id": "certificate_mismatch", "confidence": "medium"}
    assert explain("nothing here").to_dict() == {"candidates": [], "error": None}


# ----------------------------------------------------------------- clues

def clues_of(result: Explanation) -> str:
    return "\n".join(result.clues)


def conf(result: Explanation, cause: C) -> Confidence | None:
    return next((c.confidence for c in result.candidates if c.id == cause), None)


def test_sandbox_username_with_production_host_is_high_and_said() -> None:
    text = ('{"username": "ops@acme.com.uat", "loginUrl": "https://login.salesforce.com"}\n'
            + jsn("invalid_grant", APPROVE))
    r = explain(text)
    assert r.candidates[0].id == C.USERNAME_OR_LOGIN_URL and r.candidates[0].confidence == H
    assert "ops@acme.com.uat" in clues_of(r) and ".uat" in clues_of(r)


def test_sandbox_username_with_sandbox_host_does_not_raise() -> None:
    r = explain("--username ops@acme.com.uat --instance-url https://test.salesforce.com\n" + jsn("invalid_grant", APPROVE))
    assert r.candidates[0].id == C.USER_NOT_PREAUTHORIZED
    assert conf(r, C.USERNAME_OR_LOGIN_URL) == L
    assert "agree" in clues_of(r)


def test_sandbox_my_domain_vs_production_host_clue() -> None:
    r = explain("POST https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token aud=https://login.salesforce.com\n"
                + jsn("invalid_grant", "invalid assertion"))
    assert "acme--uat.sandbox.my.salesforce.com" in clues_of(r) and "login.salesforce.com" in clues_of(r)
    assert r.candidates[0].id == C.USERNAME_OR_LOGIN_URL and r.candidates[0].confidence == H


def test_production_username_on_sandbox_host_is_medium() -> None:
    r = explain('{"sub": "ops@acme.com", "aud": "https://test.salesforce.com"}\n' + jsn("invalid_grant", "invalid assertion"))
    assert conf(r, C.USERNAME_OR_LOGIN_URL) == M
    assert "no sandbox suffix" in clues_of(r)


def test_lightning_host_on_html_answer_points_at_login_url() -> None:
    r = explain("POST https://acme.lightning.force.com/services/oauth2/token\nHTTP/1.1 200 OK\n\n<html><head><title>Login</title></head></html>")
    assert r.candidates[0].id == C.USERNAME_OR_LOGIN_URL and r.candidates[0].confidence == H
    assert "https://acme.my.salesforce.com" in clues_of(r)


def test_http_audience_claim_from_decoded_assertion() -> None:
    payload = {"iss": "3MVG9" + "x" * 80, "sub": "ops@acme.com", "aud": "http://login.salesforce.com", "exp": 1893456000}
    part = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    assertion = f"eyJhbGciOiJSUzI1NiJ9.{part}.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbm90LXJlYWw"
    r = explain(f"assertion={assertion}\n" + jsn("invalid_grant", "audience is invalid"))
    assert "http://login.salesforce.com" in clues_of(r)
    assert r.candidates[0].id == C.USERNAME_OR_LOGIN_URL
    assert assertion not in repr(r) and part not in repr(r)


def test_exp_in_milliseconds_is_not_blamed() -> None:
    r = explain('claims: {"exp": 1893456000000, "aud": "https://login.salesforce.com"}\n' + jsn("invalid_grant", "invalid assertion"))
    assert "milliseconds" in clues_of(r)
    assert conf(r, C.CLOCK_SKEW_OR_EXPIRY) in (None, L)
    assert r.candidates[0].id == C.CERTIFICATE_MISMATCH


def test_exp_in_the_past_raises_clock_when_now_is_known() -> None:
    r = explain('{"exp": 1700000000}\n' + jsn("invalid_grant", "invalid assertion"), now=1700003600)
    assert conf(r, C.CLOCK_SKEW_OR_EXPIRY) == H
    assert "60 minutes in the past" in clues_of(r)


def test_cli_audience_noise_keeps_the_real_answer_medium() -> None:
    text = CLI_HEAD + ("invalid assertion\n"
                       "audience is invalid  [audience=https://login.salesforce.com login=https://test.salesforce.com/]\n")
    r = explain(text)
    assert r.candidates[0].id == C.CERTIFICATE_MISMATCH and r.candidates[0].confidence == M
    assert conf(r, C.USERNAME_OR_LOGIN_URL) == M
    assert r.error is not None and r.error.error_description == "invalid assertion"
    assert [e.error_description for e in r.errors] == ["invalid assertion", "audience is invalid"]


def test_app_not_found_plus_audience_says_use_my_domain() -> None:
    r = explain(CASES[[c[0] for c in CASES].index("eca-cli-mixed")][1])
    assert "My Domain" in clues_of(r)


def test_app_not_found_on_my_domain_suspects_install() -> None:
    r = explain(guzzle("acme.my.salesforce.com", jsn("app_not_found", ECA)))
    assert conf(r, C.CONSUMER_KEY_MISMATCH) == M
    assert "may not be installed" in clues_of(r)


def test_crossing_pair_on_single_attempt_is_said() -> None:
    r = explain(CLI_HEAD + "audience is invalid  [audience=https://test.salesforce.com login=https://login.salesforce.com]")
    assert "production" in clues_of(r) and "sandbox" in clues_of(r)


def test_typo_host_clue() -> None:
    r = explain("Error: getaddrinfo ENOTFOUND login.salesforce.co")
    assert "login.salesforce.co is not a Salesforce login host" in clues_of(r)


def test_url_not_reset_explains_login_host() -> None:
    r = explain("URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set")
    assert "instance_url" in clues_of(r)


def test_prose_mentioning_restricted_ip_is_not_login_history() -> None:
    r = explain("our profile has restricted IP ranges\n" + jsn("invalid_grant", "invalid assertion"))
    assert conf(r, C.IP_OR_LOGIN_HOURS) is None and r.candidates[0].id == C.CERTIFICATE_MISMATCH


def test_invalid_session_without_rest_wording_is_not_scopes() -> None:
    r = explain('[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]')
    assert conf(r, C.OAUTH_NOT_ENABLED_OR_SCOPES) is None
    assert r.candidates[0].confidence == L


# -------------------------------------------------------------- no error

@pytest.mark.parametrize("text", ["", "   ", "it does not work since yesterday", "Test Connection failed.",
                                  "error: something went wrong", '{"error": "Not Found"}'])
def test_no_salesforce_error(text: str) -> None:
    r = explain(text)
    assert not r.found and r.candidates == [] and r.error is None
    assert "exact message" in r.clues[0]


# --------------------------------------------------------------- secrets

def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _everything(r: Explanation) -> str:
    return repr(r) + json.dumps(r.to_dict()) + "".join(r.clues + r.warnings)


def test_private_key_is_redacted_and_warned() -> None:
    pem = _pem()
    body = pem.splitlines()[5]
    r = explain(f"here is our key:\n{pem}\nand the error {jsn('invalid_grant', 'invalid assertion')}")
    assert r.found and r.error is not None and r.error.error_description == "invalid assertion"
    assert body not in _everything(r) and "BEGIN PRIVATE KEY" not in _everything(r)
    assert any("private key" in w for w in r.warnings)


def test_private_key_inside_json_string_and_without_header() -> None:
    pem = _pem()
    escaped = json.dumps({"private_key": pem, "error": "invalid_grant", "error_description": "invalid assertion"})
    bare = "".join(pem.splitlines()[1:-1])
    for text in (escaped, f"key={bare}\n{jsn('invalid_grant', 'invalid assertion')}"):
        r = explain(text)
        assert r.warnings and bare[:64] not in _everything(r) and bare[100:160] not in _everything(r)
        assert r.error is not None and r.error.error_description == "invalid assertion"


def test_truncated_key_is_still_redacted() -> None:
    pem = _pem()
    cut = "\n".join(pem.splitlines()[:8])
    r = explain(cut + "\n" + jsn("invalid_grant", "invalid assertion"))
    assert pem.splitlines()[4] not in _everything(r) and r.warnings


def test_access_token_is_redacted() -> None:
    token = "00D5g000004XyZa!AQ0AQH7.pRx_kYb9VdVx3K4s2nG9fTq1ZcE8wLmN6aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
    r = explain(f'{{"access_token":"{token}","instance_url":"https://acme.my.salesforce.com"}}\n'
                f"then REST said: [{{\"errorCode\":\"INVALID_SESSION_ID\",\"message\":\"This session is not valid "
                f"for use with the REST API {token}\"}}]")
    assert token not in _everything(r) and token.split("!")[1] not in _everything(r)
    assert any("access token" in w for w in r.warnings)
    assert r.candidates[0].id == C.OAUTH_NOT_ENABLED_OR_SCOPES
    encoded = token.replace("!", "%21")
    r = explain(f"GET /services/data/v62.0/sobjects?sid={encoded}\n" + jsn("invalid_grant", "invalid assertion"))
    assert encoded.split("%21")[1] not in _everything(r) and r.warnings


@pytest.mark.parametrize("template", [
    "Consumer Secret: {s}\n{err}",
    "consumer_secret={s}&grant_type=password\n{err}",
    '{{"client_secret": "{s}"}}\n{err}',
    "Consumer Secret\n{s}\n{err}",
    '{{"error":"invalid_client","error_description":"bad client_secret={s}"}}',
])
def test_consumer_secret_is_redacted_everywhere(template: str) -> None:
    secret = "8A3F0C2B7E6D5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B"
    r = explain(template.format(s=secret, err=jsn("invalid_client_id", "client identifier invalid")))
    assert r.found
    assert secret not in _everything(r) and secret[:20] not in _everything(r)
    assert any("consumer secret" in w for w in r.warnings)


def test_no_warning_for_clean_text() -> None:
    assert explain(jsn("invalid_grant", "invalid assertion")).warnings == []
    assert explain("the consumer secret is not used by the JWT flow").warnings == []


# ------------------------------------------------------ garbage and size

def _timed(text: str | bytes) -> tuple[Explanation, float]:
    start = time.perf_counter()
    result = explain(text)
    return result, time.perf_counter() - start


@pytest.mark.timeout(60)
def test_megabyte_of_random_text_is_quick() -> None:
    rnd = random.Random(7)
    text = "".join(rnd.choice(string.printable) for _ in range(1_000_000))
    r, seconds = _timed(text)
    assert isinstance(r, Explanation) and seconds < 5


@pytest.mark.timeout(60)
def test_binary_ish_input_is_quick() -> None:
    rnd = random.Random(11)
    raw = bytes(rnd.randrange(256) for _ in range(1_000_000))
    for data in (raw, raw.decode("latin-1")):
        r, seconds = _timed(data)
        assert isinstance(r, Explanation) and seconds < 5


@pytest.mark.timeout(120)
@pytest.mark.parametrize("text", [
    "-----BEGIN PRIVATE KEY-----" * 40_000,
    "Errors encountered:\n" * 50_000,
    "a" * 1_000_000,
    "x@" * 500_000,
    "https://" + "a." * 400_000,
    '"error_description":"' + "\\" * 1_000_000,
    "HTTP/1.1 400 Bad Request\n" * 40_000,
])
def test_adversarial_inputs_are_linear(text: str) -> None:
    _, seconds = _timed(text)
    assert seconds < 5


@pytest.mark.timeout(60)
def test_error_at_the_end_of_a_big_log_is_found() -> None:
    log = "2026-11-03 INFO scanning object Account\n" * 25_000
    r, seconds = _timed(log + mule(jsn("invalid_grant", "ip restricted")))
    assert r.found and r.candidates[0].id == C.IP_OR_LOGIN_HOURS and seconds < 5
