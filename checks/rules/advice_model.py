"""What a piece of advice is, and what it is given: shared by the advice rules."""

from __future__ import annotations

from dataclasses import dataclass

PROPAGATION = "Wait 2–10 minutes after saving: Salesforce takes that long to apply Connected App changes."


@dataclass(frozen=True)
class AdviceContext:
    connected_app: str = "aprity"  # name of the Connected App as the customer sees it
    username: str | None = None
    login_url: str | None = None
    environment: str = "unknown"  # production | sandbox | unknown
    my_domain_url: str | None = None  # https://acme.my.salesforce.com when known
    connection: str | None = None  # connection name for `aprity-diagnose ... --connection`
    surface: str = "cli"  # "slack": nobody there has a shell next to aprity's key, so no commands in fixes;
    # "customer": the customer's admin (checks.checklist), who has Setup but none of aprity's files
    certificate_fingerprint: str | None = None  # SHA-256 of the certificate matching aprity's key
    # Whose side a missing answer is on (checks.rules.causes.unreachable_side): "network" (aprity's host),
    # "service" (Salesforce answered badly), "host" or "unknown" (that host, Salesforce slow, or in between).
    unreachable: str = "network"
    app_type: str = "unknown"  # "connected_app" | "external_client_app" | "unknown": which Setup screens the org has


@dataclass(frozen=True)
class Advice:
    verify: tuple[str, ...]  # short imperative steps, with Setup paths
    fix: tuple[str, ...]
    links: tuple[tuple[str, str], ...] = ()  # (label, URL of the org's own Setup page), when the org is known
    aprity_side: bool = False  # fixed in aprity's settings or host: nothing for the customer's admin to do
