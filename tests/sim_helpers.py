"""Shared pieces of the simulator tests: a production org and its sandbox, keys, a clock, token calls.

Fixtures are imported by name into the test modules that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from checks.simulator import ConnectedApp, JWT_GRANT, Org, SimTransport, SimUser, Simulator

T0 = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
PROD_ID, SBX_ID = "00D000000000001EAA", "00D000000000002EAA"
PROD_USER, SBX_USER = "integration@acme.com", "integration@acme.com.uat"
PROD_UID, SBX_UID = "005000000000001AAA", "005000000000002AAA"
KEY = "3MVG9simulatorTestKey"
LOGIN, TEST = "login.salesforce.com", "test.salesforce.com"
TEST_URL = "https://test.salesforce.com"
PROD_HOST, SBX_HOST = "acme.my.salesforce.com", "acme--uat.sandbox.my.salesforce.com"
NOT_APPROVED = {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
INVALID_ASSERTION = {"error": "invalid_grant", "error_description": "invalid assertion"}
AUDIENCE_INVALID = {"error": "invalid_grant", "error_description": "audience is invalid"}


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def key_and_cert(name: str) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    good_key, good_cert = key_and_cert("good")
    other_key, other_cert = key_and_cert("other")
    return {"key": good_key, "cert": good_cert, "other_key": other_key, "other_cert": other_cert}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock, keys: dict[str, Any]) -> Simulator:
    """A production org and its sandbox copy (same consumer key, suffixed username)."""
    s = Simulator(clock=clock)
    for org_id, uid, user, domain, sandbox in (
        (PROD_ID, PROD_UID, PROD_USER, "acme", False),
        (SBX_ID, SBX_UID, SBX_USER, "acme--uat", True),
    ):
        app = ConnectedApp("aprity", KEY, keys["cert"], profiles=frozenset({"Integration"}))
        s.add_org(Org(org_id, "Acme", domain, is_sandbox=sandbox, users=[SimUser(user, uid)], apps=[app]))
    return s


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SimTransport(sim)) as c:
        yield c


def make_assertion(keys: dict[str, Any], key: str = "key", alg: str = "RS256", **claims: Any) -> str:
    body: dict[str, Any] = {"iss": KEY, "sub": PROD_USER, "aud": "https://login.salesforce.com", "exp": T0 + 180}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    signing_key: Any = keys[key] if alg == "RS256" else "not-a-certificate-secret-0123456789"
    return jwt.encode(body, signing_key, algorithm=alg)


def token(client: httpx.Client, assertion: str | None, host: str = LOGIN, **form: str) -> httpx.Response:
    data = {"grant_type": JWT_GRANT, **form}
    if assertion is not None:
        data["assertion"] = assertion
    return client.post(f"https://{host}/services/oauth2/token", data=data)


Login = Callable[..., httpx.Response]


@pytest.fixture
def login(client: httpx.Client, keys: dict[str, Any]) -> Login:
    """POST a freshly signed assertion; ``host`` picks the token host, other keywords are claims."""

    def run(host: str = LOGIN, key: str = "key", **claims: Any) -> httpx.Response:
        return token(client, make_assertion(keys, key, **claims), host)

    return run


def err(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    return response.json()

