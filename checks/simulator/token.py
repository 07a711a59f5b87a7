"""``POST /services/oauth2/token`` for the JWT bearer grant.

Checks run in this order; the first failure answers (HTTP 400 JSON
``{"error", "error_description"}``):

1. method POST (``invalid_request``), form body with the jwt-bearer ``grant_type``
   (``unsupported_grant_type``);
2. ``assertion`` present, three base64url parts, JSON header and claims
   (``invalid_grant`` / ``invalid assertion``);
3. header ``alg`` is RS256 (``invalid_client``);
4. ``iss`` is the consumer key of an OAuth-enabled app in an org this host serves
   (``invalid_client_id``); an External Client App on login/test → ``app_not_found``;
5. the signature verifies with the app's certificate (``invalid assertion``);
6. ``aud`` is an audience this host accepts (``audience is invalid``) — after the
   signature, so a wrong ``aud`` reveals that the signature was good; an External
   Client App given login/test as ``aud`` → ``app_not_found`` (Spring '26);
7. ``exp`` is a number, not more than ``EXP_LEEWAY`` seconds in the past
   (``expired authorization code``);
8. ``sub`` (``prn`` wins) is a user of the app's org (answer per ``org.unknown_user_error``);
9. org active, then user active and not frozen;
10. caller IP inside the profile's ranges and login hours open (``ip restricted``);
11. per-user login rate over the past hour (``login rate exceeded``);
12. pre-authorization (admin-approved profile/permission set, or a self-approval
    with ``refresh_token``);
13. success: an access token bound to org, user and the app's scopes.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from checks.simulator.wire import SimRequest, SimResponse, json_response, oauth_error
from checks.simulator.world import SimulatorLike, LOGIN_HOST, LOGIN_URL, TEST_HOST, TEST_URL, ConnectedApp, Org, SimUser


JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")

NOT_APPROVED = "user hasn't approved this consumer"
INVALID_ASSERTION = "invalid assertion"
# CumulusCI sends exp = now and is accepted: Salesforce tolerates a little lateness
# (network time). How much is undocumented; a few seconds covers what is observed.
EXP_LEEWAY = 5


class _Refusal(Exception):
    """Carries the error answer out of the nested checks."""

    def __init__(self, response: SimResponse) -> None:
        super().__init__(response.error)
        self.response = response


def _fail(error: str, description: str) -> _Refusal:
    return _Refusal(oauth_error(error, description))


def _b64decode(part: str) -> bytes:
    if not _B64URL.match(part):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def _decode(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, signature and signing input; ValueError when any part is unreadable."""
    parts = assertion.strip().split(".")
    if len(parts) != 3:
        raise ValueError("not three parts")
    header = json.loads(_b64decode(parts[0]))
    claims = json.loads(_b64decode(parts[1]))
    signature = _b64decode(parts[2])
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("header or claims not a JSON object")
    return header, claims, signature, f"{parts[0]}.{parts[1]}".encode("ascii")


def _signature_ok(app: ConnectedApp, signature: bytes, signing_input: bytes) -> bool:
    if not app.digital_signatures or not app.certificate_pem:
        return False  # nothing to verify against: Salesforce answers as for a bad signature
    try:
        key = x509.load_pem_x509_certificate(app.certificate_pem).public_key()
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _find_app(orgs: list[Org], iss: Any) -> tuple[Org, ConnectedApp] | None:
    if not isinstance(iss, str):
        return None
    return next(((o, a) for o in orgs for a in o.apps if a.consumer_key == iss), None)


def accepted_audiences(host: str, org: Org, extra: tuple[str, ...] = (), *, eca: bool = False) -> set[str]:
    """Audiences the token endpoint on ``host`` accepts for an assertion aimed at ``org``.

    External Client Apps (Spring '26) accept only the org's My Domain as the audience.
    """
    if host == LOGIN_HOST:
        found = {LOGIN_URL}
    elif host == TEST_HOST:
        found = {TEST_URL}
    elif eca:
        found = {f"https://{host}"}
    else:
        found = {f"https://{host}", TEST_URL if org.is_sandbox else LOGIN_URL}
    return found | set(extra)


def _aud_ok(aud: Any, accepted: set[str]) -> bool:
    if not isinstance(aud, str):
        return False  # a JSON array, even with the right URL inside, is refused
    trimmed = aud[:-1] if aud.endswith("/") else aud
    return trimmed in accepted


def _ip_allowed(ip: str, ranges: tuple[str, ...]) -> bool:
    if not ranges:
        return True
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(r, strict=False) for r in ranges)


def _preauthorized(app: ConnectedApp, user: SimUser) -> bool:
    if app.permitted_users == "self_authorize":
        # JWT reuses earlier approvals, and only those that included refresh_token.
        return app.consumer_key in user.approved_apps and "refresh_token" in app.scopes
    return user.profile in app.profiles or bool(user.permission_sets & app.permission_sets)


def _unapproved(app: ConnectedApp) -> _Refusal:
    if app.permitted_users != "self_authorize" and app.unapproved_error == "invalid_app_access":
        return _fail("invalid_app_access", "user is not admin approved to access this app")
    return _fail("invalid_grant", NOT_APPROVED)


def _form(req: SimRequest) -> dict[str, str]:
    """The form parameters, or a refusal when the body is not a jwt-bearer form."""
    if req.method != "POST":
        raise _fail("invalid_request", "Must use HTTP POST")
    unsupported = _fail("unsupported_grant_type", "grant type not supported")
    content_type = req.header("content-type").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise unsupported
    try:
        parsed = parse_qs(req.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise unsupported from None
    form = {k: v[0] for k, v in parsed.items()}
    if form.get("grant_type") != JWT_GRANT:
        raise unsupported
    return form


def _check(sim: SimulatorLike, req: SimRequest) -> SimResponse:
    form = _form(req)  # 1
    try:  # 2
        header, claims, signature, signing_input = _decode(form.get("assertion") or "")
    except (ValueError, UnicodeError):
        raise _fail("invalid_grant", INVALID_ASSERTION) from None
    if header.get("alg") != "RS256":  # 3
        raise _fail("invalid_client", "invalid client credentials")

    now = sim.now()
    found = _find_app(sim.orgs_for_host(req.host, now), claims.get("iss"))  # 4
    if found is None or not found[1].oauth_enabled:
        raise _fail("invalid_client_id", "client identifier invalid")
    org, app = found
    if app.external_client_app and req.host in (LOGIN_HOST, TEST_HOST):
        # Spring '26: ECAs are only reachable through the org's own My Domain.
        raise _fail("app_not_found", "External client app is not installed in this org")

    if not _signature_ok(app, signature, signing_input):  # 5
        raise _fail("invalid_grant", INVALID_ASSERTION)
    aud = claims.get("aud")
    if app.external_client_app and isinstance(aud, str) and aud.rstrip("/") in (LOGIN_URL, TEST_URL):
        raise _fail("app_not_found", "External client app is not installed in this org")  # 6, Spring '26
    if not _aud_ok(aud, accepted_audiences(req.host, org, req.extra_audiences, eca=app.external_client_app)):
        raise _fail("invalid_grant", "audience is invalid")

    exp = claims.get("exp")  # 7
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise _fail("invalid_grant", INVALID_ASSERTION)
    if exp < now - EXP_LEEWAY:  # a far-future exp (milliseconds, as the CLI sends) passes
        raise _fail("invalid_grant", "expired authorization code")

    username = claims["prn"] if "prn" in claims else claims.get("sub")  # 8
    user = org.user(username) if isinstance(username, str) else None
    if user is None:
        if org.unknown_user_error == "invalid_assertion":
            raise _fail("invalid_grant", INVALID_ASSERTION)
        raise _fail("invalid_grant", NOT_APPROVED)

    if not org.active:  # 9
        raise _fail("invalid_grant", "inactive organization")
    if not user.active or user.frozen:
        raise _fail("invalid_grant", "inactive user")

    if not _ip_allowed(sim.caller_ip, user.login_ip_ranges) or user.login_hours_blocked:  # 10
        raise _fail("invalid_grant", "ip restricted")

    if sim.count_login(org, user, now) > org.login_rate_limit:  # 11
        raise _fail("invalid_grant", "login rate exceeded")

    if not _preauthorized(app, user):  # 12
        raise _unapproved(app)

    scopes = frozenset(app.scopes)  # 13
    token = sim.issue_token(org, user, scopes)
    return json_response(
        200,
        {
            "access_token": token,
            "scope": " ".join(sorted(scopes)),
            "instance_url": org.instance_url,
            "id": f"https://{org.generic_host}/id/{org.org_id}/{user.user_id}",
            "token_type": "Bearer",
            "issued_at": str(int(now * 1000)),
        },
    )


def handle_token(sim: SimulatorLike, req: SimRequest) -> SimResponse:
    """Answer one token request as Salesforce would."""
    try:
        return _check(sim, req)
    except _Refusal as refusal:
        return refusal.response
