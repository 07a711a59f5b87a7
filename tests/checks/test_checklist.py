"""The customer's checklist: what the admin needs, nothing internal, nothing for aprity-side causes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checks.checklist import WAIT, customer_checklist, is_aprity_side
from checks.model import (Candidate, CauseId, CertificateInfo, Confidence, ConnectionSummary, Diagnosis, OrgInfo,
                          Status, StepId, StepResult, TokenError)
from checks.rules.advice import advice_for
from checks.rules.advice_model import Advice

CONN = ConnectionSummary(name="acme-prod-internal", username="integration@acme.com",
                         login_url="https://acme.my.salesforce.com", consumer_key="3MVG9" + "k" * 80,
                         environment="production", connected_app="aprity Sync", org_id="00D5g000000AcmeEAA")
CERT = CertificateInfo(pem=b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                       fingerprint="AB:CD:EF:01", not_after="2028-01-01", source="generated")
ERROR = TokenError(400, "invalid_grant", "invalid assertion")


def failing(*causes: CauseId, confidence: Confidence = Confidence.HIGH, separating: str | None = None,
            **kw) -> Diagnosis:
    steps = [StepResult(StepId.CERTIFICATE, Status.FAIL, "fingerprint AB:CD:EF:01 differs",
                        detail=("probe: bogus audience answered 'audience is invalid'",))]
    return Diagnosis(ok=False, connection=CONN, steps=steps, candidates=[Candidate(c, confidence) for c in causes],
                     error=ERROR, evidence=["Salesforce answered invalid_grant to the probe"],
                     separating_check=separating, certificate=CERT, **kw)


def test_certificate_checklist_names_org_app_steps_wait_and_send_back() -> None:
    d = failing(CauseId.CERTIFICATE_MISMATCH, needs_certificate=True,
                org=OrgInfo(id="00D5g000000AcmeEAA", name="Acme Corp", is_sandbox=False))
    cl = customer_checklist(d, attached=True)
    text = cl.text
    assert text is not None and cl.needs_certificate
    assert "Org: Acme Corp (Org ID 00D5g000000AcmeEAA), production" in text
    assert "App: aprity Sync" in text
    assert "does not match the key aprity signs with" in text  # what is wrong, one sentence
    # the full Setup path, for the screens the org may have: an External Client App first, then the older kind
    assert ("Setup > External Client App Manager (Quick Find: External Client App) > aprity Sync ▼ > Edit Settings"
            in text)
    assert "For an older Connected App: Setup > App Manager > aprity Sync ▼ > Edit" in text
    assert "aprity.crt, attached to this message" in text
    assert WAIT in text
    assert "the exact error Test Connection shows" in text and "Consumer Key of the app aprity Sync" in text
    assert "Consumer Secret never" in text


def test_terminal_names_the_certificate_instead_of_attaching_it() -> None:
    cl = customer_checklist(failing(CauseId.DIGITAL_SIGNATURES_DISABLED, needs_certificate=True), attached=False)
    assert cl.text is not None
    assert "aprity.crt, sent to you with this checklist" in cl.text and "attached to this message" not in cl.text


@pytest.mark.parametrize("cause", list(CauseId))
def test_nothing_internal_and_no_secret_reaches_the_customer(cause: CauseId) -> None:
    d = failing(cause, needs_certificate=True, separating="Setup → Users: does integration@acme.com exist?")
    text = customer_checklist(d, attached=True).text or ""
    for internal in ("acme-prod-internal", "fingerprint", "AB:CD:EF:01", "probe", "invalid_grant",
                     "I fixed it", "retest", "Escalate", "aprity-diagnose", "session", "thread", "<@U",
                     "BEGIN", "openssl", "private.key", "3MVG9k"):
        assert internal not in text, (cause, internal)


@pytest.mark.parametrize("cause", [CauseId.CONSUMER_KEY_MISMATCH, CauseId.USERNAME_OR_LOGIN_URL,
                                   CauseId.CLOCK_SKEW_OR_EXPIRY, CauseId.PRIVATE_KEY_INVALID])
def test_causes_fixed_on_aprity_side_give_no_checklist(cause: CauseId) -> None:
    assert advice_for(cause).aprity_side
    d = failing(cause)
    cl = customer_checklist(d, attached=True)
    assert cl.text is None and cl.aprity_side and "aprity's side" in cl.reason
    assert is_aprity_side(d)


@pytest.mark.parametrize("cause", [CauseId.CERTIFICATE_MISMATCH, CauseId.DIGITAL_SIGNATURES_DISABLED,
                                   CauseId.OAUTH_NOT_ENABLED_OR_SCOPES, CauseId.USER_NOT_PREAUTHORIZED,
                                   CauseId.USER_OR_ORG_INACTIVE, CauseId.IP_OR_LOGIN_HOURS,
                                   CauseId.METADATA_ACCESS_MISSING])
def test_causes_in_the_customers_org_are_not_aprity_side(cause: CauseId) -> None:
    assert not advice_for(cause).aprity_side
    assert customer_checklist(failing(cause), attached=True).text is not None


def test_working_or_unreachable_has_nothing_to_send() -> None:
    ok = Diagnosis(ok=True, connection=CONN, steps=[])
    assert customer_checklist(ok, attached=True).text is None
    assert customer_checklist(failing(CauseId.SALESFORCE_UNREACHABLE), attached=True).text is None


def test_a_tie_gives_the_separating_check_then_both_fixes_in_order() -> None:
    d = failing(CauseId.CERTIFICATE_MISMATCH, CauseId.DIGITAL_SIGNATURES_DISABLED, confidence=Confidence.MEDIUM,
                separating="Setup → App Manager → aprity Sync → Edit: is \"Use digital signatures\" checked?",
                needs_certificate=True)
    text = customer_checklist(d, attached=True).text or ""
    check = text.index("First, the check that tells them apart\nSetup > App Manager > aprity Sync > Edit")
    fix1, fix2 = text.index("Fix 1, for: The certificate"), text.index("Fix 2, for: The app aprity Sync has no")
    assert check < fix1 < fix2


def test_a_tie_with_an_aprity_side_cause_asks_the_admin_to_report_back() -> None:
    d = failing(CauseId.USER_NOT_PREAUTHORIZED, CauseId.USERNAME_OR_LOGIN_URL, confidence=Confidence.MEDIUM,
                separating="Setup → Users: does integration@acme.com exist?")
    cl = customer_checklist(d, attached=True)
    text = cl.text or ""
    assert not cl.aprity_side and "Setup > Users: does integration@acme.com exist?" in text
    fix2 = text[text.index("Fix 2"):]
    assert "Nothing to change in your org" in fix2.split("\n\n")[0]


def test_links_into_the_org_only_on_its_own_my_domain() -> None:
    def advise(cause, ctx):
        a = advice_for(cause, ctx)
        return replace(a, links=(("App Manager", "https://acme.my.salesforce.com/lightning/setup/NavigationMenus/home"),
                                 ("Guessed", "https://evil.example.com/lightning/setup/x/home")))
    text = customer_checklist(failing(CauseId.OAUTH_NOT_ENABLED_OR_SCOPES), attached=True, advise=advise).text or ""
    assert "- App Manager: https://acme.my.salesforce.com/lightning/setup/NavigationMenus/home" in text
    assert "evil.example.com" not in text


def test_app_kind_is_named_when_known() -> None:
    text = customer_checklist(failing(CauseId.OAUTH_NOT_ENABLED_OR_SCOPES), attached=True,
                              app_type="external_client_app").text or ""
    assert "App: aprity Sync (External Client App)" in text


def test_advice_defaults_keep_the_shared_contract() -> None:
    a = Advice(verify=("v",), fix=("f",))
    assert a.links == () and a.aprity_side is False
