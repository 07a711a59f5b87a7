"""checks.rules.advice: every cause has concrete verify and fix steps, with the caller's values filled in."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from checks.rules.advice import Advice, AdviceContext, advice_for, right_login_url
from checks.model import CauseId as C

FULL = AdviceContext(
    connected_app="Aprity Scanner",
    username="ops@acme.com",
    login_url="https://login.salesforce.com",
    environment="production",
    my_domain_url="https://acme.my.salesforce.com",
    connection="acme-prod",
)
APP_TYPES = ("external_client_app", "connected_app", "unknown")
CONTEXTS = [replace(base, app_type=t) for t in APP_TYPES for base in (
    AdviceContext(), FULL, AdviceContext(environment="sandbox", username="ops@acme.com.uat"))]


def steps(advice: Advice) -> str:
    return "\n".join(advice.verify + advice.fix)


@pytest.mark.parametrize("cause", list(C))
@pytest.mark.parametrize("ctx", CONTEXTS, ids=[f"{t}-{b}" for t in APP_TYPES for b in ("default", "full", "sandbox")])
def test_every_cause_has_short_concrete_steps(cause: C, ctx: AdviceContext) -> None:
    advice = advice_for(cause, ctx)
    assert advice.verify and advice.fix
    for step in advice.verify + advice.fix:
        assert isinstance(step, str) and step.strip()
        assert len(step) <= 300, step
        # no unfilled placeholder or missing value ("--None--" is a Setup label)
        assert not re.search(r"(?<!%)\{\w*\}|(?<!--)None", step), step  # no unfilled placeholder or missing value
    assert len(set(advice.verify)) == len(advice.verify) and len(set(advice.fix)) == len(advice.fix)


def test_default_context_and_string_cause() -> None:
    assert advice_for(C.CERTIFICATE_MISMATCH) == advice_for("certificate_mismatch")  # type: ignore[arg-type]
    text = steps(advice_for(C.CERTIFICATE_MISMATCH))
    assert "Setup → External Client App Manager (Quick Find: External Client App) → aprity ▼" in text
    assert "For an older Connected App: Setup → App Manager → aprity ▼ → Edit" in text


def test_app_name_username_and_connection_are_substituted() -> None:
    cert = steps(advice_for(C.CERTIFICATE_MISMATCH, FULL))
    assert "External Client App Manager (Quick Find: External Client App) → Aprity Scanner ▼" in cert
    assert "`aprity-diagnose certificate --connection acme-prod`" in cert
    pre = steps(advice_for(C.USER_NOT_PREAUTHORIZED, replace(FULL, app_type="connected_app")))
    assert "Setup → Connected Apps → Manage Connected Apps → Aprity Scanner" in pre
    assert "Setup → Users → ops@acme.com" in pre
    assert "ops@acme.com" in steps(advice_for(C.IP_OR_LOGIN_HOURS, FULL))
    key = steps(advice_for(C.CONSUMER_KEY_MISMATCH, replace(FULL, app_type="connected_app")))
    assert "Setup → App Manager → Aprity Scanner ▼ → View" in key


def test_without_username_the_steps_say_integration_user() -> None:
    text = steps(advice_for(C.USER_NOT_PREAUTHORIZED))
    assert "Setup → Users → the integration user" in text


@pytest.mark.parametrize(
    ("ctx", "expected"),
    [
        (AdviceContext(environment="sandbox", app_type="connected_app"), "https://test.salesforce.com"),
        (AdviceContext(environment="production", app_type="connected_app"), "https://login.salesforce.com"),
        # an External Client App, or an app of unknown kind, is never sent to a generic host
        (AdviceContext(environment="sandbox"), None),
        (AdviceContext(environment="production", app_type="external_client_app"), None),
        (AdviceContext(environment="sandbox", my_domain_url="https://acme--uat.sandbox.my.salesforce.com"),
         "https://acme--uat.sandbox.my.salesforce.com"),
        # a production My Domain is no answer for a Connected App's sandbox
        (AdviceContext(environment="sandbox", my_domain_url="https://acme.my.salesforce.com",
                       app_type="connected_app"), "https://test.salesforce.com"),
        (AdviceContext(), None),
    ],
)
def test_right_login_url(ctx: AdviceContext, expected: str | None) -> None:
    assert right_login_url(ctx) == expected


def test_login_url_fix_names_the_right_url_and_where_it_goes() -> None:
    ctx = AdviceContext(environment="production", login_url="https://login.salesforce.com",
                        my_domain_url="https://acme.my.salesforce.com", connection="acme-prod")
    fix = advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix
    assert fix[0] == ("Set the login URL to https://acme.my.salesforce.com in connections.toml (connection acme-prod, "
                      "field login_url); aprity then uses the same address as the audience.")
    customer = advice_for(C.USERNAME_OR_LOGIN_URL, replace(ctx, surface="slack")).fix
    assert customer[0].startswith("Set the login URL to https://acme.my.salesforce.com in the aprity app (Settings → "
                                  "Connection → Login URL)")
    assert advice_for(C.USERNAME_OR_LOGIN_URL, ctx).aprity_side


@pytest.mark.parametrize("app_type", ["external_client_app", "unknown"])
def test_eca_login_verdict_says_one_thing(app_type: str) -> None:
    for env in ("production", "sandbox", "unknown"):
        ctx = AdviceContext(environment=env, login_url="https://login.salesforce.com", app_type=app_type,
                            username="ops@acme.com.uat")
        advice = advice_for(C.USERNAME_OR_LOGIN_URL, ctx)
        assert "Current My Domain URL" in steps(advice)
        assert not any("salesforce.com" in s and s.startswith("Set") and "my.salesforce" not in s
                       for s in advice.fix), advice.fix
        assert not any("login.salesforce.com" in s or "test.salesforce.com" in s for s in advice.fix)
        assert "Keep" not in steps(advice) and "Consumer Key" not in steps(advice)
        assert "App Manager" not in steps(advice)


def test_sandbox_username_on_production_url_is_called_out() -> None:
    ctx = AdviceContext(username="ops@acme.com.uat", login_url="https://login.salesforce.com", environment="production",
                        app_type="connected_app")
    fix = advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix
    assert fix[0].startswith("ops@acme.com.uat is a sandbox username (.uat)")
    assert "https://test.salesforce.com" in fix[0]
    assert not any(s.startswith("Keep") for s in fix)


def test_production_username_on_sandbox_url_is_called_out() -> None:
    ctx = AdviceContext(username="ops@acme.com", login_url="https://test.salesforce.com", environment="sandbox")
    assert any("no sandbox suffix" in s for s in advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix)


def test_inactive_check_uses_the_login_url() -> None:
    sandbox = AdviceContext(environment="sandbox", login_url="https://test.salesforce.com")
    assert "https://test.salesforce.com" in steps(advice_for(C.USER_OR_ORG_INACTIVE, sandbox))


@pytest.mark.parametrize(
    ("cause", "facts"),
    [
        (C.CERTIFICATE_MISMATCH, ["Enable JWT Bearer Flow", "Use digital signatures",
                                  "aprity-diagnose certificate --connection", "subject and expiry", "10 minutes"]),
        (C.CONSUMER_KEY_MISMATCH, ["Consumer Key and Secret", "Manage Consumer Details", "never the Consumer Secret",
                                   "connections.toml"]),
        (C.OAUTH_NOT_ENABLED_OR_SCOPES, ["Enable OAuth", "\"Manage user data via APIs (api)\"",
                                         "\"Perform requests at any time (refresh_token, offline_access)\"",
                                         "INVALID_SESSION_ID", "10 minutes"]),
        (C.DIGITAL_SIGNATURES_DISABLED, ["Enable JWT Bearer Flow", "Use digital signatures", "10 minutes"]),
        (C.USER_NOT_PREAUTHORIZED, ["Admin approved users are pre-authorized", "Select Permission Sets",
                                    "Failed: Not approved for access", "aprity Integration", "→ Profile",
                                    "Manage Permission Sets", "10 minutes"]),
        (C.USERNAME_OR_LOGIN_URL, ["Current My Domain URL", "sandbox name", "audience", "lightning.force.com",
                                   "For an older Connected App"]),
        (C.CLOCK_SKEW_OR_EXPIRY, ["NTP", "seconds", "milliseconds"]),
        (C.USER_OR_ORG_INACTIVE, ["Active", "Unfreeze", "Setup → Company Information"]),
        (C.IP_OR_LOGIN_HOURS, ["Restricted IP", "Login IP Ranges", "IP relaxation", "always applies"]),
        (C.LOGIN_RATE_EXCEEDED, ["3,600", "cache the access token"]),
        (C.METADATA_ACCESS_MISSING, ["Modify Metadata Through Metadata API Functions", "reads included",
                                     "never writes", "Setup → Permission Sets"]),
        (C.PRIVATE_KEY_INVALID, ["BEGIN PRIVATE KEY", "RSA"]),
        (C.SALESFORCE_UNREACHABLE, ["unable to get local issuer certificate", "My Domain"]),
        (C.UNKNOWN, ["exact error message", "Setup → Company Information", "never the Consumer Secret"]),
    ],
)
def test_reference_facts_are_present(cause: C, facts: list[str]) -> None:
    text = steps(advice_for(cause))
    for fact in facts:
        assert fact in text, (cause, fact)


@pytest.mark.parametrize("cause", list(C))
def test_unknown_kind_adds_one_older_connected_app_step_after_the_eca_steps(cause: C) -> None:
    advice = advice_for(cause, FULL)
    for lst in (advice.verify, advice.fix):
        older = [i for i, s in enumerate(lst) if "older Connected App" in s]
        assert len(older) <= 1, lst
        if older and any("External Client App Manager" in s for s in lst):
            assert min(i for i, s in enumerate(lst) if "External Client App Manager" in s) <= older[0]


def test_no_modify_all_data_and_no_fingerprint_comparison() -> None:
    for app_type in APP_TYPES:
        for cause in C:
            text = steps(advice_for(cause, replace(FULL, app_type=app_type, certificate_fingerprint="AB:CD")))
            assert "Modify All Data" not in text
            assert "fingerprint" not in text.lower() and "AB:CD" not in text, (cause, text)


def test_certificate_is_checked_by_subject_and_expiry() -> None:
    ctx = replace(FULL, surface="slack", certificate_subject="CN=aprity", certificate_expires="2027-01-31",
                  app_type="external_client_app")
    advice = advice_for(C.CERTIFICATE_MISMATCH, ctx)
    assert any("subject CN=aprity, expires 2027-01-31" in s for s in advice.verify)
    assert any("upload the attached certificate (acme-prod.crt)" in s for s in advice.fix)
    # one upload fixes both causes Salesforce cannot tell apart
    assert advice.fix == advice_for(C.DIGITAL_SIGNATURES_DISABLED, ctx).fix


APRITY_SIDE = {C.CONSUMER_KEY_MISMATCH: "consumer_key", C.USERNAME_OR_LOGIN_URL: "login_url"}
CUSTOMER_LABEL = {C.CONSUMER_KEY_MISMATCH: "Consumer Key", C.USERNAME_OR_LOGIN_URL: "Login URL"}


@pytest.mark.parametrize("cause", list(APRITY_SIDE))
def test_aprity_side_fixes_say_where_the_change_goes(cause: C) -> None:
    support = advice_for(cause, replace(FULL, reader="support"))
    customer = advice_for(cause, replace(FULL, reader="customer"))
    assert support.aprity_side and customer.aprity_side
    assert f"connections.toml (connection acme-prod, field {APRITY_SIDE[cause]})" in steps(support)
    assert f"the aprity app (Settings → Connection → {CUSTOMER_LABEL[cause]})" in steps(customer)
    assert "connections.toml" not in steps(customer)
    # the reader follows the surface when not given: the CLI is support's, Slack the customer's
    assert advice_for(cause, FULL) == support
    assert advice_for(cause, replace(FULL, surface="slack")).fix == advice_for(
        cause, replace(FULL, surface="slack", reader="customer")).fix


def test_salesforce_side_causes_are_not_aprity_side() -> None:
    for cause in (C.CERTIFICATE_MISMATCH, C.USER_NOT_PREAUTHORIZED, C.METADATA_ACCESS_MISSING,
                  C.OAUTH_NOT_ENABLED_OR_SCOPES, C.IP_OR_LOGIN_HOURS):
        assert not advice_for(cause, FULL).aprity_side


def test_advice_never_asks_for_secrets_to_be_shared() -> None:
    for cause in C:
        text = steps(advice_for(cause, FULL)).lower()
        assert "send the private key" not in text and "paste the private key" not in text
        assert "consumer secret" not in text or "never the consumer secret" in text or "not the consumer secret" in text


def test_an_eca_already_on_its_my_domain_is_not_told_to_change_the_login_url() -> None:
    ctx = AdviceContext(login_url="https://acme.my.salesforce.com", my_domain_url="https://acme.my.salesforce.com",
                        environment="production", app_type="external_client_app", username="ops@acme.com")
    fix = advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix
    assert fix[0] == ("The login URL is already the org's My Domain (https://acme.my.salesforce.com), as it must be: "
                      "check the username.")
    assert not any(s.startswith("Set the login URL") for s in fix)
