"""checks.crypto.keys: loading keys and certificates, and explaining the ones that cannot be used."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from checks.crypto import keys
from checks.crypto.keys import KeyProblem

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
FP = re.compile(r"^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$")
NO_PW = ser.NoEncryption()


@pytest.fixture(scope="session")
def k() -> dict[str, object]:
    """Every key and encoding the cases need, generated once per run."""
    key = keys.generate_private_key()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return {
        "key": key,
        "other": keys.generate_private_key(),
        "small": small,
        "ec": ec_key,
        "ed": ed_key,
        "pem8": keys.private_key_pem(key),
        "pem1": key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, NO_PW),
        "der8": key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, NO_PW),
        "der1": key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.TraditionalOpenSSL, NO_PW),
        "cert": keys.self_signed_certificate(key, now=NOW),
    }


def _pem_lines(pem: bytes) -> list[bytes]:
    return pem.strip().split(b"\n")


def _csr(k: dict) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(k["key"], hashes.SHA256())
    return csr.public_bytes(ser.Encoding.PEM)


def _san_cert(key: rsa.RSAPrivateKey, names: int) -> x509.Certificate:
    """A certificate padded with many DNS names, the realistic way one grows past 4 KB."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aprity")])
    san = x509.SubjectAlternativeName([x509.DNSName(f"host{i:04d}.example.com") for i in range(names)])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + timedelta(days=365))
        .add_extension(san, critical=False).sign(key, hashes.SHA256())
    )


_enc = ser.BestAvailableEncryption(b"correct horse")

# name -> (build the input from the fixtures, expected code)
CASES: dict[str, tuple[Callable[[dict], bytes | str], str]] = {
    "empty": (lambda k: b"", "empty"),
    "whitespace_only": (lambda k: " \n\t\r\n", "empty"),
    "encrypted_pkcs8": (lambda k: k["key"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, _enc), "encrypted"),
    "encrypted_pkcs1": (
        lambda k: k["key"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, _enc), "encrypted"),
    "encrypted_der": (lambda k: k["key"].private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, _enc), "encrypted"),
    "base64_wrapped": (lambda k: base64.b64encode(k["pem8"]), "base64_wrapped"),
    "base64_wrapped_76_cols": (lambda k: base64.encodebytes(k["pem1"]), "base64_wrapped"),
    "base64_wrapped_quoted": (lambda k: '"' + base64.b64encode(k["pem8"]).decode() + '"\n', "base64_wrapped"),
    "one_line": (lambda k: k["pem8"].replace(b"\n", b""), "newlines_lost"),
    "breaks_as_spaces": (lambda k: k["pem1"].replace(b"\n", b" "), "newlines_lost"),
    "body_joined_by_spaces": (
        lambda k: b"\n".join([_pem_lines(k["pem8"])[0], b" ".join(_pem_lines(k["pem8"])[1:-1]),
                              _pem_lines(k["pem8"])[-1]]), "newlines_lost"),
    "header_glued_to_body": (lambda k: k["pem8"].replace(b"-----\n", b"-----", 1), "newlines_lost"),
    "escaped_newlines": (lambda k: k["pem8"].replace(b"\n", b"\\n"), "escaped_newlines"),
    "escaped_crlf": (lambda k: k["pem1"].replace(b"\n", b"\\r\\n"), "escaped_newlines"),
    "json_string": (lambda k: json.dumps(k["pem8"].decode()), "escaped_newlines"),
    "body_without_armour": (lambda k: b"\n".join(_pem_lines(k["pem8"])[1:-1]), "no_start_line"),
    "plain_text": (lambda k: "this is not a key\n", "no_start_line"),
    "four_dashes": (lambda k: k["pem8"].replace(b"-----BEGIN", b"----BEGIN"), "no_start_line"),
    "text_starting_with_zero": (lambda k: b"0123 not a key", "no_start_line"),
    "public_key_pem": (
        lambda k: k["key"].public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo),
        "public_key_given"),
    "public_key_pkcs1": (
        lambda k: k["key"].public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.PKCS1), "public_key_given"),
    "public_key_der": (
        lambda k: k["key"].public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo),
        "public_key_given"),
    "certificate_pem": (lambda k: k["cert"], "certificate_given"),
    "certificate_der": (
        lambda k: x509.load_pem_x509_certificate(k["cert"]).public_bytes(ser.Encoding.DER), "certificate_given"),
    "ec_pkcs8": (lambda k: k["ec"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, NO_PW), "not_rsa"),
    "ec_traditional": (
        lambda k: k["ec"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, NO_PW), "not_rsa"),
    "ec_der": (lambda k: k["ec"].private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, NO_PW), "not_rsa"),
    "ed25519": (lambda k: k["ed"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, NO_PW), "not_rsa"),
    "ed25519_openssh": (
        lambda k: k["ed"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, NO_PW), "not_rsa"),
    "rsa_1024": (lambda k: keys.private_key_pem(k["small"]), "too_small"),
    "rsa_1024_der": (
        lambda k: k["small"].private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, NO_PW), "too_small"),
    "line_missing": (lambda k: b"\n".join(l for i, l in enumerate(_pem_lines(k["pem8"])) if i != 5),
                     "bad_der_or_pem"),
    "no_end_line": (lambda k: b"\n".join(_pem_lines(k["pem8"])[:-1]), "bad_der_or_pem"),
    "der_truncated": (lambda k: k["der8"][:200], "bad_der_or_pem"),
    "binary_junk": (lambda k: bytes(range(256)), "bad_der_or_pem"),
    "utf16_pem": (lambda k: k["pem8"].decode().encode("utf-16"), "bad_der_or_pem"),
    "openssh_rsa": (
        lambda k: k["key"].private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, NO_PW), "bad_der_or_pem"),
    "csr_given": (_csr, "bad_der_or_pem"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_problem_has_its_code(k: dict, name: str) -> None:
    build, code = CASES[name]
    with pytest.raises(KeyProblem) as info:
        keys.parse_private_key(build(k))
    exc = info.value
    assert exc.code == code
    assert str(exc) == exc.message
    for text in (exc.message, exc.hint):
        assert text and "\n" not in text


def test_cases_cover_every_code() -> None:
    # not_found / unreadable / not_a_certificate are exercised by the read_* and certificate tests below.
    covered = {code for _, code in CASES.values()} | {"not_found", "unreadable", "not_a_certificate"}
    assert covered == set(keys.KEY_PROBLEM_CODES)


def _secret_windows(data: bytes | str, width: int = 16) -> set[str]:
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    runs = re.findall(r"[A-Za-z0-9+/=_-]{%d,}" % width, text)
    return {run[i:i + width] for run in runs for i in range(len(run) - width + 1)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_key_material_in_message_or_hint(k: dict, name: str) -> None:
    data = CASES[name][0](k)
    secret = _secret_windows(data) | _secret_windows(k["pem8"]) | _secret_windows(base64.b64encode(k["der8"]))
    with pytest.raises(KeyProblem) as info:
        keys.parse_private_key(data)
    for text in (info.value.message, info.value.hint, repr(info.value)):
        assert not (_secret_windows(text) & secret), name


def test_hints_say_how_to_fix(k: dict) -> None:
    def problem(name: str) -> KeyProblem:
        with pytest.raises(KeyProblem) as info:
            keys.parse_private_key(CASES[name][0](k))
        return info.value

    assert "openssl pkey" in problem("encrypted_pkcs8").hint
    assert "openssl rsa" in problem("encrypted_pkcs1").hint
    assert "base64 -d" in problem("base64_wrapped").hint
    assert "no start line" in problem("plain_text").message
    assert "Salesforce" in problem("certificate_pem").message
    assert "RSA" in problem("ec_pkcs8").message and "EC" in problem("ec_pkcs8").message
    assert "1024" in problem("rsa_1024").message


@pytest.mark.parametrize("form", ["pem8", "pem1", "der8", "der1"])
def test_accepts_pkcs1_pkcs8_and_der(k: dict, form: str) -> None:
    loaded = keys.parse_private_key(k[form])
    assert keys.public_key_fingerprint(loaded) == keys.public_key_fingerprint(k["key"])


@pytest.mark.parametrize(
    "variant",
    [
        lambda k: k["pem8"].decode(),  # str input
        lambda k: k["pem1"].replace(b"\n", b"\r\n"),  # Windows line endings are not damage
        lambda k: b"\xef\xbb\xbf" + k["pem8"],  # UTF-8 byte-order mark
        lambda k: b"Bag Attributes\n    localKeyID: 01\n" + k["pem8"],  # openssl pkcs12 export preamble
        lambda k: k["cert"] + k["pem8"],  # certificate and key in one bundle
        lambda k: b"\n".join(b"  " + line + b" " for line in k["pem8"].split(b"\n")),  # indented, trailing blanks
    ],
)
def test_accepts_harmless_layouts(k: dict, variant: Callable[[dict], bytes | str]) -> None:
    loaded = keys.parse_private_key(variant(k))
    assert loaded.private_numbers() == k["key"].private_numbers()


def test_one_line_key_is_explained_even_though_cryptography_reads_it(k: dict) -> None:
    one_line = k["pem8"].replace(b"\n", b"")
    ser.load_pem_private_key(one_line, None)  # lenient here, yet OpenSSL-based clients reject it
    with pytest.raises(KeyProblem, match="line breaks"):
        keys.parse_private_key(one_line)


def test_read_private_key(tmp_path, k: dict) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(k["pem1"])
    assert keys.read_private_key(path).private_numbers() == k["key"].private_numbers()
    assert keys.read_private_key(str(path)).key_size == 2048


def test_read_private_key_missing_and_unreadable(tmp_path) -> None:
    with pytest.raises(KeyProblem) as info:
        keys.read_private_key(tmp_path / "nope.pem")
    assert info.value.code == "not_found" and "nope.pem" in info.value.message
    with pytest.raises(KeyProblem) as info:
        keys.read_private_key(tmp_path)  # a directory
    assert info.value.code == "unreadable"


def test_read_refuses_huge_files(tmp_path) -> None:
    path = tmp_path / "big.pem"
    path.write_bytes(b"A" * ((1 << 20) + 10))
    with pytest.raises(KeyProblem) as info:
        keys.read_private_key(path)
    assert info.value.code == "bad_der_or_pem"


def test_unknown_code_is_a_bug() -> None:
    with pytest.raises(ValueError):
        KeyProblem("nope", "m", "h")


# --- certificates --------------------------------------------------------------------


def test_parse_certificate_pem_der_and_fingerprint(k: dict) -> None:
    pem_cert = keys.parse_certificate(k["cert"])
    der_cert = keys.parse_certificate(pem_cert.public_bytes(ser.Encoding.DER))
    fp = keys.fingerprint_sha256(pem_cert)
    assert FP.match(fp)
    again = keys.parse_certificate(k["cert"].decode())
    assert fp == keys.fingerprint_sha256(der_cert) == keys.fingerprint_sha256(again)
    assert fp.replace(":", "").lower() == pem_cert.fingerprint(hashes.SHA256()).hex()


def test_read_certificate(tmp_path, k: dict) -> None:
    path = tmp_path / "server.crt"
    path.write_bytes(k["cert"])
    assert keys.fingerprint_sha256(keys.read_certificate(path)) == keys.fingerprint_sha256(
        keys.parse_certificate(k["cert"]))
    with pytest.raises(KeyProblem) as info:
        keys.read_certificate(tmp_path / "missing.crt")
    assert info.value.code == "not_found"


@pytest.mark.parametrize(
    "build",
    [
        lambda k: b"",
        lambda k: b"garbage, not a certificate",
        lambda k: bytes(range(256)),
        lambda k: k["pem8"],  # the private key by mistake
        lambda k: base64.b64encode(k["cert"]),
        lambda k: k["cert"].replace(b"\n", b"\\n"),
        lambda k: b"\n".join(l for i, l in enumerate(_pem_lines(k["cert"])) if i != 3),
        lambda k: k["key"].public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo),
    ],
)
def test_not_a_certificate(k: dict, build: Callable[[dict], bytes]) -> None:
    data = build(k)
    with pytest.raises(KeyProblem) as info:
        keys.parse_certificate(data)
    assert info.value.code == "not_a_certificate"
    assert not (_secret_windows(info.value.message + " " + info.value.hint) & _secret_windows(data))


def test_public_key_matches(k: dict) -> None:
    cert = keys.parse_certificate(k["cert"])
    assert keys.public_key_matches(k["key"], cert)
    assert not keys.public_key_matches(k["other"], cert)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    ec_cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k["ec"].public_key())
        .serial_number(2).not_valid_before(NOW).not_valid_after(NOW + timedelta(days=1))
        .sign(k["ec"], hashes.SHA256())
    )
    assert not keys.public_key_matches(k["key"], ec_cert)


def test_self_signed_certificate(k: dict) -> None:
    cert = keys.parse_certificate(keys.self_signed_certificate(k["key"], "my-app", days=90, now=NOW))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "my-app"
    assert cert.issuer == cert.subject
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert cert.not_valid_before_utc <= NOW
    assert cert.not_valid_after_utc == NOW + timedelta(days=90)
    assert keys.public_key_matches(k["key"], cert)
    # Really signed by this key: verify raises otherwise.
    k["key"].public_key().verify(
        cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)


def test_certificate_facts_valid(k: dict) -> None:
    facts = keys.certificate_facts(keys.parse_certificate(k["cert"]), NOW)
    assert facts.subject == "CN=aprity"
    assert not facts.expired and not facts.not_yet_valid
    assert facts.days_left == 730
    assert facts.not_after == NOW + timedelta(days=730)
    assert facts.der_size < 4096 < facts.der_size * 6
    assert facts.pem_size > facts.der_size
    assert not facts.too_large and not facts.pem_over_limit


def test_certificate_facts_expired_and_not_yet_valid(k: dict) -> None:
    old = keys.parse_certificate(
        keys.self_signed_certificate(k["key"], days=30, now=datetime(2020, 1, 1, tzinfo=timezone.utc)))
    facts = keys.certificate_facts(old, NOW)
    assert facts.expired and not facts.not_yet_valid and facts.days_left < -1000
    early = keys.certificate_facts(keys.parse_certificate(k["cert"]), NOW - timedelta(days=1))
    assert early.not_yet_valid and not early.expired


def test_certificate_facts_naive_now_is_utc(k: dict) -> None:
    cert = keys.parse_certificate(k["cert"])
    naive = NOW.replace(tzinfo=None)
    assert keys.certificate_facts(cert, naive) == keys.certificate_facts(cert, NOW)


def test_certificate_size_limit(k: dict) -> None:
    big = keys.certificate_facts(_san_cert(k["key"], 200), NOW)
    assert big.der_size > 4096 and big.too_large
    # PEM over 4 KB but DER under it: Salesforce's advice is to upload the DER file.
    mid = keys.certificate_facts(_san_cert(k["key"], 120), NOW)
    assert mid.der_size < 4096 < mid.pem_size
    assert not mid.too_large and mid.pem_over_limit


# --- key helpers ---------------------------------------------------------------------


def test_key_bits_and_generation(k: dict) -> None:
    assert keys.key_bits(k["key"]) == 2048
    assert keys.key_bits(k["small"]) == 1024
    assert isinstance(k["key"], rsa.RSAPrivateKey) and k["key"].public_key().public_numbers().e == 65537


def test_private_key_pem_is_unencrypted_pkcs8(k: dict) -> None:
    pem = keys.private_key_pem(k["key"])
    assert pem.startswith(b"-----BEGIN " + b"PRIVATE" + b" KEY-----\n")
    assert keys.parse_private_key(pem).private_numbers() == k["key"].private_numbers()


def test_public_key_fingerprint(k: dict) -> None:
    fp = keys.public_key_fingerprint(k["key"])
    spki = k["key"].public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    assert FP.match(fp)
    assert fp == ":".join(f"{b:02X}" for b in hashlib.sha256(spki).digest())
    assert fp == keys.public_key_fingerprint(keys.parse_private_key(k["pem1"]))
    assert fp != keys.public_key_fingerprint(k["other"])


def test_key_whose_halves_disagree_is_damaged() -> None:
    """Validation is done by a signature self-test (cheap) instead of cryptography's slow check."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    n = keys.generate_private_key().private_numbers()
    # Private exponents that no longer match the public half (bit rot, a bad copy).
    broken = rsa.RSAPrivateNumbers(n.p, n.q, n.d + 2, n.dmp1 + 2, n.dmq1 + 2, n.iqmp, n.public_numbers)
    pem = broken.private_key(unsafe_skip_rsa_key_validation=True).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(keys.KeyProblem) as info:
        keys.parse_private_key(pem)
    assert info.value.code == "bad_der_or_pem"
