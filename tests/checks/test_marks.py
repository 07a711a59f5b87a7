"""Every step mark is evidence: a table per scenario, over the simulator through real loopback HTTP.

Rule: ✔ pass only when something proved it (Salesforce's answer, a probe, a local check);
✖ fail only when the diagnosis is sure (leading cause at high confidence) or the check itself
failed (unreadable key, certificate not made from the key, the token request refused);
⚠ warn for a possible cause; – skip for what was not reached.
"""

from __future__ import annotations

import pytest

from checks.model import CauseId, Confidence, Status
from checks.scenarios import SCENARIOS, by_name

# Columns, in STEP_ORDER: private_key, certificate, consumer_key, oauth_settings, digital_signatures,
# pre_authorization, username_login_url, clock, token_exchange, verification.
# P pass, F fail, W warn, - skip.
MARKS: dict[str, tuple[str, str]] = {
    "healthy": ("P P P P P P P P P P", "a token was issued and every read answered: all proven"),
    "cert-regenerated": ("P F - - W - - P F -", "the file on disk is not the key's (local check failed); signatures "
                                                "off stays possible; the user was never reached"),
    "cert-mismatch": ("P W - - W - - P F -", "'invalid assertion' twice: another certificate or none, tied"),
    "signatures-off": ("P W - - W - - P F -", "Salesforce answers the same as for another certificate: tied"),
    "key-typo": ("P P F W - - W P F -", "85 characters expected: sure; OAuth off and a wrong host stay possible"),
    "key-other-app": ("P P W W - - W P F -", "unknown key, shape fine: possible, not sure"),
    "no-api-scope": ("P P P F P P P P P F", "token without api: OAuth scopes sure, verification refused"),
    "not-preauthorized": ("P P P P P W W P F -", "key and signature accepted; unapproved user and unknown username "
                                                 "are answered identically: both warn"),
    "username-typo": ("P P P P P W W P F -", "same answer as an unapproved user: the tie, not a ranking"),
    "not-admin-approved": ("P P P P P F - P F -", "invalid_app_access names pre-authorization on its own"),
    "sandbox-on-login": ("P P P P P P F P F -", "the probe logged in at test.salesforce.com: the user is approved "
                                                "there, the login URL is wrong for sure"),
    "eca-generic-host": ("P P - - - - F P F -", "app_not_found on a generic host: the login URL for sure"),
    "clock-behind": ("P P P P P - - F F -", "Salesforce says expired; the certificate's dates are judged by "
                                            "Salesforce's clock, so the slow local one does not make it look "
                                            "not yet valid"),
    "inactive-user": ("P P P P P - - P F -", "user state refused before approval was looked at"),
    "ip-restricted": ("P P P P P - - P F -", "refused on IP before approval was looked at"),
    "rate-limited": ("P P P P P - - P F -", "refused on rate before approval was looked at"),
    "no-metadata": ("P P P P P P P P P F", "login proven; describeMetadata refused"),
    "bad-key": ("F - - - - - - - - -", "nothing can be signed: the certificate cannot even be compared"),
    "maintenance": ("P P - - - - - P F -", "an HTML page: nothing about the org proven, Date header read"),
    "my-domain-typo": ("P P - - - - F - F -", "login.salesforce.com resolves, this host does not: sure; no Date "
                                              "header, so the clock is not judged"),
    "stale-cert-file": ("P W P P P P P P P P", "the login works, the file on disk is stale: still ✅ plus a warning"),
    "cert-expiring": ("P W P P P P P P P P", "works, but the certificate expires within 30 days"),
    # External Client Apps through their My Domain: the same marks as the Connected App rows above.
    "eca-healthy": ("P P P P P P P P P P", "My Domain as login URL and audience, permission set let in: all proven"),
    "eca-cert-regenerated": ("P F - - W - - P F -", "the file on disk is not the key's; JWT flow off stays possible"),
    "eca-cert-mismatch": ("P W - - W - - P F -", "another certificate or none: tied, as for a Connected App"),
    "eca-jwt-off": ("P W - - W - - P F -", "\"Enable JWT Bearer Flow\" off is answered as another certificate"),
    "eca-key-typo": ("P P F W - - W P F -", "the key's shape is wrong: sure"),
    "eca-no-api-scope": ("P P P F P P P P P F", "token without api"),
    "eca-closed": ("P P P P P W W P F -", "closed by default: 'user hasn't approved this consumer', tied with an "
                                         "unknown username"),
    "eca-not-admin-approved": ("P P P P P F - P F -", "invalid_app_access names pre-authorization on its own"),
    "eca-sandbox-generic": ("P P - - - - F P F -", "app_not_found on test.salesforce.com: the login URL for sure"),
    "eca-clock-behind": ("P P P P P - - F F -", "Salesforce says expired"),
    "eca-inactive-user": ("P P P P P - - P F -", "user state refused before approval was looked at"),
    "eca-ip-restricted": ("P P P P P - - P F -", "refused on IP before approval was looked at"),
    "eca-rate-limited": ("P P P P P - - P F -", "refused on rate before approval was looked at"),
    "eca-no-metadata": ("P P P P P P P P P F", "login proven; describeMetadata refused"),
    "eca-bad-key": ("F - - - - - - - - -", "nothing can be signed"),
    "eca-username-typo": ("P P P P P W W P F -", "same answer as an unapproved user: the tie"),
}
LETTER = {Status.PASS: "P", Status.FAIL: "F", Status.WARN: "W", Status.SKIP: "-"}


def test_every_scenario_has_a_marks_row() -> None:
    assert set(MARKS) == {s.name for s in SCENARIOS}


@pytest.mark.parametrize("name", sorted(MARKS))
def test_marks_table(name, world, make_engine) -> None:
    scenario = by_name(name)
    d = make_engine(scenario.clock_offset).diagnose(scenario.build(world))
    got = " ".join(LETTER[s.status] for s in d.steps)
    expected, why = MARKS[name]
    assert got == expected, f"{name}: {why}\n" + "\n".join(f"  {s.id}: {s.status} — {s.finding}" for s in d.steps)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fail_only_when_sure(scenario, world, make_engine) -> None:
    """A cause's own step fails only when that cause leads at high confidence and is not tied."""
    from checks.rules.steps import OWN_STEP

    d = make_engine(scenario.clock_offset).diagnose(scenario.build(world))
    top = d.cause
    for cause, step_id in OWN_STEP.items():
        step = d.step(step_id)
        if step.status == Status.FAIL and cause not in (CauseId.CERTIFICATE_MISMATCH, CauseId.PRIVATE_KEY_INVALID):
            assert top is not None and top.id == cause and top.confidence == Confidence.HIGH and not d.tied, \
                (step_id, d.candidates)


def test_tie_names_both_and_the_separating_check(world, make_engine) -> None:
    d = make_engine().diagnose(by_name("username-typo").build(world))
    assert [c.id for c in d.tied] == [CauseId.USER_NOT_PREAUTHORIZED, CauseId.USERNAME_OR_LOGIN_URL]
    assert {c.confidence for c in d.tied} == {Confidence.MEDIUM}
    user = d.connection.username
    assert user.startswith("integraton@") and d.separating_check == f"Setup → Users: does {user} exist?"
    assert any(d.separating_check in e for e in d.evidence)
    from bot.terminal.render import diagnosis_text

    text = diagnosis_text(d)
    assert "Tied" in text and "not pre-authorized" in text and "Wrong username" in text
    assert f"does {user} exist?" in text


def test_no_oauth_doubt_after_key_and_signature_accepted(world, make_engine) -> None:
    d = make_engine().diagnose(by_name("not-preauthorized").build(world))
    assert CauseId.OAUTH_NOT_ENABLED_OR_SCOPES not in {c.id for c in d.candidates}
    from bot.terminal.render import diagnosis_text

    assert "OAuth may be off" not in diagnosis_text(d) and "OAuth settings off" not in diagnosis_text(d)


def test_stale_file_and_expiring_certificate_warn_on_a_working_connection(world, make_engine) -> None:
    stale = make_engine().diagnose(by_name("stale-cert-file").build(world))
    assert stale.ok and "stale" in stale.step("certificate").finding
    expiring = make_engine().diagnose(by_name("cert-expiring").build(world))
    step = expiring.step("certificate")
    assert expiring.ok and step.status == Status.WARN and "expires on 20" in step.finding
    assert expiring.needs_certificate and expiring.certificate.source == "generated"  # a successor to upload
    assert not stale.needs_certificate  # the app already holds the right one


def test_fingerprint_is_the_key_matching_certificate(world, make_engine) -> None:
    from checks.crypto import keys

    d = make_engine().diagnose(by_name("cert-mismatch").build(world))  # no certificate file: made from the key
    cert = keys.parse_certificate(d.certificate.pem)
    assert keys.public_key_matches(world.good_key, cert)
    assert d.certificate.fingerprint == keys.fingerprint_sha256(cert) and d.certificate.source == "generated"
    again = make_engine().diagnose(by_name("cert-mismatch").build(world))
    assert again.certificate.fingerprint == d.certificate.fingerprint  # same day, same bytes
    assert b"PRIVATE" not in d.certificate.pem


def test_slow_local_clock_asks_for_no_new_certificate(world, make_engine) -> None:
    """The fix is the clock: no certificate upload, and the certificate step does not call it 'not valid yet'."""
    scenario = by_name("clock-behind")
    d = make_engine(scenario.clock_offset).diagnose(scenario.build(world))
    assert d.cause.id == CauseId.CLOCK_SKEW_OR_EXPIRY and not d.needs_certificate
    assert "not valid yet" not in d.step("certificate").finding


@pytest.mark.parametrize("name,env", [("username-typo", None), ("my-domain-typo", None), ("cert-mismatch", None),
                                      ("maintenance", None), ("healthy", "production"),
                                      ("sandbox-on-login", "sandbox")])
def test_org_environment_only_when_proven(world, make_engine, name, env) -> None:
    """A host that refused proves nothing about the org: null, while connection.environment keeps the URL's."""
    d = make_engine().diagnose(by_name(name).build(world))
    out = d.to_dict()
    assert out["org_environment"] == env and out["connection"]["environment"] == "production"
