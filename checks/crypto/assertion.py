"""Building the JWT bearer assertion exactly as Salesforce documents it."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

# Salesforce: "the expiration time of the assertion within 3 minutes", in seconds since the epoch.
EXP_SECONDS = 180


@dataclass(frozen=True)
class Claims:
    iss: str
    sub: str
    aud: str
    exp: int

    def as_dict(self) -> dict[str, object]:
        return {"iss": self.iss, "sub": self.sub, "aud": self.aud, "exp": self.exp}


def claims_for(consumer_key: str, username: str, audience: str, now: float) -> Claims:
    """Claims for one login: exp in whole seconds, ``EXP_SECONDS`` ahead of ``now``."""
    return Claims(iss=consumer_key, sub=username, aud=audience.rstrip("/"), exp=int(now) + EXP_SECONDS)


def sign(claims: Claims, key: RSAPrivateKey) -> str:
    """RS256-sign the claims; the result is a compact JWT (header.claims.signature)."""
    return jwt.encode(claims.as_dict(), key, algorithm="RS256")
