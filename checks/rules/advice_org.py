"""Advice for causes outside the app's screens: the user, the org, aprity's key and clock.

The same for both app kinds, except where the certificate goes (private key replaced).
"""

from __future__ import annotations

from checks.rules.advice_model import Advice, AdviceContext
from checks.rules.advice_paths import (CA, ECA, P, Step, advice, app, app_manager_path, eca_path, kind, place,
                                       user)

PERMISSION_SET = "aprity Integration"


def clock(ctx: AdviceContext) -> Advice:
    if ctx.for_support and ctx.surface == "slack":  # staff, but no shell here
        return advice(ctx, [("Compare the clock of the machine running aprity with UTC: more than a minute off is "
                             "a problem.", None)],
                      [("Sync that machine's clock with NTP; exp must be now plus 2–3 minutes in UTC seconds.", None)],
                      aprity_side=True)
    if not ctx.for_support:
        return advice(ctx, [("Nothing to check in your org: the clock of the machine running aprity is off.", None)],
                      [("Nothing to change in Salesforce: aprity's team corrects its server's clock; the automatic "
                        "retests will tell.", None)], aprity_side=True)
    return advice(ctx, [
        ("Compare the clock of the machine that signs the JWT with UTC (`date -u`, or `timedatectl` on Linux); "
         "more than a minute off is a problem.", None),
        ("Decode the assertion and read exp: seconds since 1970 in UTC, a little after now. A far-future exp "
         "(e.g. milliseconds) is accepted; a past one is not.", None),
    ], [
        ("Sync the signing host's clock with NTP (chrony or systemd-timesyncd); containers inherit the host's "
         "clock.", None),
        ("Set exp to now plus 2–3 minutes, in UTC seconds, not computed from local time.", None),
    ], aprity_side=True)


def inactive(ctx: AdviceContext) -> Advice:
    browser = ctx.my_domain_url or ctx.login_url or "the org's login URL"
    return advice(ctx, [
        (f"Setup → Users → {user(ctx)}: \"Active\" is checked, and the page offers no \"Unfreeze\" button.",
         P.USERS),
        ("Setup → Company Information: is the \"Salesforce.com Organization ID\" the org aprity should reach?",
         P.COMPANY_INFO),
        (f"Log in through a browser at {browser}: a locked, suspended or expired org says so (trial and scratch "
         "orgs expire).", None),
    ], [
        (f"Setup → Users → {user(ctx)} → Edit: check \"Active\", Save; or press \"Unfreeze\" on the user's page.",
         P.USERS),
        (f"Or use another active user: put it in {place(ctx, 'username', 'Username')}, and add it to the "
         f"\"{PERMISSION_SET}\" permission set so the app lets it in.", P.PERMISSION_SETS),
        ("A locked or expired org needs its Salesforce admin or account team; an expired trial or scratch org "
         "needs a new org and a new connection.", None),
    ])


def ip(ctx: AdviceContext) -> Advice:
    return advice(ctx, [
        (f"Setup → Users → {user(ctx)} → Login History: a \"Restricted IP\" status confirms this cause.", P.USERS),
        (f"Setup → Users → {user(ctx)} → click the Profile → \"Login IP Ranges\" and \"Login Hours\": compare them "
         "with aprity's outbound IP addresses and the time of the attempt.", P.USERS),
    ], [
        ("On that profile: Login IP Ranges → New, add aprity's outbound IP addresses (aprity support gives them), "
         "or widen Login Hours, Save.", P.USERS),
        ("The app's IP relaxation setting does not help: Salesforce always applies the profile's ranges to this "
         "kind of login.", None),
    ])


def rate(ctx: AdviceContext) -> Advice:
    return advice(ctx, [
        (f"Setup → Users → {user(ctx)} → Login History: count the last hour's logins; the limit is about 3,600 per "
         "user per hour.", P.USERS),
        (f"Are other tools or jobs logging in as {user(ctx)} (CI pipelines, Salesforce CLI loops, other "
         "integrations)?", None),
    ], [
        ("Give other tools their own user; the count falls within an hour.", None),
        (("aprity: cache the access token and reuse it until it expires instead of logging in per request."
          if ctx.for_support else "aprity's team makes aprity reuse its access token; then wait up to an hour."),
         None),
    ])


def metadata(ctx: AdviceContext) -> Advice:
    perm = "\"Modify Metadata Through Metadata API Functions\""
    return advice(ctx, [
        (f"Setup → Users → {user(ctx)} → Permission Set Assignments: open each set → System Permissions, and look "
         f"for {perm} and \"API Enabled\".", P.USERS),
    ], [
        (f"Why: Salesforce requires {perm} for every Metadata API call, reads included; aprity only reads, it never "
         "writes.", None),
        (f"Setup → Permission Sets → \"{PERMISSION_SET}\" (create it if missing: New, License \"--None--\") → System "
         f"Permissions → Edit: check {perm} and \"API Enabled\", Save; accept what Salesforce adds with them.",
         P.PERMISSION_SETS),
        (f"Same set → Manage Assignments → Add Assignment → {user(ctx)}, if not yet assigned.", P.PERMISSION_SETS),
        ("Test again: the permission applies from the next login.", None),
    ])


def private_key(ctx: AdviceContext) -> Advice:
    if not ctx.for_support:
        return advice(ctx, [("Nothing to check in your org: aprity's own signing key cannot be read, so no login "
                             "was attempted.", None)],
                      [("aprity's team replaces its key; the bot then attaches the matching certificate, to upload "
                        "as the certificate steps say.", None)], aprity_side=True)
    where = {ECA: eca_path(ctx, "Edit Settings → OAuth Settings → Flow Enablement (\"Enable JWT Bearer Flow\")"),
             CA: app_manager_path(ctx, "Edit → \"Use digital signatures\"")}
    target: list[Step] = [(f"Upload the certificate of a new key to {app(ctx)}: {where[kind(ctx)]}.",
                           P.ECA_MANAGER if kind(ctx) is ECA else P.APP_MANAGER)] if kind(ctx) in where else [
        (f"Upload the certificate of a new key to {app(ctx)}: {where[ECA]}; for an older Connected App, "
         "App Manager → Edit → \"Use digital signatures\".", P.ECA_MANAGER)]
    return advice(ctx, [
        ("Check the key file aprity uses starts with a BEGIN PRIVATE KEY (or BEGIN RSA PRIVATE KEY) line between "
         "dashes, and keeps its line breaks.", None),
        ("Run `openssl rsa -in private.key -check -noout` where the key lives: it should print \"RSA key ok\" "
         "without asking for a passphrase.", None),
        ("If the key comes from a CI secret or environment variable, check its newlines were not lost or escaped "
         "and it was not base64-encoded twice.", None),
    ], [
        (f"Restore the original unencrypted RSA PEM file ({place(ctx, 'private_key_file', 'Private key')}).", None),
        ((f"Or generate a new RSA key pair; `aprity-diagnose certificate --connection {ctx.connection or 'NAME'}` "
          "writes its certificate.") if ctx.surface != "slack" else
         "Or give aprity a new RSA key pair; once it reads the key, the bot attaches the matching certificate.", None),
        *target,
        ("Never paste a private key into chat or tickets; if it was shared, replace it.", None),
    ], aprity_side=True)
