"""Runs one diagnosis: local checks, the token exchange, then probes or verification.

At most two sequential rounds of Salesforce calls: round 1 is the exchange;
round 2 runs either the probes (after a failure) or the three verification reads
(after a success), in parallel. Progress is reported through ``on_step``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from cryptography.hazmat.primitives import serialization

from checks.crypto import keys
from checks.rules.advice import AdviceContext
from checks.crypto.assertion import claims_for, sign
from checks.rules.apptype import app_kind
from checks.rules.causes import KEY_KNOWN, LOGIN_URL, Verdict, judge, plan_probes, unreachable_side
from checks.rules.setup_links import link_host
from checks.connections import Connection
from checks.salesforce.deadline import Deadline
from checks.rules.environment import org_environment
from checks.rules.facts import Facts, Probe, ProbeKind, ProbePlan, Verification
from checks.salesforce.hosts import UnsafeURL
from checks.model import (STEP_ORDER, AppTypeSource, CauseId, CertificateInfo, Diagnosis, OrgInfo, Status, StepId,
                          StepResult, TokenError)
from checks.prefetch import Prefetch
from checks.salesforce.client import SalesforceClient, TokenReply
from checks.rules.steps import CHECKS, EXPIRY_WARN_DAYS

# on_step(index, total, step_id, result): result is None when the step starts.
OnStep = Callable[[int, int, StepId, StepResult | None], None]


class _Clock(Protocol):
    def __call__(self) -> float: ...


class MissingKey(Exception):
    """No private key file configured for the connection."""


def _noop(index: int, total: int, step: StepId, result: StepResult | None) -> None:
    return None


def _load_local(facts: Facts) -> None:
    conn = facts.connection
    if conn.private_key_file is None:
        facts.key_problem = MissingKey("no private key file configured (private_key_file or APRITY_PRIVATE_KEY_FILE)")
    else:
        try:
            facts.key = keys.read_private_key(conn.private_key_file)
        except keys.KeyProblem as exc:
            facts.key_problem = exc
    if conn.certificate_file is not None:
        try:
            facts.cert = keys.read_certificate(conn.certificate_file)
        except keys.KeyProblem as exc:
            facts.cert_problem = exc
    if facts.key is not None and facts.cert is not None:
        facts.cert_matches = keys.public_key_matches(facts.key, facts.cert)


class Engine:
    """Diagnoses connections with an injected Salesforce client and clock.

    ``deadline`` (seconds) bounds all Salesforce calls of one run together, measured
    by ``monotonic``: past it, the calls still open end as "Salesforce did not answer".
    ``surface`` ("cli" or "slack"): fix texts differ, no shell commands in Slack.
    """

    def __init__(self, client: SalesforceClient, clock: _Clock = time.time, *, deadline: float | None = None,
                 monotonic: _Clock = time.monotonic, surface: str = "cli") -> None:
        self.client = client
        self.clock = clock
        self.deadline = deadline
        self.monotonic = monotonic
        self.surface = surface

    def diagnose(self, connection: Connection, on_step: OnStep = _noop, *, reader: str = "") -> Diagnosis:
        """``reader``: "support" or "customer", who changes aprity's side (empty: by the surface)."""
        started = time.monotonic()
        total = len(STEP_ORDER)
        index = {step: i for i, step in enumerate(STEP_ORDER, start=1)}
        facts = Facts(connection=connection, now=self.clock())
        client = self.client.bounded(Deadline(self.deadline, self.monotonic))

        on_step(index[StepId.PRIVATE_KEY], total, StepId.PRIVATE_KEY, None)
        _load_local(facts)
        try:
            facts.login_origin = client.allowlist.login_origin(connection.login_url)
        except UnsafeURL as exc:
            facts.url_problem = str(exc)

        if facts.key is not None and facts.login_origin is not None:
            on_step(index[StepId.TOKEN_EXCHANGE], total, StepId.TOKEN_EXCHANGE, None)
            facts.claims = claims_for(connection.consumer_key, connection.username, facts.login_origin, facts.now)
            # Round 2's connections and assertions are prepared while the exchange is in flight.
            prefetch = Prefetch(client, facts.login_origin, facts.key, facts.claims)
            try:
                facts.reply = client.exchange(facts.login_origin, sign(facts.claims, facts.key))
                if facts.no_answer:
                    # Our network or their host name? Ask a host that always exists, through the same client.
                    facts.well_known_resolves = (False if facts.login_origin == LOGIN_URL
                                                 else client.resolves(LOGIN_URL))
                on_step(index[StepId.VERIFICATION], total, StepId.VERIFICATION, None)
                if not client.deadline.expired:  # out of time: the answer so far is the verdict
                    self._second_round(facts, client, prefetch, link_host(connection.known_my_domain))
            finally:
                client.close()  # the run's connections end with it: warm-ups and kept-alive ones too
                prefetch.close()

        app = app_kind(facts, connection.app_type, connection.known_app_type)
        facts.app_type = app.type
        verdict = judge(facts)
        if app.source == AppTypeSource.PROVEN and app.proof and not verdict.ok:
            verdict.evidence.extend(x for x in (app.proof, app.conflict) if x and x not in verdict.evidence)
        certificate = _matching_certificate(facts)
        my_domain = known_my_domain(facts)
        ctx = AdviceContext(
            connected_app=connection.connected_app or "aprity",
            connection=connection.name,
            username=connection.username,
            login_url=facts.login_origin or connection.login_url,
            environment=connection.summary().environment,
            my_domain_url=my_domain,
            surface=self.surface,
            certificate_fingerprint=certificate.fingerprint if certificate else None,
            unreachable=unreachable_side(facts),
            app_type=app.type,
            reader=reader,
            certificate_subject=certificate.subject if certificate else None,
            certificate_expires=certificate.not_after if certificate else None,
        )
        steps: list[StepResult] = []
        for step in STEP_ORDER:
            result = CHECKS[step](facts, verdict, ctx)
            steps.append(result)
            on_step(index[step], total, step, result)

        org = _org_info(facts)
        reply = facts.reply
        env, proof = org_environment(facts)
        return Diagnosis(
            ok=verdict.ok,
            connection=connection.summary(),
            steps=steps,
            candidates=list(verdict.candidates),
            error=None if reply is None or reply.ok else reply.error,
            org=org,
            evidence=list(verdict.evidence),
            retryable=verdict.retryable,
            duration_ms=int((time.monotonic() - started) * 1000),
            org_environment=env,
            org_environment_proof=proof,
            separating_check=verdict.separating_check,
            certificate=certificate,
            api_error=_api_error(facts),
            needs_certificate=certificate is not None and _needs_certificate(verdict, steps, facts),
            app_type=app.type,
            app_type_source=app.source,
            app_type_proof=app.proof,
            my_domain_url=my_domain,
        )

    def _second_round(self, facts: Facts, client: SalesforceClient, prefetch: Prefetch | None = None,
                      my_domain: str | None = None) -> None:
        reply = facts.reply
        assert reply is not None and facts.claims is not None and facts.key is not None
        if reply.ok:
            facts.verification = self._verify(reply, client)
            return
        kind = facts.error_kind
        plans = plan_probes(facts.login_origin or "", kind, my_domain) if kind is not None else []
        if not plans:
            return
        key, claims = facts.key, facts.claims

        def run(plan: ProbePlan) -> Probe:
            probe_claims = claims_for(claims.iss, claims.sub, plan.audience, facts.now)
            assertion = (prefetch.assertion(probe_claims) if prefetch else None) or sign(probe_claims, key)
            return Probe(plan, client.exchange(plan.origin, assertion))

        with ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="probe") as pool:
            facts.probes = list(pool.map(run, plans))

    def _verify(self, reply: TokenReply, client: SalesforceClient) -> Verification:
        token, instance = reply.token, reply.instance_url
        ver = Verification()
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="verify") as pool:
            identity = pool.submit(client.identity, reply.identity_url, token) if reply.identity_url else None
            org = pool.submit(client.organization, instance, token) if instance else None
            meta = pool.submit(client.describe_metadata, instance, token) if instance else None
            ver.identity = identity.result() if identity else None
            ver.organization = org.result() if org else None
            ver.metadata = meta.result() if meta else None
        return ver


def _org_info(facts: Facts) -> OrgInfo | None:
    ver = facts.verification
    org_id = facts.connection.org_id
    name = is_sandbox = user_id = org_type = None
    if ver is not None:
        if ver.identity is not None and ver.identity.ok:
            org_id = ver.identity.data.get("organization_id") or org_id
            user_id = ver.identity.data.get("user_id")
        if ver.organization is not None and ver.organization.ok:
            data = ver.organization.data
            org_id = data.get("Id") or org_id
            name, is_sandbox, org_type = data.get("Name"), data.get("IsSandbox"), data.get("OrganizationType")
    if org_id is None and name is None:
        return None
    return OrgInfo(id=org_id, name=name, is_sandbox=is_sandbox, user_id=user_id,
                   instance_url=facts.reply.instance_url if facts.reply else None, organization_type=org_type)


def certificate_info(connection: Connection, now: float) -> CertificateInfo | None:
    """The certificate matching the connection's key, without calling Salesforce (None if the key is unusable)."""
    facts = Facts(connection=connection, now=now)
    _load_local(facts)
    return _matching_certificate(facts)


def _matching_certificate(facts: Facts) -> CertificateInfo | None:
    """The certificate that matches aprity's key: the file on disk if it does, else one made from the key."""
    if facts.key is None:
        return None
    now = datetime.fromtimestamp(facts.now, timezone.utc)
    due = facts.cert is not None and keys.certificate_facts(facts.cert, now).days_left < EXPIRY_WARN_DAYS
    if facts.cert is not None and facts.cert_matches and not due:  # an expiring file needs a successor instead
        cert, source = facts.cert, "file"
        pem_bytes = cert.public_bytes(serialization.Encoding.PEM)
    else:
        pem_bytes = keys.certificate_for_key(facts.key, now)
        cert, source = keys.parse_certificate(pem_bytes), "generated"
    return CertificateInfo(pem=pem_bytes, fingerprint=keys.fingerprint_sha256(cert),
                           not_after=f"{cert.not_valid_after_utc:%Y-%m-%d}", source=source,
                           subject=cert.subject.rfc4514_string())


def known_my_domain(facts: Facts) -> str | None:
    """The org's own My Domain when this run (or an earlier one) established it; Setup links are built on it.

    In order: the login URL itself, a probe to a My Domain that Salesforce answered as knowing the key,
    the instance URL of a login, the one remembered from an earlier run. Only ``*.my.salesforce.com``.
    """
    reply = facts.reply
    answered = reply is not None and (reply.ok or (reply.error is not None and reply.error.status is not None))
    found = [facts.login_origin if answered else None]  # a mistyped My Domain that never answered is no org's
    found += [p.plan.origin for p in facts.probes_of(ProbeKind.HOST) if p.reply.ok or p.kind in KEY_KNOWN]
    found += [p.reply.instance_url for p in facts.probes if p.reply.ok]
    found += [facts.reply.instance_url if facts.reply is not None and facts.reply.ok else None,
              facts.connection.known_my_domain]
    return next((host for host in map(link_host, found) if host), None)


def _needs_certificate(verdict: Verdict, steps: list[StepResult], facts: Facts) -> bool:
    """Whether the fix is to upload the certificate matching the key to the Connected App."""
    leading = [c for c in verdict.candidates if c.confidence == verdict.candidates[0].confidence] \
        if verdict.candidates and not verdict.ok else []
    if {c.id for c in leading} & {CauseId.CERTIFICATE_MISMATCH, CauseId.DIGITAL_SIGNATURES_DISABLED}:
        return True
    cert_step = next((s for s in steps if s.id == StepId.CERTIFICATE), None)
    # An expired or expiring certificate that matches the key: its successor has to go up before the date.
    return bool(cert_step and cert_step.status == Status.WARN and facts.cert_matches)


def _api_error(facts: Facts) -> TokenError | None:
    """The last error Salesforce itself returned after the login (identity, query, metadata)."""
    ver = facts.verification
    if ver is None:
        return None
    found = None
    for call, reply in (("identity", ver.identity), ("query", ver.organization), ("metadata", ver.metadata)):
        if reply is not None and not reply.ok and reply.status is not None:
            found = TokenError(reply.status, reply.code or "ERROR", reply.message or "", call=call)
    return found
