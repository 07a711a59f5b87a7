"""The checklist for the customer's Salesforce admin: plain text over a diagnosis.

Support forwards it by email or posts it in a shared channel, so it holds only what
the admin needs and can act on: the org, the app, what is wrong in one sentence, the
steps in their Setup (with links into their own org when the advice knows them), the
certificate to upload, the wait for Salesforce, and what to send back. Nothing
internal (evidence, probes, fingerprints, buttons, sessions, connection names) and
never a secret: the text is built from the org's public facts and the advice rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks.model import APP_TYPE_LABELS, CauseId, Diagnosis
from checks.rules.advice import advice_for, cert_file_name
from checks.rules.advice_model import PROPAGATION, Advice, AdviceContext
from checks.salesforce.hosts import environment_of, my_domain_name

WAIT = "Salesforce can take up to 10 minutes to apply the change; then press Test Connection in aprity's settings."
CERTIFICATE_NAME = cert_file_name(None)  # one neutral name: the connection's own name is internal
APP_KINDS = APP_TYPE_LABELS

# What is wrong, in the admin's words: one sentence per cause ({app} and {user} filled in).
_WRONG: dict[CauseId, str] = {
    CauseId.CERTIFICATE_MISMATCH: "The certificate in the app {app} does not match the key aprity signs with, so "
                                  "Salesforce refuses aprity's login.",
    CauseId.DIGITAL_SIGNATURES_DISABLED: "The app {app} has no certificate for signed (JWT) logins, so Salesforce "
                                         "cannot check aprity's signature.",
    CauseId.OAUTH_NOT_ENABLED_OR_SCOPES: "OAuth is not enabled on the app {app}, or it lacks the scopes aprity needs.",
    CauseId.USER_NOT_PREAUTHORIZED: "The user {user} is not pre-authorized to use the app {app}.",
    CauseId.USER_OR_ORG_INACTIVE: "The user {user} is inactive or frozen, or the org itself is locked or expired.",
    CauseId.IP_OR_LOGIN_HOURS: "The profile of {user} blocks aprity's login by IP address or by login hours.",
    CauseId.LOGIN_RATE_EXCEEDED: "The user {user} has logged in more often in the last hour than Salesforce allows.",
    CauseId.METADATA_ACCESS_MISSING: "The user {user} logs in, but lacks the permission to read the org's metadata.",
    CauseId.UNKNOWN: "Salesforce refuses aprity's login, and its answer does not point to one setting.",
    # Fixed on aprity's side: named only inside a tie, where the admin's one check decides between the two.
    CauseId.USERNAME_OR_LOGIN_URL: "aprity may be using a username or login address that does not exist in this "
                                   "org.",
    CauseId.CONSUMER_KEY_MISMATCH: "aprity may be using a Consumer Key that is not the app {app}'s.",
    CauseId.CLOCK_SKEW_OR_EXPIRY: "The clock of aprity's server may be off.",
    CauseId.PRIVATE_KEY_INVALID: "aprity's signing key cannot be used.",
}
_APRITY_FIXES = "Nothing to change in your org for this one: reply with what you found, and aprity corrects its " \
                "own settings."


@dataclass(frozen=True)
class Checklist:
    """The text for the customer, or why there is none (``text`` is None)."""

    text: str | None
    reason: str = ""  # when there is no text: one line for support
    aprity_side: bool = False  # the fix is aprity's: nothing to ask the customer
    needs_certificate: bool = False  # the admin uploads CERTIFICATE_NAME
    certificate_name: str = CERTIFICATE_NAME


def app_kind(d: Diagnosis, app_type: str = "unknown") -> str:
    """The app's kind: the caller's when given, else what the diagnosis knows (configured, or proven)."""
    return app_type if app_type and app_type != "unknown" else str(d.app_type or "unknown")


def customer_context(d: Diagnosis, app_type: str = "unknown") -> AdviceContext:
    """What the advice rules may know for the customer's checklist: the org's facts, no file or connection name.

    Links go only to the My Domain the diagnosis established as the org's own (``Diagnosis.my_domain_url``)."""
    c = d.connection
    login = c.login_url.rstrip("/") if c.login_url else None
    return AdviceContext(connected_app=c.connected_app or "aprity", username=c.username, login_url=login,
                         environment=org_environment(d) or c.environment, my_domain_url=d.my_domain_url,
                         surface="customer", app_type=app_kind(d, app_type))


def org_environment(d: Diagnosis) -> str | None:
    """Production or sandbox when the org proved it (its answers, or its Organization record)."""
    if d.org_environment in ("production", "sandbox"):
        return d.org_environment
    if d.org is not None and d.org.is_sandbox is not None:
        return "sandbox" if d.org.is_sandbox else "production"
    return None


def is_aprity_side(d: Diagnosis, advise: Callable[[CauseId, AdviceContext], Advice] = advice_for,
                   app_type: str = "unknown") -> bool:
    """Every leading cause is fixed in aprity's settings or host: the customer has nothing to do."""
    leading = d.tied or ([d.cause] if d.cause else [])
    ctx = customer_context(d, app_type)
    return bool(leading) and all(advise(c.id, ctx).aprity_side for c in leading)


def customer_checklist(d: Diagnosis, *, attached: bool, app_type: str = "unknown",
                       advise: Callable[[CauseId, AdviceContext], Advice] = advice_for) -> Checklist:
    """The admin's checklist for ``d``. ``attached``: the certificate travels with the text (Slack), else named."""
    if d.ok:
        return Checklist(None, "The connection works: there is nothing to send to the customer.")
    leading = d.tied or ([d.cause] if d.cause else [])
    if not leading:
        return Checklist(None, "No cause was identified: there is nothing precise to send to the customer yet.")
    if any(c.id == CauseId.SALESFORCE_UNREACHABLE for c in leading):
        return Checklist(None, "Salesforce did not answer: nothing in the customer's org is in question yet.")
    ctx = customer_context(d, app_type)
    advice = [(c.id, advise(c.id, ctx)) for c in leading]
    if all(a.aprity_side for _, a in advice):
        return Checklist(None, "This is fixed on aprity's side (its connection settings or server): there is "
                               "nothing to send to the customer.", aprity_side=True)
    needs_cert = d.needs_certificate or any(
        cid in (CauseId.CERTIFICATE_MISMATCH, CauseId.DIGITAL_SIGNATURES_DISABLED) for cid, _ in advice)
    app = ctx.connected_app
    lines = ["Salesforce connection for aprity: steps for your Salesforce admin", ""]
    lines += _org_lines(d, app, ctx.app_type)
    lines += ["", "What is wrong"]
    if len(advice) > 1:
        lines.append("Salesforce gives the same answer for two causes, and one check in your org tells which:")
        lines += [f"- {_wrong(cid, ctx)}" for cid, _ in advice]
        lines += ["", "First, the check that tells them apart", _plain(d.separating_check or "")]
        for i, (cid, a) in enumerate(advice, 1):
            lines += ["", f"Fix {i}, for: {_wrong(cid, ctx)}"]
            lines += [f"{n}. {step}" for n, step in enumerate(_steps(cid, a), 1)]
    else:
        lines += [_wrong(advice[0][0], ctx), "", "What to do"]
        lines += [f"{n}. {step}" for n, step in enumerate(_steps(*advice[0]), 1)]
    if needs_cert:
        where = "attached to this message" if attached else "sent to you with this checklist by your aprity contact"
        lines += ["", f"Certificate to upload: {CERTIFICATE_NAME}, {where}. It holds only the public half of "
                      "aprity's key."]
    links = _links([a for _, a in advice])
    if links:
        lines += ["", "Links into your org"] + [f"- {label}: {url}" for label, url in links]
    lines += ["", "Then", WAIT, "", "If it still fails, send us:",
              "- the exact error Test Connection shows, copied whole;",
              f"- the Consumer Key of the app {app} (the Consumer Secret never: it is not needed and must stay "
              "private);",
              "- the Org ID (Setup > Company Information)." if not _org_id(d) else
              "- the time you saved the change."]
    return Checklist("\n".join(lines), needs_certificate=needs_cert)


def _org_id(d: Diagnosis) -> str | None:
    return (d.org.id if d.org and d.org.id else None) or d.connection.org_id


def _org_lines(d: Diagnosis, app: str, app_type: str) -> list[str]:
    name = d.org.name if d.org and d.org.name else None
    org_id = _org_id(d)
    env = org_environment(d)
    if env is None and d.connection.environment in ("production", "sandbox"):
        env = f"{d.connection.environment} (by the login address aprity uses)"
    parts = [p for p in (name, f"Org ID {org_id}" if org_id else None) if p]
    org = " ".join([parts[0], f"({parts[1]})"]) if len(parts) == 2 else (parts[0] if parts else "not identified yet")
    kind = APP_KINDS.get(app_type)
    return [f"Org: {org}, {env or 'production or sandbox not known yet'}",
            f"App: {app}" + (f" ({kind})" if kind else ""),
            f"Integration user: {d.connection.username}"]


def _wrong(cid: CauseId, ctx: AdviceContext) -> str:
    return _WRONG.get(cid, _WRONG[CauseId.UNKNOWN]).format(app=ctx.connected_app,
                                                           user=ctx.username or "aprity's integration user")


def _steps(cid: CauseId, a: Advice) -> list[str]:
    """The admin's steps: the fix, without the propagation wait (said once, at the end)."""
    if a.aprity_side:
        return [_APRITY_FIXES]
    chosen = a.verify if cid == CauseId.UNKNOWN else a.fix  # unknown: collecting the facts is the step
    return [_plain(s) for s in chosen if s != PROPAGATION]


def _plain(text: str) -> str:
    """For an email: Setup paths as "Setup > Users" whatever arrows the rule used, no code backticks."""
    return text.replace(" → ", " > ").replace("`", "")


def _links(advices: list[Advice]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for a in advices:
        for label, url in a.links:
            host = url.split("://", 1)[-1].split("/", 1)[0]
            # Only the org's own My Domain, over https: a guessed host must not reach the customer.
            if url.startswith("https://") and my_domain_name(host) and environment_of(url) and url not in seen:
                seen[url] = label
    return [(label, url) for url, label in seen.items()]
