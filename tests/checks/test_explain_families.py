"""checks.explain on the issue-18 corpus: proxy, TLS, key-file, login and wrapper failures from every client stack.

The suite fails on any empty answer, any high-confidence miss, any ``high`` on a text that cannot decide, and on
a wrong top-1 where the text decides. Scores (top-1, top-3) for the corpus and a held-out set:
bench/bench_explain.py.
"""

from __future__ import annotations

import pytest

from checks.explain.reader import explain
from checks.model import CauseId as C, Confidence
from checks.rules.families import recognise

from explain_corpus import CORPUS

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
NEGATIVE = [e for e in CORPUS if e["cause"] == "unknown" and not e["decidable"]]
READ = [e for e in CORPUS if e not in NEGATIVE]


def test_corpus_is_large_labelled_and_covers_stacks_and_families() -> None:
    assert len(CORPUS) >= 60
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    for e in CORPUS:
        assert set(e) == {"id", "stack", "family", "text", "cause", "decidable", "also"}, e["id"]
        assert C(e["cause"]) and all(C(a) for a in e["also"])  # every label is a cause this build knows
        assert e["decidable"] or e["also"] or e["cause"] == "unknown", e["id"]
    assert {"java/mule", "node/jsforce", "sf-cli", "python", "ruby", "php", "dotnet", "apex"} <= {
        e["stack"] for e in CORPUS}
    assert {"proxy", "tls", "key_file", "soap_rest_login", "wrapper", "generic"} <= {e["family"] for e in CORPUS}


@pytest.mark.parametrize("e", READ, ids=lambda e: e["id"])
def test_never_empty_never_confidently_wrong(e: dict) -> None:
    r = explain(e["text"])
    assert r.found and r.candidates, r  # an error was there: at least one reading
    top = r.candidates[0]
    if top.confidence == H:
        assert top.id == e["cause"], r.candidates  # no high-confidence miss
        assert e["decidable"], r.candidates  # high only where the text decides
    assert len([c for c in r.candidates if c.id != C.UNKNOWN]) <= 3
    assert all(c.id != C.UNKNOWN for c in r.candidates[:-1]), r.candidates  # "unknown" only after the readings
    if top.confidence != H or (len(r.candidates) > 1 and r.candidates[1].confidence == top.confidence):
        assert r.next_check, r  # an undecided reading says what separates it


@pytest.mark.parametrize("e", READ, ids=lambda e: e["id"])
def test_reading_matches_the_label(e: dict) -> None:
    r = explain(e["text"])
    ids = [c.id for c in r.candidates]
    if e["decidable"]:  # the text proves it: first, and high
        assert (ids[0], r.candidates[0].confidence) == (e["cause"], H), r.candidates
    else:  # shared clues: the labelled cause and its rivals are all on the list, none of them high
        assert e["cause"] in ids, r.candidates
    assert set(e["also"]) <= set(ids), r.candidates


@pytest.mark.parametrize("e", NEGATIVE, ids=lambda e: e["id"])
def test_negative_controls_name_no_cause(e: dict) -> None:
    r = explain(e["text"])
    assert not r.candidates or r.candidates[0].id == C.UNKNOWN, r.candidates


# Undecided readings: the generic answers get their real causes, low or medium, and the check that separates them.
GENERIC = [
    ('{"error":"invalid_grant","error_description":"authentication failure"}', C.NOT_JWT_FLOW, M),
    ('{"error":"invalid_request","error_description":"invalid_request"}', C.REQUEST_MALFORMED, M),
    ('{"error":"invalid_request","error_description":"HTTPS Required"}', C.REQUEST_MALFORMED, H),
    ('{"error":"unsupported_grant_type","error_description":"grant type not supported"}', C.REQUEST_MALFORMED, M),
    ("> Content-Type: application/json\n"
     '{"error":"unsupported_grant_type","error_description":"grant type not supported"}', C.REQUEST_MALFORMED, H),
    ('[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]',
     C.OAUTH_NOT_ENABLED_OR_SCOPES, M),
    ("INVALID_LOGIN: Invalid username, password, security token; or user locked out.", C.NOT_JWT_FLOW, H),
    ("invalid session id found in SessionHeader: Illegal Session", C.SESSION_EXPIRED, M),
]


@pytest.mark.parametrize(("text", "cause", "confidence"), GENERIC)
def test_generic_answers(text: str, cause: C, confidence: Confidence) -> None:
    r = explain(text)
    assert (r.candidates[0].id, r.candidates[0].confidence) == (cause, confidence), r.candidates
    if confidence != H:
        assert r.next_check, r


def test_rest_session_is_never_high_and_names_the_tie() -> None:
    r = explain('{"errorCode":"INVALID_SESSION_ID","message":"This session is not valid for use with the REST API"}')
    assert {c.id: c.confidence for c in r.candidates} == {C.OAUTH_NOT_ENABLED_OR_SCOPES: M,
                                                          C.REST_SESSION_INVALID: M}
    assert "Session Settings" in (r.next_check or "")


def test_next_check_in_json_and_slack_wording_has_no_command() -> None:
    r = explain("curl: (56) CONNECT tunnel failed, response 502")
    assert r.to_dict()["next_check"] == r.next_check and r.next_check and "curl" in r.next_check
    slack = r.next_check_for("slack") or ""
    assert slack and "curl" not in slack and "openssl" not in slack and "aprity-diagnose " not in slack


@pytest.mark.parametrize(("text", "family", "cause"), [
    # the same failure, worded by different libraries: read by what it is
    ("Go: Post \"https://login.salesforce.com/services/oauth2/token\": Proxy Authentication Required", "proxy",
     C.PROXY_AUTH_REQUIRED),
    ("java.io.IOException: Unable to tunnel through proxy. Proxy returns \"HTTP/1.1 407 Proxy Authentication "
     "Required\"", "proxy", C.PROXY_AUTH_REQUIRED),
    ("x509: certificate signed by unknown authority", "tls", C.TLS_INTERCEPTION),
    ("sun.security.validator.ValidatorException: PKIX path building failed", "tls", C.TLS_INTERCEPTION),
    ("TypeError: Expecting a PEM-formatted key.", "key_file", C.PRIVATE_KEY_INVALID),
    ("System.Security.Cryptography.CryptographicException: The specified network password is not correct.\n"
     "   at X509Certificate2..ctor(String fileName, String password) loading the pfx key", "key_file",
     C.LOCAL_KEY_PASSPHRASE),
])
def test_families_by_what_they_are(text: str, family: str, cause: C) -> None:
    found = recognise(text)
    assert found and found[0].family == family and found[0].cause == cause, found


def test_salesforce_answer_outranks_family_words_around_it() -> None:
    text = ("Our Connected App certificate expired last week, the new one is uploaded.\n"
            '{"error":"invalid_grant","error_description":"invalid assertion"}')
    assert explain(text).candidates[0].id == C.CERTIFICATE_MISMATCH
    wrapped = ("System.CalloutException: Unable to complete the JWT token exchange. Error: invalid_grant. "
               "Error description: user hasn't approved this consumer.")
    assert explain(wrapped).candidates[0].id == C.USER_NOT_PREAUTHORIZED


def test_wrapper_source_and_local_source() -> None:
    hidden = explain("org.mule.runtime.api.connection.ConnectionException: Unable to fetch the OAuth token")
    assert hidden.source == "hidden" and hidden.candidates[0].id == C.WRAPPER_HID_ANSWER
    local = explain("Error: ENOENT: no such file or directory, open '/run/secrets/salesforce.key'")
    assert local.source == "local" and local.candidates[0].id == C.LOCAL_KEY_UNREADABLE
    assert local.error is not None and "ENOENT" in local.error.error_description


def test_missing_ca_bundle_is_not_the_key_but_is_not_ignored() -> None:
    r = explain("Error: ENOENT: no such file or directory, open '/etc/ssl/corp-ca-bundle.pem'")
    assert r.found and [c.id for c in r.candidates] == [C.UNKNOWN] and r.next_check
    assert any("CA bundle" in c for c in r.clues) and r.source == "local"


@pytest.mark.parametrize(("text", "cause"), [
    # wordings seen after the corpus was written: the vocabulary rule reads them, at medium
    ("ssh-ed25519 key type not supported by RS256", C.PRIVATE_KEY_INVALID),
    ("AggregateException: One or more errors occurred. (The SSL connection could not be established, see inner "
     "exception.) (Authentication failed because the remote party has closed the transport stream.)", C.TLS_PROTOCOL),
])
def test_vocabulary_reads_new_wordings_at_medium(text: str, cause: C) -> None:
    r = explain(text)
    assert (r.candidates[0].id, r.candidates[0].confidence) == (cause, M) and r.next_check
