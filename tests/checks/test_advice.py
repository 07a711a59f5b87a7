"""checks.rules.advice: every cause has concrete verify and fix steps, with the caller's values filled in."""

from __future__ import annotations

import re

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
CONTEXTS = [AdviceContext(), FULL, AdviceContext(environment="sandbox", username="ops@acme.com.uat")]


def steps(advice: Advice) -> str:
    return "\n".join(advice.verify + advice.fix)


@pytest.mark.parametrize("cause", list(C))
@pytest.mark.parametrize("ctx", CONTEXTS, ids=["default", "full", "sandbox"])
def test_every_cause_has_short_concrete_steps(cause: C, ctx: AdviceContext) -> None:
    advice = advice_for(cause, ctx)
    assert advice.verify and advice.fix
    for step in advice.verify + advice.fix:
        assert isinstance(step, str) and step.strip()
        assert len(step) <= 300, step
        assert not re.search(r"(?<!%)\{\w*\}|None", step), step  # no unfilled placeholder or missing value
    assert len(set(advice.verify)) == len(advice.verify) and len(set(advice.fix)) == len(advice.fix)


def test_default_context_and_string_cause() -> None:
    assert advice_for(C.CERTIFICATE_MISMATCH) == advice_for("certificate_mismatch")  # type: ignore[arg-type]
    assert "Setup > App Manager > aprity > Edit" in steps(advice_for(C.CERTIFICATE_MISMATCH))


def test_app_name_username_and_connection_are_substituted() -> None:
    cert = steps(advice_for(C.CERTIFICATE_MISMATCH, FULL))
    assert "Setup > App Manager > Aprity Scanner > Edit" in cert
    assert "`aprity-diagnose certificate --connection acme-prod`" in cert
    pre = steps(advice_for(C.USER_NOT_PREAUTHORIZED, FULL))
    assert "Setup > Connected Apps > Manage Connected Apps > Aprity Scanner" in pre
    assert "ops@acme.com's profile" in pre
    assert "ops@acme.com" in steps(advice_for(C.IP_OR_LOGIN_HOURS, FULL))
    assert "Setup > App Manager > Aprity Scanner > View" in steps(advice_for(C.CONSUMER_KEY_MISMATCH, FULL))


def test_without_username_the_steps_say_integration_user() -> None:
    text = steps(advice_for(C.USER_NOT_PREAUTHORIZED))
    assert "the integration user's profile" in text


@pytest.mark.parametrize(
    ("ctx", "expected"),
    [
        (AdviceContext(environment="sandbox"), "https://test.salesforce.com"),
        (AdviceContext(environment="production"), "https://login.salesforce.com"),
        (AdviceContext(environment="sandbox", my_domain_url="https://acme--uat.sandbox.my.salesforce.com"),
         "https://acme--uat.sandbox.my.salesforce.com"),
        # a production My Domain is no answer for a sandbox
        (AdviceContext(environment="sandbox", my_domain_url="https://acme.my.salesforce.com"),
         "https://test.salesforce.com"),
        (AdviceContext(), None),
    ],
)
def test_right_login_url(ctx: AdviceContext, expected: str | None) -> None:
    assert right_login_url(ctx) == expected


def test_login_url_fix_names_the_right_url() -> None:
    sandbox = advice_for(C.USERNAME_OR_LOGIN_URL, AdviceContext(environment="sandbox"))
    assert any("https://test.salesforce.com" in s for s in sandbox.fix)
    ctx = AdviceContext(environment="production", login_url="https://login.salesforce.com",
                        my_domain_url="https://acme.my.salesforce.com")
    fix = advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix
    assert ("Change the login URL of the connection from https://login.salesforce.com "
            "to https://acme.my.salesforce.com.") in fix
    unknown = "\n".join(advice_for(C.USERNAME_OR_LOGIN_URL).fix)
    assert "https://login.salesforce.com" in unknown and "https://test.salesforce.com" in unknown


def test_sandbox_username_on_production_url_is_called_out() -> None:
    ctx = AdviceContext(username="ops@acme.com.uat", login_url="https://login.salesforce.com", environment="production")
    fix = advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix
    assert fix[0].startswith("ops@acme.com.uat ends in .uat")
    assert "https://test.salesforce.com" in fix[0]
    assert not any(s.startswith(("Keep", "Set the login URL")) for s in fix)


def test_production_username_on_sandbox_url_is_called_out() -> None:
    ctx = AdviceContext(username="ops@acme.com", login_url="https://test.salesforce.com", environment="sandbox")
    assert "no sandbox suffix" in advice_for(C.USERNAME_OR_LOGIN_URL, ctx).fix[0]


def test_inactive_check_uses_the_login_url() -> None:
    sandbox = AdviceContext(environment="sandbox")
    assert "https://test.salesforce.com" in steps(advice_for(C.USER_OR_ORG_INACTIVE, sandbox))


@pytest.mark.parametrize(
    ("cause", "facts"),
    [
        (C.CERTIFICATE_MISMATCH, ["Use digital signatures", "aprity-diagnose certificate --connection",
                                  "2–10 minutes"]),
        (C.CONSUMER_KEY_MISMATCH, ["Consumer Key", "never the Consumer Secret", "2–10 minutes"]),
        (C.OAUTH_NOT_ENABLED_OR_SCOPES, ["Enable OAuth Settings", "`api`", "`refresh_token, offline_access`",
                                         "INVALID_SESSION_ID", "2–10 minutes"]),
        (C.DIGITAL_SIGNATURES_DISABLED, ["Use digital signatures", "2–10 minutes"]),
        (C.USER_NOT_PREAUTHORIZED, ["Admin approved users are pre-authorized", "Profiles or Permission Sets",
                                    "Failed: Not approved for access", "Salesforce API Integration", "2–10 minutes"]),
        (C.USERNAME_OR_LOGIN_URL, ["https://test.salesforce.com", "sandbox name as a suffix", "External Client App",
                                   "My Domain URL must be both", "lightning.force.com"]),
        (C.CLOCK_SKEW_OR_EXPIRY, ["NTP", "seconds", "milliseconds"]),
        (C.USER_OR_ORG_INACTIVE, ["Active", "frozen", "Setup > Company Information"]),
        (C.IP_OR_LOGIN_HOURS, ["Restricted IP", "Login IP Ranges", "Relax IP restrictions", "always enforces"]),
        (C.LOGIN_RATE_EXCEEDED, ["3,600", "Cache the access token"]),
        (C.METADATA_ACCESS_MISSING, ["Modify Metadata Through Metadata API Functions", "Modify All Data"]),
        (C.PRIVATE_KEY_INVALID, ["BEGIN PRIVATE KEY", "RSA"]),
        (C.SALESFORCE_UNREACHABLE, ["unable to get local issuer certificate", "My Domain"]),
        (C.UNKNOWN, ["exact error message", "Setup > Company Information", "never the Consumer Secret"]),
    ],
)
def test_reference_facts_are_present(cause: C, facts: list[str]) -> None:
    text = steps(advice_for(cause))
    for fact in facts:
        assert fact in text, (cause, fact)


def test_advice_never_asks_for_secrets_to_be_shared() -> None:
    for cause in C:
        text = steps(advice_for(cause, FULL)).lower()
        assert "send the private key" not in text and "paste the private key" not in text
        assert "consumer secret" not in text or "never the consumer secret" in text or "not the consumer secret" in text
