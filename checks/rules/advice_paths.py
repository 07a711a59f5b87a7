"""The building blocks of advice: Setup paths per app kind, where aprity-side changes go, links.

A step is a text plus the Setup page it uses (or None). :func:`advice` turns the steps into
an :class:`Advice`: the texts, and one link per page used, only when the org's own My Domain
is known (:mod:`checks.rules.setup_links`).
"""

from __future__ import annotations

from collections.abc import Sequence

from checks.model import AppType
from checks.rules.advice_model import Advice, AdviceContext
from checks.rules.setup_links import SetupPage, links_for

Step = tuple[str, SetupPage | None]
ECA, CA = AppType.EXTERNAL_CLIENT_APP, AppType.CONNECTED_APP
OLDER_CA = "For an older Connected App: "

P = SetupPage


def kind(ctx: AdviceContext) -> AppType:
    try:
        return AppType(ctx.app_type)
    except ValueError:
        return AppType.UNKNOWN


def app(ctx: AdviceContext) -> str:
    return ctx.connected_app or "aprity"


def user(ctx: AdviceContext) -> str:
    return ctx.username or "the integration user"


def eca_path(ctx: AdviceContext, tail: str) -> str:
    """Setup → External Client App Manager → the app ▼ → ``tail`` (the Quick Find prefix finds both spellings)."""
    return f"Setup → External Client App Manager (Quick Find: External Client App) → {app(ctx)} ▼ → {tail}"


def app_manager_path(ctx: AdviceContext, tail: str) -> str:
    return f"Setup → App Manager → {app(ctx)} ▼ → {tail}"


def manage_ca_path(ctx: AdviceContext, tail: str) -> str:
    return f"Setup → Connected Apps → Manage Connected Apps → {app(ctx)} → {tail}"


def by_type(ctx: AdviceContext, eca: Sequence[Step], ca: Sequence[Step], older_ca: Step) -> list[Step]:
    """Only the steps for the admin's screens; unknown: the ECA steps, then one "For an older Connected App" step."""
    k = kind(ctx)
    if k is ECA:
        return list(eca)
    if k is CA:
        return list(ca)
    text, page = older_ca
    return [*eca, (OLDER_CA + text, page)]


def place(ctx: AdviceContext, field: str, label: str) -> str:
    """Where an aprity-side value is changed, in the reader's world."""
    if ctx.for_support:
        return f"connections.toml (connection {ctx.connection or 'NAME'}, field {field})"
    return f"the aprity app (Settings → Connection → {label})"


def cert_file_name(connection: str | None) -> str:
    """Name of the certificate file the bot attaches to a thread."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in (connection or "aprity")).strip(".-")
    return f"{safe or 'aprity'}.crt"


def cert_words(ctx: AdviceContext) -> str:
    """Subject and expiry of the certificate made from aprity's key, as Setup shows them (empty when unknown)."""
    parts = [f"subject {ctx.certificate_subject}" if ctx.certificate_subject else "",
             f"expires {ctx.certificate_expires}" if ctx.certificate_expires else ""]
    return ", ".join(p for p in parts if p)


def the_certificate(ctx: AdviceContext) -> str:
    """How the reader names (and gets) the certificate made from aprity's key."""
    if ctx.surface == "customer":
        return f"the certificate file {cert_file_name(None)} that comes with these steps"
    if ctx.surface == "slack":
        return f"the attached certificate ({cert_file_name(ctx.connection)})"
    return f"the certificate from `aprity-diagnose certificate --connection {ctx.connection or 'NAME'}`"


def advice(ctx: AdviceContext, verify: Sequence[Step], fix: Sequence[Step], *, aprity_side: bool = False) -> Advice:
    pages = [p for _, p in [*verify, *fix] if p is not None]
    return Advice(verify=tuple(t for t, _ in verify), fix=tuple(t for t, _ in fix),
                  links=links_for(ctx.my_domain_url, pages), aprity_side=aprity_side)
