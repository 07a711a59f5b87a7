"""Plain data the engine produces: step results, causes, the diagnosis.

Nothing here does I/O; everything is a dataclass or an enum so the CLI, the
Slack layer and the store can serialise it the same way (``to_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


CONFIDENCE_RANK = {Confidence.HIGH: 3, Confidence.MEDIUM: 2, Confidence.LOW: 1}


class AppType(StrEnum):
    """Which kind of app the customer's org holds for aprity: their admins see different Setup screens."""

    EXTERNAL_CLIENT_APP = "external_client_app"
    CONNECTED_APP = "connected_app"
    UNKNOWN = "unknown"


def parse_app_type(value: str | None) -> AppType:
    """``external_client_app`` / ``connected_app`` (also ``eca``, ``ca``); empty or ``unknown`` → UNKNOWN.

    Raises ValueError naming the accepted values."""
    text = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"": AppType.UNKNOWN, "unknown": AppType.UNKNOWN, "eca": AppType.EXTERNAL_CLIENT_APP,
               "external_client_app": AppType.EXTERNAL_CLIENT_APP, "ca": AppType.CONNECTED_APP,
               "connected_app": AppType.CONNECTED_APP}
    if text not in aliases:
        raise ValueError("app_type must be external_client_app or connected_app (or unknown)")
    return aliases[text]


# How the kinds read in text for people (an unknown kind reads as the caller chooses).
APP_TYPE_LABELS: dict[str, str] = {AppType.EXTERNAL_CLIENT_APP: "External Client App",
                                   AppType.CONNECTED_APP: "Connected App"}


class AppTypeSource(StrEnum):
    """Where a diagnosis got the app type from: the connection said so, Salesforce's answers proved it, or neither."""

    CONFIGURED = "configured"
    PROVEN = "proven"
    UNKNOWN = "unknown"


class CauseId(StrEnum):
    """The causes a diagnosis can name. Stable: stored, shown, and parsed back."""

    CERTIFICATE_MISMATCH = "certificate_mismatch"
    CONSUMER_KEY_MISMATCH = "consumer_key_mismatch"
    OAUTH_NOT_ENABLED_OR_SCOPES = "oauth_not_enabled_or_scopes"
    DIGITAL_SIGNATURES_DISABLED = "digital_signatures_disabled"
    USER_NOT_PREAUTHORIZED = "user_not_preauthorized"
    USERNAME_OR_LOGIN_URL = "username_or_login_url"
    CLOCK_SKEW_OR_EXPIRY = "clock_skew_or_expiry"
    USER_OR_ORG_INACTIVE = "user_or_org_inactive"
    IP_OR_LOGIN_HOURS = "ip_or_login_hours"
    LOGIN_RATE_EXCEEDED = "login_rate_exceeded"
    METADATA_ACCESS_MISSING = "metadata_access_missing"
    PRIVATE_KEY_INVALID = "private_key_invalid"
    SALESFORCE_UNREACHABLE = "salesforce_unreachable"
    # Read by `explain` from pasted text: failures outside the JWT token answer (proxy, TLS, the key file,
    # other login flows, wrappers). Stored like the others; older builds fall back to UNKNOWN when restoring.
    PROXY_AUTH_REQUIRED = "proxy_auth_required"
    PROXY_REFUSED = "proxy_refused"
    PROXY_SCHEME_WRONG = "proxy_scheme_wrong"
    TLS_INTERCEPTION = "tls_interception"
    TLS_PROTOCOL = "tls_protocol"
    MUTUAL_TLS_CERTIFICATE = "mutual_tls_certificate"
    LOCAL_KEY_UNREADABLE = "local_key_unreadable"
    LOCAL_KEY_PASSPHRASE = "local_key_passphrase"
    NOT_JWT_FLOW = "not_jwt_flow"
    SESSION_EXPIRED = "session_expired"
    REST_SESSION_INVALID = "rest_session_invalid"
    WRAPPER_HID_ANSWER = "wrapper_hid_answer"
    REQUEST_MALFORMED = "request_malformed"
    UNKNOWN = "unknown"


CAUSE_TITLES: dict[CauseId, str] = {
    CauseId.CERTIFICATE_MISMATCH: "Certificate in the Salesforce app does not match the private key",
    CauseId.CONSUMER_KEY_MISMATCH: "Consumer key does not match the Salesforce app",
    CauseId.OAUTH_NOT_ENABLED_OR_SCOPES: "OAuth settings off or required scopes missing",
    CauseId.DIGITAL_SIGNATURES_DISABLED: "JWT Bearer Flow / \"Use digital signatures\" off: the app has no certificate",
    CauseId.USER_NOT_PREAUTHORIZED: "Integration user is not pre-authorized for the app",
    CauseId.USERNAME_OR_LOGIN_URL: "Wrong username or login URL for this org",
    CauseId.CLOCK_SKEW_OR_EXPIRY: "Assertion expired: clock skew or a bad exp claim",
    CauseId.USER_OR_ORG_INACTIVE: "Integration user or org is inactive",
    CauseId.IP_OR_LOGIN_HOURS: "Caller IP or login hours blocked by the user's profile",
    CauseId.LOGIN_RATE_EXCEEDED: "Too many logins for this user in the last hour",
    CauseId.METADATA_ACCESS_MISSING: "User cannot read metadata (Metadata API permission missing)",
    CauseId.PRIVATE_KEY_INVALID: "Private key cannot be used to sign",
    CauseId.SALESFORCE_UNREACHABLE: "Salesforce could not be reached",
    CauseId.PROXY_AUTH_REQUIRED: "The proxy in front of the client wants credentials (HTTP 407)",
    CauseId.PROXY_REFUSED: "The proxy refused to open a tunnel to Salesforce",
    CauseId.PROXY_SCHEME_WRONG: "The proxy URL says https:// but the proxy speaks plain HTTP",
    CauseId.TLS_INTERCEPTION: "Salesforce's certificate is not trusted on the client's side (TLS inspection or "
                              "an outdated trust store)",
    CauseId.TLS_PROTOCOL: "TLS handshake failed on the client's side: protocol version or cipher",
    CauseId.MUTUAL_TLS_CERTIFICATE: "Mutual TLS (port 8443): the org's client certificate was not presented or "
                                    "not accepted",
    CauseId.LOCAL_KEY_UNREADABLE: "The private key file is missing or not readable at the configured path",
    CauseId.LOCAL_KEY_PASSPHRASE: "The private key (or keystore) is encrypted and the passphrase is missing or wrong",
    CauseId.NOT_JWT_FLOW: "The client is not doing a JWT bearer login (a password, SOAP or client-credentials "
                          "login failed)",
    CauseId.SESSION_EXPIRED: "Login worked; the access token later expired or was revoked",
    CauseId.REST_SESSION_INVALID: "Token issued but the API refuses the session (IP-locked session, session "
                                  "level, API Access Control)",
    CauseId.WRAPPER_HID_ANSWER: "A wrapper (Named Credential, Mule, Boomi, Talend…) hid Salesforce's answer",
    CauseId.REQUEST_MALFORMED: "The token request itself is malformed (grant_type, body encoding, method or scheme)",
    CauseId.UNKNOWN: "Unrecognised failure",
}


class StepId(StrEnum):
    """Checks in the order the guide walks them; the order of this enum is the display order."""

    PRIVATE_KEY = "private_key"
    CERTIFICATE = "certificate"
    CONSUMER_KEY = "consumer_key"
    OAUTH_SETTINGS = "oauth_settings"
    DIGITAL_SIGNATURES = "digital_signatures"
    PRE_AUTHORIZATION = "pre_authorization"
    USERNAME_LOGIN_URL = "username_login_url"
    CLOCK = "clock"
    TOKEN_EXCHANGE = "token_exchange"
    VERIFICATION = "verification"


STEP_TITLES: dict[StepId, str] = {
    StepId.PRIVATE_KEY: "Private key",
    StepId.CERTIFICATE: "Certificate matches the private key",
    StepId.CONSUMER_KEY: "Consumer key",
    StepId.OAUTH_SETTINGS: "OAuth settings and scopes",
    StepId.DIGITAL_SIGNATURES: "Digital signatures",
    StepId.PRE_AUTHORIZATION: "User pre-authorization",
    StepId.USERNAME_LOGIN_URL: "Username and login URL",
    StepId.CLOCK: "Clock and token expiry",
    StepId.TOKEN_EXCHANGE: "Live token exchange",
    StepId.VERIFICATION: "Org ID and metadata access",
}

STEP_ORDER: tuple[StepId, ...] = tuple(StepId)


@dataclass(frozen=True)
class StepResult:
    id: StepId
    status: Status
    finding: str
    verify: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()  # extra facts (fingerprints, probe outcomes), never secrets
    # (label, URL) of the Setup pages the steps use, on the org's own My Domain only (checks.rules.setup_links).
    links: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        return STEP_TITLES[self.id]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": str(self.id),
            "title": self.title,
            "status": str(self.status),
            "finding": self.finding,
            "verify": list(self.verify),
            "fix": list(self.fix),
            "detail": list(self.detail),
        }
        if self.links:
            out["links"] = [{"label": label, "url": url} for label, url in self.links]
        return out


@dataclass(frozen=True)
class TokenError:
    """Salesforce's answer, verbatim, or a transport failure described by ``error``."""

    status: int | None  # HTTP status; None when no HTTP answer came back
    error: str
    error_description: str
    call: str | None = None  # which call answered: None/"token", or "identity", "query", "metadata"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.call is None:
            out.pop("call")
        return out

    def fingerprint(self) -> str:
        return f"{self.error}: {self.error_description}"


@dataclass(frozen=True)
class Candidate:
    id: CauseId
    confidence: Confidence
    reason: str = ""

    @property
    def title(self) -> str:
        return CAUSE_TITLES[self.id]

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "confidence": str(self.confidence)}


@dataclass(frozen=True)
class OrgInfo:
    id: str | None
    name: str | None = None
    is_sandbox: bool | None = None
    user_id: str | None = None
    instance_url: str | None = None
    organization_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "is_sandbox": self.is_sandbox}


@dataclass(frozen=True)
class ConnectionSummary:
    """What may be shown about a connection: no key material, no secrets."""

    name: str | None
    username: str
    login_url: str
    consumer_key: str
    environment: str  # "production" | "sandbox" | "unknown"
    connected_app: str | None = None
    org_id: str | None = None
    app_type: str = AppType.UNKNOWN  # as configured (connections.toml, the form, --app-type)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "username": self.username,
            "login_url": self.login_url,
            "consumer_key": self.consumer_key,
            "environment": self.environment,
        }


@dataclass(frozen=True)
class CertificateInfo:
    """The public certificate that matches aprity's key: from the file on disk, or made from the key."""

    pem: bytes
    fingerprint: str  # SHA-256, AB:CD:… as Salesforce and openssl show it
    not_after: str  # YYYY-MM-DD
    source: str  # "file" | "generated"
    subject: str = ""  # e.g. "CN=aprity": what Setup shows next to the expiry date

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "not_after": self.not_after, "source": self.source}


@dataclass
class Diagnosis:
    ok: bool
    connection: ConnectionSummary
    steps: list[StepResult]
    candidates: list[Candidate] = field(default_factory=list)
    error: TokenError | None = None
    org: OrgInfo | None = None
    evidence: list[str] = field(default_factory=list)  # probe reasoning, in plain words
    retryable: bool = True  # False when waiting cannot help (bad key file, host typed wrong)
    duration_ms: int = 0
    # Environment of the org as the evidence proves it (accepting host, Organization query), None if unproven.
    org_environment: str | None = None
    org_environment_proof: str | None = None  # e.g. "the user logs in at test.salesforce.com"
    separating_check: str | None = None  # with tied top causes: the one check that tells them apart
    certificate: CertificateInfo | None = None  # the certificate matching aprity's key, when the key loaded
    api_error: TokenError | None = None  # the last error a call after the login returned
    needs_certificate: bool = False  # the fix involves uploading the certificate (mismatch, signatures, expiry)
    app_type: str = AppType.UNKNOWN  # the app's kind as this run knows it (checks.rules.apptype)
    app_type_source: str = AppTypeSource.UNKNOWN  # configured | proven | unknown
    app_type_proof: str | None = None  # in plain words, when Salesforce's answers proved it
    my_domain_url: str | None = None  # the org's own My Domain when known for sure: Setup links point there

    @property
    def last_error(self) -> TokenError | None:
        """The last error Salesforce returned on any call: a call after login outranks the token answer."""
        return self.api_error or self.error

    @property
    def tied(self) -> list[Candidate]:
        """The leading causes Salesforce's answers cannot tell apart (two or more), else empty."""
        if self.ok or self.separating_check is None or len(self.candidates) < 2:
            return []
        top = self.candidates[0].confidence
        return [c for c in self.candidates if c.confidence == top]

    @property
    def cause(self) -> Candidate | None:
        return None if self.ok or not self.candidates else self.candidates[0]

    @property
    def links(self) -> list[tuple[str, str]]:
        """Every Setup link the failing steps carry, once each, in step order."""
        seen: dict[str, str] = {}
        for s in self.steps:
            for label, url in s.links:
                seen.setdefault(url, label)
        return [(label, url) for url, label in seen.items()]

    def step(self, step_id: StepId) -> StepResult | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def to_dict(self) -> dict[str, Any]:
        cause = self.cause
        return {
            "ok": self.ok,
            "cause": None
            if cause is None
            else {"id": str(cause.id), "confidence": str(cause.confidence), "title": cause.title},
            "candidates": [c.to_dict() for c in self.candidates],
            "error": self.error.to_dict() if self.error else None,
            "org": self.org.to_dict() if self.org else None,
            "org_environment": self.org_environment,
            "connection": self.connection.to_dict(),
            "steps": [
                {k: v for k, v in s.to_dict().items() if k in ("id", "title", "status", "finding", "fix", "links")}
                for s in self.steps
            ],
            "evidence": list(self.evidence),
            "separating_check": self.separating_check,
            "last_error": self.last_error.to_dict() if self.last_error else None,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "app_type": {"value": str(self.app_type), "source": str(self.app_type_source),
                         "proof": self.app_type_proof},
            "my_domain_url": self.my_domain_url,
            "links": [{"label": label, "url": url} for label, url in self.links],
            "duration_ms": self.duration_ms,
        }


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Highest confidence first, one entry per cause; stable for equal confidence."""
    best: dict[CauseId, Candidate] = {}
    for c in candidates:
        if c.id not in best or CONFIDENCE_RANK[c.confidence] > CONFIDENCE_RANK[best[c.id].confidence]:
            best[c.id] = c
    order = {c.id: i for i, c in enumerate(candidates)}
    return sorted(best.values(), key=lambda c: (-CONFIDENCE_RANK[c.confidence], order[c.id]))
