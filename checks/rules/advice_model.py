"""What a piece of advice is, and what it is given: shared by the advice rules."""

from __future__ import annotations

from dataclasses import dataclass

# App-neutral: External Client Apps and Connected Apps both take a few minutes to apply a change.
PROPAGATION = "Salesforce can take up to 10 minutes to apply a change to the app: test again after that."


@dataclass(frozen=True)
class AdviceContext:
    connected_app: str = "aprity"  # the app's name as the customer sees it (External Client App or Connected App)
    username: str | None = None
    login_url: str | None = None
    environment: str = "unknown"  # production | sandbox | unknown
    my_domain_url: str | None = None  # https://acme.my.salesforce.com when known; Setup links are built on it
    connection: str | None = None  # connection name for `aprity-diagnose ... --connection`
    surface: str = "cli"  # "slack": nobody there has a shell next to aprity's key, so no commands in fixes;
    # "customer": the customer's admin (checks.checklist), who has Setup but none of aprity's files
    certificate_fingerprint: str | None = None  # SHA-256 of the certificate matching aprity's key
    # Whose side a missing answer is on (checks.rules.causes.unreachable_side): "network" (aprity's host),
    # "service" (Salesforce answered badly), "host" or "unknown" (that host, Salesforce slow, or in between).
    unreachable: str = "network"
    # "external_client_app" | "connected_app" | "unknown": which Setup screens the admin has (checks.model.AppType).
    app_type: str = "unknown"
    # Who changes aprity's side: "support" (connections.toml) or "customer" (the aprity app's settings).
    # Empty: the CLI is support's; Slack and the customer's checklist are read by the customer.
    reader: str = ""
    certificate_subject: str | None = None  # of the certificate matching aprity's key, as Setup shows it
    certificate_expires: str | None = None  # YYYY-MM-DD

    @property
    def for_support(self) -> bool:
        return self.reader == "support" or (not self.reader and self.surface == "cli")


@dataclass(frozen=True)
class Advice:
    verify: tuple[str, ...]  # short imperative steps, with Setup paths
    fix: tuple[str, ...]
    # (label, https URL) of the Setup pages those steps use, on the org's own My Domain only; never guessed.
    links: tuple[tuple[str, str], ...] = ()
    aprity_side: bool = False  # the fix is made on aprity's side (consumer key, username, login URL, key, clock)
