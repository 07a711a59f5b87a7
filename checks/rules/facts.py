"""Everything one diagnosis learned, local and remote, in one place.

The engine fills a :class:`Facts`; :mod:`checks.rules.causes` ranks causes from it and
:mod:`checks.rules.steps` turns it into step results. Neither does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from checks.crypto.assertion import Claims
from checks.connections import Connection
from checks.rules.errors import ErrorKind, kind_of
from checks.salesforce.client import ApiReply, TokenReply

# An audience no org accepts: a probe with it tells whether the signature verified,
# because Salesforce checks the signature before the audience.
BOGUS_AUDIENCE = "https://aprity-diagnose.invalid"


class ProbeKind(StrEnum):
    HOST = "host"            # another login host, with its own audience
    AUDIENCE = "audience"    # same host, another accepted audience
    SIGNATURE = "signature"  # same host, an audience nobody accepts


@dataclass(frozen=True)
class ProbePlan:
    kind: ProbeKind
    origin: str
    audience: str

    @property
    def label(self) -> str:
        host = self.origin.split("://", 1)[-1]
        return f"{host} with aud {self.audience}"


@dataclass(frozen=True)
class Probe:
    plan: ProbePlan
    reply: TokenReply

    @property
    def kind(self) -> ErrorKind | None:
        """None when the probe got a token."""
        return None if self.reply.ok or self.reply.error is None else kind_of(self.reply.error)


@dataclass
class Verification:
    identity: ApiReply | None = None
    organization: ApiReply | None = None
    metadata: ApiReply | None = None


@dataclass
class Facts:
    connection: Connection
    now: float
    key: RSAPrivateKey | None = None
    key_problem: Exception | None = None  # a keys.KeyProblem, or a missing-file note
    cert: x509.Certificate | None = None
    cert_problem: Exception | None = None
    cert_matches: bool | None = None
    login_origin: str | None = None
    url_problem: str | None = None
    claims: Claims | None = None
    reply: TokenReply | None = None
    probes: list[Probe] = field(default_factory=list)
    verification: Verification | None = None
    # After a transport failure: whether login.salesforce.com answers from here (our network vs their host).
    well_known_resolves: bool | None = None
    # The app's kind as known before ranking (checks.rules.apptype): it picks the words of a separating check.
    app_type: str = "unknown"

    @property
    def no_answer(self) -> bool:
        """The token request got no HTTP answer at all (DNS, connect, TLS, proxy, timeout)."""
        r = self.reply
        return r is not None and not r.ok and r.error is not None and r.error.error == "unreachable" \
            and r.error.status is None

    @property
    def error_kind(self) -> ErrorKind | None:
        if self.reply is None or self.reply.ok or self.reply.error is None:
            return None
        return kind_of(self.reply.error)

    def probes_of(self, kind: ProbeKind) -> list[Probe]:
        return [p for p in self.probes if p.plan.kind == kind]

    @property
    def signature_verified(self) -> bool | None:
        """True/False when a token or the signature probe settled it, None when unknown."""
        if self.reply is not None and self.reply.ok:
            return True
        if self.error_kind in (ErrorKind.AUDIENCE_INVALID, ErrorKind.EXPIRED, ErrorKind.NOT_APPROVED,
                               ErrorKind.NOT_ADMIN_APPROVED, ErrorKind.IP_RESTRICTED, ErrorKind.INACTIVE_USER,
                               ErrorKind.INACTIVE_ORG, ErrorKind.RATE_LIMITED):
            return True
        for probe in self.probes_of(ProbeKind.SIGNATURE):
            if probe.kind == ErrorKind.AUDIENCE_INVALID:
                return True
            if probe.kind == ErrorKind.INVALID_ASSERTION:
                return False
        return None

    @property
    def app_found(self) -> bool | None:
        """Did Salesforce recognise the consumer key at the host we called?"""
        kind = self.error_kind
        if self.reply is not None and self.reply.ok:
            return True
        if kind is None or kind in (ErrorKind.UNREACHABLE, ErrorKind.OTHER, ErrorKind.UNSUPPORTED_GRANT,
                                    ErrorKind.INVALID_REQUEST, ErrorKind.AUTH_FAILURE, ErrorKind.NO_VALID_SCOPES):
            return None
        if kind in (ErrorKind.CLIENT_ID_INVALID, ErrorKind.APP_NOT_FOUND):
            return False
        if kind == ErrorKind.INVALID_ASSERTION:
            # The app was found only if the signature then verified.
            return True if self.signature_verified else None
        return True

    def accepted_elsewhere(self) -> Probe | None:
        """A host or audience probe that got a token."""
        return next((p for p in self.probes if p.plan.kind != ProbeKind.SIGNATURE and p.reply.ok), None)
