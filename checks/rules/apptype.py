"""Which kind of app the org holds, from what Salesforce's answers prove, else what was configured.

Pure: reads :class:`~checks.rules.facts.Facts`, does no I/O. Salesforce proves an External
Client App when a generic host (login/test.salesforce.com), or a generic audience on the
org's own My Domain, answers ``app_not_found`` ("External client app is not installed in
this org") for a consumer key: since Spring '26 it finds those apps only through the My
Domain. Nothing proves a Connected App: an answer at a generic host only suggests one.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.model import AppType, AppTypeSource, parse_app_type
from checks.rules.causes import KEY_KNOWN
from checks.rules.errors import ErrorKind
from checks.rules.facts import Facts, ProbeKind
from checks.salesforce.hosts import LOGIN, TEST

_GENERIC = (f"https://{LOGIN}", f"https://{TEST}")
__all__ = ["AppKind", "app_kind", "parse_app_type"]


@dataclass(frozen=True)
class AppKind:
    type: AppType = AppType.UNKNOWN
    source: AppTypeSource = AppTypeSource.UNKNOWN
    proof: str | None = None  # plain words, shown as evidence
    conflict: str | None = None  # the configuration said otherwise


def _proof(facts: Facts) -> str | None:
    said = "'External client app is not installed in this org'"
    if facts.error_kind == ErrorKind.APP_NOT_FOUND and facts.login_origin in _GENERIC:
        host = facts.login_origin.split("://", 1)[-1]
        accepted = next((p for p in facts.probes_of(ProbeKind.HOST)
                         if p.plan.origin not in _GENERIC and (p.reply.ok or p.kind in KEY_KNOWN)), None)
        if accepted is not None:
            where = accepted.plan.origin.split("://", 1)[-1]
            return f"{host} answered {said}, and {where} knows the same consumer key: an External Client App."
        return f"{host} answered {said}: only External Client Apps are answered that way."
    for probe in facts.probes:
        if probe.kind != ErrorKind.APP_NOT_FOUND:
            continue
        if probe.plan.kind == ProbeKind.HOST and probe.plan.origin in _GENERIC:
            return (f"{probe.plan.origin.split('://', 1)[-1]} answered {said} for this consumer key: an External "
                    "Client App, found only through the org's My Domain.")
        if probe.plan.kind == ProbeKind.AUDIENCE and probe.plan.audience in _GENERIC:
            return (f"With the audience {probe.plan.audience}, the org's My Domain answered {said}: an External "
                    "Client App accepts only its My Domain as the audience.")
    return None


def app_kind(facts: Facts, configured: str = AppType.UNKNOWN, remembered: str | None = None) -> AppKind:
    """What this run knows: proven now > proven on an earlier run (``remembered``) > configured > unknown."""
    wanted = parse_app_type(configured) if configured else AppType.UNKNOWN
    proof = _proof(facts)
    if proof is not None:
        conflict = None
        if wanted is AppType.CONNECTED_APP:
            conflict = ("The connection says connected_app, but Salesforce answered as for an External Client App: "
                        "going by Salesforce's answer.")
        return AppKind(AppType.EXTERNAL_CLIENT_APP, AppTypeSource.PROVEN, proof, conflict)
    if remembered:
        try:
            known = parse_app_type(remembered)
        except ValueError:
            known = AppType.UNKNOWN
        if known is not AppType.UNKNOWN:
            return AppKind(known, AppTypeSource.PROVEN, "proven by an earlier check of this connection")
    if wanted is not AppType.UNKNOWN:
        return AppKind(wanted, AppTypeSource.CONFIGURED)
    return AppKind()
