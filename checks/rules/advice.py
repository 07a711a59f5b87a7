"""How to confirm, and how to fix, each cause a diagnosis can name.

Steps are short imperatives a Salesforce admin can follow in Setup, on the screens
their org has: an External Client App's (External Client App Manager, Edit Settings,
Edit Policies) or an older Connected App's (App Manager, Manage Connected Apps). When
the kind is unknown the External Client App steps come first, then one step "For an
older Connected App: …". Values the caller knows (app name, username, login URL) are
put into the steps; fixes on aprity's side say where the change goes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from checks.rules.advice_local import LOCAL_ADVICE
from checks.model import CauseId
from checks.rules.advice_model import PROPAGATION, Advice, AdviceContext
from checks.rules.advice_org import clock, inactive, ip, metadata, private_key, rate
from checks.rules.advice_paths import (CA, ECA, P, Step, advice, app, app_manager_path, by_type, cert_file_name,
                                       cert_words, eca_path, kind, manage_ca_path, place, the_certificate, user)
from checks.rules.advice_unreachable import unreachable_advice
from checks.salesforce.hosts import LOGIN, TEST, environment_of, sandbox_suffix

__all__ = ["Advice", "AdviceContext", "advice_for", "cert_file_name", "right_login_url", "upload_path"]

API_SCOPE = "\"Manage user data via APIs (api)\""
OFFLINE_SCOPE = "\"Perform requests at any time (refresh_token, offline_access)\""
PERMISSION_SET = "aprity Integration"
FLOW = "Edit Settings → OAuth Settings → Flow Enablement"


def upload_path(app_type: str, app_name: str | None) -> str:
    """Where the certificate is uploaded, for texts outside a diagnosis (certificate hand-over, expiry warnings)."""
    ctx = AdviceContext(connected_app=app_name or "aprity", app_type=app_type)
    eca = eca_path(ctx, f"{FLOW}: \"Enable JWT Bearer Flow\", upload the certificate, Save")
    ca = app_manager_path(ctx, "Edit → \"Use digital signatures\" → Choose File, Save")
    return eca if kind(ctx) is ECA else ca if kind(ctx) is CA else f"{eca}. {'For an older Connected App: ' + ca}"


def _upload_fix(ctx: AdviceContext) -> list[Step]:
    """One upload fixes both "another certificate" and "no certificate / JWT flow off"."""
    cert = the_certificate(ctx)
    if ctx.surface == "customer":  # the customer's checklist: the file travels with it, named without internals
        get: Step = (f"Take the certificate file {cert_file_name(None)} that comes with these steps: it is made from "
                     "the key aprity signs with (public part only, safe to share).", None)
    elif ctx.surface == "slack":
        get = (f"Download {cert_file_name(ctx.connection)}, attached to this thread: the certificate made from "
               "aprity's key (public part only, safe to share).", None)
    else:
        get = (f"Run `aprity-diagnose certificate --connection {ctx.connection or 'NAME'}` to write the certificate "
               "made from aprity's key (public part only).", None)
    steps = by_type(
        ctx,
        [(eca_path(ctx, f"{FLOW}: keep \"Enable JWT Bearer Flow\" checked, upload {cert} as its certificate, "
                        "Save."), P.ECA_MANAGER)],
        [(app_manager_path(ctx, f"Edit → API (Enable OAuth Settings): check \"Use digital signatures\", Choose "
                                f"File → {cert}, Save."), P.APP_MANAGER)],
        (app_manager_path(ctx, f"Edit: check \"Use digital signatures\", Choose File → {cert}, Save."),
         P.APP_MANAGER))
    return [get, *steps, (PROPAGATION, None)]


def _needed_cert(ctx: AdviceContext) -> Step:
    words = cert_words(ctx)
    return (f"The certificate aprity needs is {the_certificate(ctx)}{' (' + words + ')' if words else ''}: another "
            "subject or another expiry date means the app holds a different certificate.", None)


def _certificate(ctx: AdviceContext) -> Advice:
    verify = by_type(
        ctx,
        [(eca_path(ctx, f"{FLOW}: note the subject and expiry date of the certificate under \"Enable JWT Bearer "
                        "Flow\"."), P.ECA_MANAGER)],
        [(app_manager_path(ctx, "Edit → API (Enable OAuth Settings): note the subject and expiry date of the "
                                "certificate under \"Use digital signatures\"."), P.APP_MANAGER)],
        (app_manager_path(ctx, "Edit: the certificate under \"Use digital signatures\"."), P.APP_MANAGER))
    verify += [_needed_cert(ctx),
               ("Was aprity's key replaced recently? The app must hold the certificate of the key aprity signs "
                "with now.", None)]
    return advice(ctx, verify, _upload_fix(ctx))


def _signatures(ctx: AdviceContext) -> Advice:
    verify = by_type(
        ctx,
        [(eca_path(ctx, f"{FLOW}: is \"Enable JWT Bearer Flow\" checked, with a certificate?"), P.ECA_MANAGER)],
        [(app_manager_path(ctx, "Edit → API (Enable OAuth Settings): is \"Use digital signatures\" checked, with a "
                                "certificate file?"), P.APP_MANAGER)],
        (app_manager_path(ctx, "Edit: is \"Use digital signatures\" checked, with a certificate file?"),
         P.APP_MANAGER))
    return advice(ctx, [*verify, _needed_cert(ctx)], _upload_fix(ctx))


def _consumer_key(ctx: AdviceContext) -> Advice:
    verify = by_type(
        ctx,
        [(f"Setup → External Client App Manager (Quick Find: External Client App) → {app(ctx)} → Settings tab → "
          "OAuth Settings → \"Consumer Key and Secret\": enter the code Salesforce emails you, then copy the "
          "Consumer Key.", P.ECA_MANAGER)],
        [(app_manager_path(ctx, "View → API (Enable OAuth Settings) → Manage Consumer Details: enter the emailed "
                                "code, then copy the Consumer Key."), P.APP_MANAGER)],
        (app_manager_path(ctx, "View → Manage Consumer Details."), P.APP_MANAGER))
    verify += [
        (f"Compare it character by character with the Consumer Key aprity uses, in "
         f"{place(ctx, 'consumer_key', 'Consumer Key')}; keys are usually 85 characters starting 3MVG9.", None),
        ("Production and each sandbox are separate orgs with separate apps and keys." + (
            "" if kind(ctx) is CA else " A sandbox copy or refresh does not bring a local External Client App "
            "along: the sandbox needs its own."), None),
        ("If the app or its key is new, Salesforce may take a few minutes before it accepts the key.", None),
    ]
    where = place(ctx, "consumer_key", "Consumer Key")
    fix: list[Step] = [(f"Put that Consumer Key (never the Consumer Secret) in {where}.", None),
                       ("Test again right away: a change on aprity's side needs no wait.", None)]
    return advice(ctx, verify, fix, aprity_side=True)


def _oauth(ctx: AdviceContext) -> Advice:
    scopes = f"{API_SCOPE} and {OFFLINE_SCOPE}"
    verify = by_type(
        ctx,
        [(eca_path(ctx, "Edit Settings → OAuth Settings: is \"Enable OAuth\" checked?"), P.ECA_MANAGER),
         (f"Same section, OAuth Scopes: the selected list holds {scopes}.", P.ECA_MANAGER)],
        [(app_manager_path(ctx, "Edit → API (Enable OAuth Settings): is \"Enable OAuth Settings\" checked?"),
          P.APP_MANAGER),
         (f"Same section, \"Selected OAuth Scopes\" holds {scopes}.", P.APP_MANAGER)],
        (app_manager_path(ctx, "Edit → \"Enable OAuth Settings\" and \"Selected OAuth Scopes\"."), P.APP_MANAGER))
    verify.append(("A login that works but whose calls fail with \"This session is not valid for use with the REST "
                   "API\" (INVALID_SESSION_ID) lacks the api scope.", None))
    fix = by_type(
        ctx,
        [(eca_path(ctx, f"Edit Settings → OAuth Settings: check \"Enable OAuth\", add {scopes} to the selected "
                        "OAuth Scopes, Save."), P.ECA_MANAGER)],
        [(app_manager_path(ctx, f"Edit: check \"Enable OAuth Settings\", add {scopes} to \"Selected OAuth "
                                "Scopes\", Save."), P.APP_MANAGER)],
        (app_manager_path(ctx, "Edit: the same two scopes under \"Selected OAuth Scopes\", Save."), P.APP_MANAGER))
    return advice(ctx, verify, [*fix, (PROPAGATION, None)])


def _preauthorization(ctx: AdviceContext) -> Advice:
    admin = "\"Admin approved users are pre-authorized\""
    verify = by_type(
        ctx,
        [(eca_path(ctx, f"Edit Policies → OAuth Policies: Permitted Users should read {admin}."), P.ECA_MANAGER),
         ("Same page: which profiles and permission sets are chosen under Select Profiles and Select Permission "
          "Sets? A new External Client App has none, so it lets nobody in.", P.ECA_MANAGER)],
        [(manage_ca_path(ctx, f"Edit Policies: Permitted Users should read {admin}."), P.CONNECTED_APPS),
         (f"The app's page (Manage Connected Apps → {app(ctx)}) lists the profiles and permission sets it lets in.",
          P.CONNECTED_APPS)],
        (manage_ca_path(ctx, "Edit Policies (Permitted Users), and the app's Profiles and Permission Sets lists."),
         P.CONNECTED_APPS))
    verify += [
        (f"Setup → Users → {user(ctx)}: note the Profile and the Permission Set Assignments; one of them must be "
         "chosen on the app. Its Login History shows \"Failed: Not approved for access\" for this cause.", P.USERS),
        (f"Salesforce answers the same way for a username it does not know: check {user(ctx)} is listed under "
         "Setup → Users, spelled exactly.", P.USERS),
    ]
    if kind(ctx) is CA:
        verify.append(("A permission set with the Salesforce API Integration license cannot hold a Connected App: "
                       "use the profile or another permission set.", None))
    common: list[Step] = [
        (f"The user's profile is shown at Setup → Users → {user(ctx)} → Profile.", P.USERS),
        (f"Recommended: one permission set for aprity. Setup → Permission Sets → New: Label \"{PERMISSION_SET}\", "
         f"License \"--None--\", Save; then Manage Assignments → Add Assignment → {user(ctx)}.", P.PERMISSION_SETS),
    ]
    fix = by_type(
        ctx,
        [(eca_path(ctx, f"Edit Policies → OAuth Policies → Permitted Users: choose {admin}, Save."), P.ECA_MANAGER),
         *common,
         (eca_path(ctx, f"Edit Policies → Select Permission Sets: add \"{PERMISSION_SET}\", Save (Select Profiles "
                        "with the user's profile also works, but lets in everyone on it)."), P.ECA_MANAGER)],
        [(manage_ca_path(ctx, f"Edit Policies → Permitted Users: choose {admin}, Save."), P.CONNECTED_APPS),
         *common,
         (manage_ca_path(ctx, f"Manage Permission Sets: add \"{PERMISSION_SET}\", Save (Manage Profiles also "
                              "works, for a whole profile)."), P.CONNECTED_APPS)],
        (manage_ca_path(ctx, f"Edit Policies → Permitted Users: {admin}, Save; then Manage Permission Sets: add "
                             f"\"{PERMISSION_SET}\", Save."), P.CONNECTED_APPS))
    return advice(ctx, verify, [*fix, (PROPAGATION, None)])


def _my_domain_env(ctx: AdviceContext) -> str | None:
    return environment_of(ctx.my_domain_url) if ctx.my_domain_url else None


def right_login_url(ctx: AdviceContext) -> str | None:
    """The login URL this org should use, or None when it cannot be named for sure.

    The org's My Domain works for every app type. login/test.salesforce.com are offered only
    for a Connected App: an External Client App is not found through them.
    """
    if ctx.my_domain_url and (ctx.environment not in ("production", "sandbox")
                              or _my_domain_env(ctx) == ctx.environment or kind(ctx) is not CA):
        return ctx.my_domain_url.rstrip("/")
    if kind(ctx) is not CA or ctx.environment not in ("production", "sandbox"):
        return None
    return f"https://{TEST if ctx.environment == 'sandbox' else LOGIN}"


_MY_DOMAIN_STEP = ("Setup → My Domain → My Domain Details: copy the \"Current My Domain URL\" (a sandbox's looks "
                   "like https://acme--uat.sandbox.my.salesforce.com).")


def _username_login(ctx: AdviceContext) -> Advice:
    name = ctx.username or "the username aprity uses"
    suffix = sandbox_suffix(ctx.username) if ctx.username else None
    login_place = place(ctx, "login_url", "Login URL")
    user_place = place(ctx, "username", "Username")
    verify: list[Step] = [(_MY_DOMAIN_STEP, P.MY_DOMAIN),
                          (f"Setup → Users: the Username must be exactly {name} (not the email address); a sandbox "
                           "username ends in .<sandbox name>.", P.USERS)]
    right = right_login_url(ctx)
    fix: list[Step] = []
    if kind(ctx) is CA:
        verify.append(("A sandbox logs in at https://test.salesforce.com or its sandbox My Domain; production at "
                       "https://login.salesforce.com or its My Domain.", None))
        if suffix and ctx.environment == "production":
            fix.append((f"{ctx.username} is a sandbox username (.{suffix}): set the login URL to the sandbox's My "
                        f"Domain URL or https://{TEST} in {login_place}.", None))
        elif right and ctx.login_url and ctx.login_url.rstrip("/") != right:
            fix.append((f"Set the login URL to {right} (it is {ctx.login_url} now) in {login_place}.", None))
        else:
            fix.append((f"Set the login URL to the org's Current My Domain URL (it works for every app type) in "
                        f"{login_place}.", None))
    else:
        # External Client Apps answer only on the org's My Domain, as login URL and as audience.
        target = right or "the Current My Domain URL from step 1"
        if right and ctx.login_url and ctx.login_url.rstrip("/") == right:
            fix.append((f"The login URL is already the org's My Domain ({right}), as it must be: check the "
                        "username.", None))
        else:
            fix.append((f"Set the login URL to {target} in {login_place}; aprity then uses the same address as the "
                        "audience.", None))
        if kind(ctx) is not ECA:
            verify.append(("For an older Connected App: https://login.salesforce.com (production) or "
                           "https://test.salesforce.com (sandbox) also works, but the My Domain URL works for both.",
                           None))
    verify.append(("Never use a *.lightning.force.com address: that is the browser's address, not a login "
                   "address.", None))
    if ctx.username and not suffix and ctx.environment == "sandbox":
        fix.append((f"{ctx.username} has no sandbox suffix: set the username to the sandbox copy of the user "
                    f"(e.g. {ctx.username}.<sandbox>) in {user_place}.", None))
    else:
        fix.append((f"If the username differs from Setup → Users, put the exact one in {user_place}.", None))
    fix.append(("Test again right away: a change on aprity's side needs no wait.", None))
    return advice(ctx, verify, fix, aprity_side=True)


def _unknown(ctx: AdviceContext) -> Advice:
    verify = [("Copy the exact error message from the aprity app (Settings → Connection → Test Connection) or the "
               "scan log.", None),
              ("Setup → Company Information: note the \"Salesforce.com Organization ID\", and whether the org is "
               "production or a sandbox.", P.COMPANY_INFO)]
    verify += by_type(
        ctx,
        [(f"Setup → External Client App Manager → {app(ctx)} → Settings tab → OAuth Settings → \"Consumer Key and "
          "Secret\": note the Consumer Key, never the Consumer Secret.", P.ECA_MANAGER)],
        [(app_manager_path(ctx, "View → Manage Consumer Details: note the Consumer Key, never the Consumer "
                                "Secret."), P.APP_MANAGER)],
        (app_manager_path(ctx, "View → Manage Consumer Details."), P.APP_MANAGER))
    fix = [(("Run the full aprity-diagnose check on the connection to test each setting in turn."
             if ctx.surface != "slack" else "Press Check again after any change to test each setting in turn."),
            None),
           ("If it still fails, send the collected details to support@aprity.ai.", None)]
    return advice(ctx, verify, fix)


_ADVICE: dict[CauseId, Callable[[AdviceContext], Advice]] = {
    CauseId.CERTIFICATE_MISMATCH: _certificate,
    CauseId.CONSUMER_KEY_MISMATCH: _consumer_key,
    CauseId.OAUTH_NOT_ENABLED_OR_SCOPES: _oauth,
    CauseId.DIGITAL_SIGNATURES_DISABLED: _signatures,
    CauseId.USER_NOT_PREAUTHORIZED: _preauthorization,
    CauseId.USERNAME_OR_LOGIN_URL: _username_login,
    CauseId.CLOCK_SKEW_OR_EXPIRY: clock,
    CauseId.USER_OR_ORG_INACTIVE: inactive,
    CauseId.IP_OR_LOGIN_HOURS: ip,
    CauseId.LOGIN_RATE_EXCEEDED: rate,
    CauseId.METADATA_ACCESS_MISSING: metadata,
    CauseId.PRIVATE_KEY_INVALID: private_key,
    CauseId.SALESFORCE_UNREACHABLE: unreachable_advice,
    CauseId.UNKNOWN: _unknown,
    # --- causes read by `explain` outside the JWT answer (proxy, TLS, key file, …): checks/rules/advice_local.py
    **LOCAL_ADVICE,
}


# Fixed in aprity's connection or on the machine that signs (the guide: "update … in your aprity JWT
# configuration"; the key file and the clock are aprity's): the customer's admin has nothing to change.
APRITY_SIDE = frozenset({CauseId.CONSUMER_KEY_MISMATCH, CauseId.USERNAME_OR_LOGIN_URL,
                         CauseId.CLOCK_SKEW_OR_EXPIRY, CauseId.PRIVATE_KEY_INVALID})


def advice_for(cause: CauseId, ctx: AdviceContext = AdviceContext()) -> Advice:
    """Verify and fix steps for ``cause``, made concrete with what ``ctx`` knows."""
    found = _ADVICE[CauseId(cause)](ctx)
    if CauseId(cause) in APRITY_SIDE and not found.aprity_side:
        found = replace(found, aprity_side=True)
    return found
