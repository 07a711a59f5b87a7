"""checks.explain.reader on unsafe input: secrets are redacted and warned about; garbage and huge logs are read
in linear time."""

from __future__ import annotations

import json
import random
import string
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.explain.reader import Explanation, explain, redact
from checks.model import CauseId as C

from pasted_errors import jsn, mule

IA = jsn("invalid_grant", "invalid assertion")


# --------------------------------------------------------------- secrets

def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _everything(r: Explanation) -> str:
    return repr(r) + json.dumps(r.to_dict()) + "".join(r.clues + r.warnings)


def test_private_key_is_redacted_and_warned() -> None:
    pem = _pem()
    body = pem.splitlines()[5]
    r = explain(f"here is our key:\n{pem}\nand the error {jsn('invalid_grant', 'invalid assertion')}")
    assert r.found and r.error is not None and r.error.error_description == "invalid assertion"
    assert body not in _everything(r) and "BEGIN PRIVATE KEY" not in _everything(r)
    assert any("private key" in w for w in r.warnings)


def test_private_key_inside_json_string_and_without_header() -> None:
    pem = _pem()
    escaped = json.dumps({"private_key": pem, "error": "invalid_grant", "error_description": "invalid assertion"})
    bare = "".join(pem.splitlines()[1:-1])
    truncated = "\n".join(pem.splitlines()[:8])  # no END line: still a key
    for text in (escaped, f"key={bare}\n{IA}", f"{truncated}\n{IA}"):
        r = explain(text)
        assert r.warnings and bare[:64] not in _everything(r) and pem.splitlines()[4] not in _everything(r)
        assert r.error is not None and r.error.error_description == "invalid assertion"


def _key(fmt: serialization.PrivateFormat, encrypted: bool = False) -> list[str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    enc = serialization.BestAvailableEncryption(b"pw") if encrypted else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc).decode().splitlines()


@pytest.mark.parametrize("joiner", ["\n", "\\n", " ", "\r\n"])  # plain, JSON-escaped, folded by chat, Windows
@pytest.mark.parametrize(("fmt", "encrypted", "label"), [
    (serialization.PrivateFormat.OpenSSH, False, "OPENSSH"),
    (serialization.PrivateFormat.TraditionalOpenSSL, True, "RSA"),
    (serialization.PrivateFormat.PKCS8, False, "PKCS8"),
])
def test_truncated_key_loses_its_body_but_keeps_its_label_and_the_prose_after_it(
        joiner: str, fmt: serialization.PrivateFormat, encrypted: bool, label: str) -> None:
    lines = _key(fmt, encrypted)
    body = [ln for ln in lines[1:-1] if ln and not ln.startswith(("Proc-Type", "DEK-Info"))]
    text = joiner.join(lines[:-1]) + joiner + "TypeError: the key could not be read, java.security failed"
    r = explain(text)
    everything = _everything(r)
    assert not any(ln in everything or ln[:16] in everything for ln in body)
    assert any("private key" in w for w in r.warnings)
    red = redact(text)
    assert f"[REDACTED {label} PRIVATE KEY]" in red.text and label in red.key_labels
    assert red.text.endswith("TypeError: the key could not be read, java.security failed")  # no word swallowed
    if encrypted:
        assert "ENCRYPTED" in red.key_labels


def test_openssh_key_is_read_as_the_wrong_format_without_echoing_it() -> None:
    lines = _key(serialization.PrivateFormat.OpenSSH)
    r = explain("\n".join(lines) + "\nError: error:1E08010C:DECODER routines::unsupported")
    assert r.candidates[0].id == C.PRIVATE_KEY_INVALID and r.candidates[0].confidence == "high"
    assert lines[2] not in _everything(r) and any("private key" in w for w in r.warnings)
    assert any("OpenSSH" in c for c in r.clues)


def test_access_token_is_redacted() -> None:
    token = "00D5g000004XyZa!AQ0AQH7.pRx_kYb9VdVx3K4s2nG9fTq1ZcE8wLmN6aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
    r = explain(f'{{"access_token":"{token}","instance_url":"https://acme.my.salesforce.com"}}\n'
                f"then REST said: [{{\"errorCode\":\"INVALID_SESSION_ID\",\"message\":\"This session is not valid "
                f"for use with the REST API {token}\"}}]")
    assert token not in _everything(r) and token.split("!")[1] not in _everything(r)
    assert any("access token" in w for w in r.warnings)
    assert r.candidates[0].id == C.OAUTH_NOT_ENABLED_OR_SCOPES
    encoded = token.replace("!", "%21")
    r = explain(f"GET /services/data/v62.0/sobjects?sid={encoded}\n" + jsn("invalid_grant", "invalid assertion"))
    assert encoded.split("%21")[1] not in _everything(r) and r.warnings


@pytest.mark.parametrize("template", [
    "Consumer Secret: {s}\n{err}",
    "consumer_secret={s}&grant_type=password\n{err}",
    '{{"client_secret": "{s}"}}\n{err}',
    "Consumer Secret\n{s}\n{err}",
    '{{"error":"invalid_client","error_description":"bad client_secret={s}"}}',
])
def test_consumer_secret_is_redacted_everywhere(template: str) -> None:
    secret = "8A3F0C2B7E6D5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B"
    r = explain(template.format(s=secret, err=jsn("invalid_client_id", "client identifier invalid")))
    assert r.found
    assert secret not in _everything(r) and secret[:20] not in _everything(r)
    assert any("consumer secret" in w for w in r.warnings)


def test_no_warning_for_clean_text() -> None:
    assert explain(jsn("invalid_grant", "invalid assertion")).warnings == []
    assert explain("the consumer secret is not used by the JWT flow").warnings == []


# ------------------------------------------------------ garbage and size

def _random(seed: int, alphabet: str | None) -> str | bytes:
    rnd = random.Random(seed)
    if alphabet is None:
        return rnd.randbytes(1_000_000)
    return "".join(rnd.choices(alphabet, k=1_000_000))


BIG = {
    "random-printable": lambda: _random(7, string.printable),
    "random-bytes": lambda: _random(11, None),
    "random-latin1": lambda: _random(11, None).decode("latin-1"),  # type: ignore[union-attr]
    "pem-begins": lambda: ("-----BEGIN " + "PRIVATE" + " KEY-----") * 40_000,
    "cli-blocks": lambda: "Errors encountered:\n" * 50_000,
    "one-letter": lambda: "a" * 1_000_000,
    "at-signs": lambda: "x@" * 500_000,
    "deep-host": lambda: "https://" + "a." * 400_000,
    "backslashes": lambda: '"error_description":"' + "\\" * 1_000_000,
    "status-lines": lambda: "HTTP/1.1 400 Bad Request\n" * 40_000,
    # the family readers' words, over and over (issue 18)
    "family-words": lambda: "proxy tunnel 407 ssl tls cert handshake key pem der rsa password failed\n" * 15_000,
    "key-paths": lambda: "ENOENT: no such file or directory, open '/a/" + "b/" * 400_000 + "k.pem'",
    "one-line-nouns": lambda: "certificate key proxy " * 90_000,
}


def _cpu_seconds(text: str | bytes) -> tuple[float, Explanation]:
    """This thread's CPU time for one explain: what other processes on the machine do does not count."""
    start = time.thread_time()
    result = explain(text)
    return time.thread_time() - start, result


# Reading is linear: 4× the text takes ~4× the time (3.3-4.5 measured). A pattern that backtracks
# on some input would take ~16× (quadratic) or never end (the timeout catches that).
LINEAR = 8


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(BIG))
def test_big_or_garbage_input_is_read_in_linear_time(name: str) -> None:
    text = BIG[name]()  # 1 MB; an eighth of it against a thirty-second keeps the suite's CPU time down
    small, _ = _cpu_seconds(text[: len(text) // 32])
    big, result = _cpu_seconds(text[: len(text) // 8])
    assert isinstance(result, Explanation)
    assert big < LINEAR * small + 0.05, f"{big:.2f} s for 125 kB, {small:.2f} s for 31 kB"


@pytest.mark.timeout(60)
def test_error_at_the_end_of_a_big_log_is_found() -> None:
    line = "2026-11-03 INFO scanning object Account\n"
    error = mule(jsn("invalid_grant", "ip restricted"))
    quarter, _ = _cpu_seconds(line * 6_250 + error)
    whole, r = _cpu_seconds(line * 25_000 + error)
    assert r.found and r.candidates[0].id == C.IP_OR_LOGIN_HOURS
    assert whole < LINEAR * quarter + 0.05, f"{whole:.2f} s for 25,000 lines, {quarter:.2f} s for 6,250"
