"""How to confirm, and how to fix, each cause a diagnosis can name.

Steps are short imperatives a Salesforce admin can follow in Setup. Values the
caller knows (app name, username, login URL) are put into the steps so they can
be followed without translating placeholders.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from checks.rules.advice_local import LOCAL_ADVICE
from checks.rules.advice_unreachable import unreachable_advice
from checks.salesforce.hosts import LOGIN, TEST, environment_of, sandbox_suffix
from checks.model import CauseId
from checks.rules.advice_model import PROPAGATION, Advice, AdviceContext


def _user(ctx: AdviceContext) -> str:
    return ctx.username or "the integration user"


def _users(ctx: AdviceContext) -> str:
    return f"{ctx.username}'s" if ctx.username else "the integration user's"


def _cert_command(ctx: AdviceContext) -> str:
    return f"`aprity-diagnose certificate --connection {ctx.connection or 'NAME'}`"


def cert_file_name(connection: str | None) -> str:
    """Name of the certificate file the bot attaches to a thread."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in (connection or "aprity")).strip(".-")
    return f"{safe or 'aprity'}.crt"


def _get_cert(ctx: AdviceContext) -> str:
    """How to get the certificate matching aprity's key, in the reader's world."""
    if ctx.surface == "customer":  # the customer's checklist: the file travels with it, named without internals
        return (f"Take the certificate file {cert_file_name(None)} that comes with these steps: it matches the key "
                "aprity signs with.")
    if ctx.surface == "slack":
        fp = f" (SHA-256 {ctx.certificate_fingerprint})" if ctx.certificate_fingerprint else ""
        return f"Download {cert_file_name(ctx.connection)}, attached to this thread{fp}: it matches aprity's key."
    return f"Run {_cert_command(ctx)} to write a certificate that matches the private key aprity signs with."


def _my_domain_env(ctx: AdviceContext) -> str | None:
    return environment_of(ctx.my_domain_url) if ctx.my_domain_url else None


def right_login_url(ctx: AdviceContext) -> str | None:
    """The login URL this environment should use, or None when the environment is unknown.

    A known My Domain wins over the generic hosts: it works for every app type,
    including External Client Apps that reject login/test.salesforce.com.
    """
    if ctx.environment not in ("production", "sandbox"):
        return ctx.my_domain_url.rstrip("/") if ctx.my_domain_url else None
    if ctx.my_domain_url and _my_domain_env(ctx) == ctx.environment:
        return ctx.my_domain_url.rstrip("/")
    return f"https://{TEST if ctx.environment == 'sandbox' else LOGIN}"


def _login_hint(ctx: AdviceContext) -> str:
    return ctx.login_url or right_login_url(ctx) or "the org's login URL"


def _certificate(ctx: AdviceContext) -> Advice:
    app = ctx.connected_app
    return Advice(
        verify=(
            f"Open Setup > App Manager > {app} > Edit and note which certificate is attached under \"Use digital "
            "signatures\".",
            ("Compare public keys: `openssl x509 -in app.crt -noout -pubkey` must print the same key as "
             "`openssl rsa -in private.key -pubout` (run it where the key lives; never paste the key anywhere)."
             if ctx.surface != "slack" else
             "Compare the certificate's SHA-256 fingerprint in the app with the one of the certificate attached to "
             f"this thread{' (' + ctx.certificate_fingerprint + ')' if ctx.certificate_fingerprint else ''}."),
            "Ask whether the key pair was regenerated recently: both the app's certificate and aprity's key must "
            "come from the same pair.",
        ),
        fix=(
            _get_cert(ctx),
            f"Upload that certificate in Setup > App Manager > {app} > Edit > \"Use digital signatures\" and save.",
            "If you generate a new key pair instead, replace both halves: the certificate in Salesforce and the "
            "private key in aprity.",
            PROPAGATION,
        ),
    )


def _consumer_key(ctx: AdviceContext) -> Advice:
    app = ctx.connected_app
    return Advice(
        verify=(
            f"Open Setup > App Manager > {app} > View and copy the Consumer Key (Manage Consumer Details).",
            "Compare it character by character with the consumer key of the aprity connection; real keys are usually "
            "85 characters starting with 3MVG9.",
            f"Make sure the app lives in the org {_user(ctx)} belongs to: a key from a sandbox app is unknown in "
            "production, "
            "and the reverse.",
            "If the app was just created or its consumer details rotated, the new key can take 2–10 minutes to work.",
        ),
        fix=(
            f"Store the Consumer Key of {app} (never the Consumer Secret) in the aprity connection.",
            "Test again right away: a change on aprity's side needs no propagation wait.",
        ),
    )


def _oauth(ctx: AdviceContext) -> Advice:
    app = ctx.connected_app
    return Advice(
        verify=(
            f"Open Setup > App Manager > {app} > Edit and confirm \"Enable OAuth Settings\" is checked.",
            "Confirm Selected OAuth Scopes include `api` and `refresh_token, offline_access`.",
            "If a token is issued but REST calls fail with INVALID_SESSION_ID (\"not valid for use with the REST "
            "API\"), "
            "the token lacks the `api` scope.",
        ),
        fix=(
            "Check \"Enable OAuth Settings\", add the scopes `api` and `refresh_token, offline_access`, and save.",
            PROPAGATION,
        ),
    )


def _signatures(ctx: AdviceContext) -> Advice:
    app = ctx.connected_app
    return Advice(
        verify=(
            f"Open Setup > App Manager > {app} > Edit and confirm \"Use digital signatures\" is checked under the "
            "OAuth settings.",
            "Confirm a certificate file is attached next to that checkbox.",
        ),
        fix=(
            _get_cert(ctx),
            f"Check \"Use digital signatures\" in Setup > App Manager > {app} > Edit, attach that certificate "
            "and save.",
            PROPAGATION,
        ),
    )


def _preauthorization(ctx: AdviceContext) -> Advice:
    app = ctx.connected_app
    return Advice(
        verify=(
            f"Open Setup > Connected Apps > Manage Connected Apps > {app} and confirm Permitted Users is "
            "\"Admin approved users are pre-authorized\".",
            f"On the same page, check that the Profiles or Permission Sets list holds {_users(ctx)} profile or one of "
            "their permission sets.",
            f"Open {_users(ctx)} Login History: \"Failed: Not approved for access\" confirms this cause.",
            "Permission sets of the Salesforce API Integration license cannot hold Assigned Connected Apps; "
            "check the assignment is not only there.",
            f"Setup > Users: check {_user(ctx)} exists in this org, spelled exactly; Salesforce answers the same "
            "way for an unknown username.",
            "If Permitted Users is \"All users may self-authorize\", the user's earlier approval must include the "
            "refresh_token, offline_access scope; pre-authorizing the profile avoids depending on it.",
        ),
        fix=(
            f"In Manage Connected Apps > {app}, use Manage Profiles to add {_users(ctx)} profile, or Manage "
            "Permission Sets "
            "to add a permission set assigned to them.",
            "For a Salesforce API Integration user, assign the app through the profile or a second permission set "
            "without that license.",
            PROPAGATION,
        ),
    )


def _other_env_url(env: str) -> str:
    return f"https://{LOGIN}" if env == "sandbox" else f"https://{TEST} or the sandbox My Domain"


def _username_login(ctx: AdviceContext) -> Advice:
    user = ctx.username or "the username in the aprity connection"
    suffix = sandbox_suffix(ctx.username) if ctx.username else None
    verify = [
        f"Confirm {user} is the exact Salesforce username of the integration user (Setup > Users), not their email "
        "address.",
        "Sandbox usernames carry the sandbox name as a suffix (user@acme.com.uat); production usernames do not.",
        "A sandbox logs in at https://test.salesforce.com or its sandbox My Domain "
        "(https://acme--uat.sandbox.my.salesforce.com); production at https://login.salesforce.com or its My Domain.",
        "If the app is an External Client App (Spring '26 and later), the org's My Domain URL must be both the token "
        "endpoint and the audience.",
        "Never use a *.lightning.force.com address: that is the Lightning UI, the login host is the "
        "*.my.salesforce.com one.",
    ]
    if ctx.login_url:
        verify.insert(1, f"The connection logs in at {ctx.login_url} ({environment_of(ctx.login_url)} host); "
                         f"check the org behind {user} is of that kind.")
    fix: list[str] = []
    env_words = {"production": "production", "sandbox": "a sandbox"}
    sandbox_user_on_prod = bool(suffix) and ctx.environment == "production"
    if sandbox_user_on_prod:
        fix.append(f"{ctx.username} ends in .{suffix}, a sandbox username, but the login URL is production: "
                   f"log in at https://{TEST} or the sandbox My Domain.")
    elif ctx.username and not suffix and ctx.environment == "sandbox":
        fix.append(f"{ctx.username} has no sandbox suffix: use the sandbox copy of the user "
                   f"(e.g. {ctx.username}.<sandbox>).")
    right = right_login_url(ctx)
    if sandbox_user_on_prod:
        pass  # the step above already names the URL to use
    elif right and ctx.login_url and ctx.login_url.rstrip("/") != right:
        fix.append(f"Change the login URL of the connection from {ctx.login_url} to {right}.")
    elif ctx.login_url and ctx.environment in env_words:
        fix.append(f"Keep {ctx.login_url} only if the org is {env_words[ctx.environment]}; otherwise use "
                   f"{_other_env_url(ctx.environment)}.")
    elif right:
        fix.append(f"Set the login URL of the connection to {right}.")
    else:
        fix.append("Set the login URL to the org's My Domain URL (Setup > My Domain), "
                   "or https://login.salesforce.com for production and https://test.salesforce.com for a sandbox.")
    fix.append("Set the username to the integration user's exact username in that org, "
               "with the sandbox suffix for a sandbox.")
    if ctx.my_domain_url:
        fix.append(f"For an External Client App, use {ctx.my_domain_url} for both the login URL and the audience.")
    fix.append("Test the connection again: a change on aprity's side needs no propagation wait.")
    return Advice(verify=tuple(verify), fix=tuple(fix))


def _clock(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            "Compare the clock of the machine that signs the JWT with UTC (`date -u`, or `timedatectl` on Linux); "
            "more than a minute off is a problem.",
            "Decode the assertion and read exp: seconds since 1970 in UTC, a little after now. A far-future exp "
            "(e.g. milliseconds) is accepted; a past one is not.",
        ),
        fix=(
            "Sync the signing host's clock with NTP (chrony or systemd-timesyncd); containers inherit the host's "
            "clock.",
            "Set exp to now plus 2–3 minutes, in UTC seconds, not computed from local time.",
        ),
    )


def _inactive(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            f"Open Setup > Users > {_user(ctx)} and confirm Active is checked and the user is not frozen.",
            f"Log in through a browser at {_login_hint(ctx)} to see whether the org is locked, suspended or expired "
            "(trial and scratch orgs expire).",
            "Note the Org ID in Setup > Company Information to be sure you are looking at the right org.",
        ),
        fix=(
            "Reactivate or unfreeze the integration user, or point the connection at an active integration user.",
            "If the org itself is locked or expired, ask its Salesforce admin or account team; an expired scratch or "
            "trial org needs a new org and a new connection.",
        ),
    )


def _ip(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            f"Open {_users(ctx)} Login History: a \"Restricted IP\" status confirms this cause.",
            f"Open {_users(ctx)} profile (Setup > Profiles) and compare Login IP Ranges and Login Hours with "
            "aprity's outbound IP addresses and the time of the attempt.",
        ),
        fix=(
            "Add aprity's outbound IP addresses to the profile's Login IP Ranges, or widen its Login Hours.",
            "Do not rely on \"Relax IP restrictions\" in the Connected App: the JWT flow always enforces the "
            "profile's Login IP Ranges.",
        ),
    )


def _rate(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            f"Open {_users(ctx)} Login History and count logins in the last hour; the limit is about 3,600 per "
            "user per hour.",
            "Look for other jobs logging in as the same user (CI pipelines, Salesforce CLI loops, other integrations).",
        ),
        fix=(
            "Cache the access token and reuse it until it expires instead of logging in for every request.",
            "Give other integrations their own user, then wait up to an hour for the count to fall.",
        ),
    )


def _metadata(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            f"Check {_users(ctx)} profile and permission sets for \"Modify Metadata Through Metadata API Functions\" "
            "or \"Modify All Data\".",
            "Confirm the user also has \"API Enabled\" and that the token's scope includes `api`.",
        ),
        fix=(
            f"Grant \"Modify Metadata Through Metadata API Functions\" (or \"Modify All Data\") to {_user(ctx)} "
            "through a permission set.",
            "Test the connection again: the new permission applies from the next login.",
        ),
    )


def _private_key(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            "Check the key file aprity uses starts with a BEGIN PRIVATE KEY (or BEGIN RSA PRIVATE KEY) line "
            "between dashes, and keeps its line breaks.",
            "Run `openssl rsa -in private.key -check -noout` where the key lives: it should print \"RSA key ok\" "
            "without asking for a passphrase.",
            "If the key comes from a CI secret or environment variable, check its newlines were not lost or escaped "
            "and it was not base64-encoded twice.",
        ),
        fix=(
            "Restore the original unencrypted RSA PEM file in the aprity connection.",
            (f"Or generate a new RSA key pair and upload the matching certificate ({_cert_command(ctx)}) to "
             f"{ctx.connected_app}." if ctx.surface != "slack" else
             f"Or give aprity a new RSA key pair; once it reads the key, the bot attaches the matching certificate "
             f"for {ctx.connected_app} to the thread."),
            "Never paste a private key into chat or tickets; if it was shared, replace it.",
        ),
    )


def _unknown(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(
            "Copy the exact error message from the aprity app (Settings > Connection > Test Connection) or the "
            "scan log.",
            "Note the Org ID (Setup > Company Information) and whether the org is production or a sandbox.",
            f"Note the Connected App name ({ctx.connected_app}) and its Consumer Key, never the Consumer Secret.",
        ),
        fix=(
            ("Run the full aprity-diagnose check on the connection to test each setting in turn."
             if ctx.surface != "slack" else "Press Check again after any change to test each setting in turn."),
            "If it still fails, send the collected details to support@aprity.ai.",
        ),
    )


_ADVICE: dict[CauseId, Callable[[AdviceContext], Advice]] = {
    CauseId.CERTIFICATE_MISMATCH: _certificate,
    CauseId.CONSUMER_KEY_MISMATCH: _consumer_key,
    CauseId.OAUTH_NOT_ENABLED_OR_SCOPES: _oauth,
    CauseId.DIGITAL_SIGNATURES_DISABLED: _signatures,
    CauseId.USER_NOT_PREAUTHORIZED: _preauthorization,
    CauseId.USERNAME_OR_LOGIN_URL: _username_login,
    CauseId.CLOCK_SKEW_OR_EXPIRY: _clock,
    CauseId.USER_OR_ORG_INACTIVE: _inactive,
    CauseId.IP_OR_LOGIN_HOURS: _ip,
    CauseId.LOGIN_RATE_EXCEEDED: _rate,
    CauseId.METADATA_ACCESS_MISSING: _metadata,
    CauseId.PRIVATE_KEY_INVALID: _private_key,
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
    advice = _ADVICE[CauseId(cause)](ctx)
    if CauseId(cause) in APRITY_SIDE and not advice.aprity_side:
        advice = replace(advice, aprity_side=True)
    return advice
