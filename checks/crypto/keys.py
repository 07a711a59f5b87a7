"""Private keys and certificates: load them, or say in plain words why they cannot be used.

Salesforce's JWT Bearer flow signs with RS256, so the key must be an unencrypted RSA
key of at least 2048 bits, and the certificate uploaded to the app in Salesforce must be
made from it and stay under 4 KB. Mangled keys (lost line breaks, ``\\n`` escapes,
base64 wrapped twice) are explained, never repaired: the customer's own client uses
OpenSSL, which rejects them even where ``cryptography`` would be lenient.

Messages and hints never quote file contents; keys are named by fingerprint only.

Private keys live here; certificates in :mod:`checks.crypto.certificates` and the shared PEM
framing and :class:`KeyProblem` in :mod:`checks.crypto.pem`. This module re-exports both, so
``checks.crypto.keys`` stays the one import path for the rest of the code.
"""

from __future__ import annotations

import os
from typing import NoReturn

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from checks.crypto import pem
from checks.crypto.certificates import (
    UPLOAD_LIMIT_BYTES,
    CertificateFacts,
    certificate_facts,
    certificate_for_key,
    fingerprint_sha256,
    parse_certificate,
    public_key_matches,
    read_certificate,
    self_signed_certificate,
)
from checks.crypto.pem import KEY_PROBLEM_CODES, KeyProblem

__all__ = [
    "KEY_PROBLEM_CODES",
    "MIN_RSA_BITS",
    "UPLOAD_LIMIT_BYTES",
    "CertificateFacts",
    "KeyProblem",
    "certificate_facts",
    "certificate_for_key",
    "fingerprint_sha256",
    "generate_private_key",
    "key_bits",
    "parse_certificate",
    "parse_private_key",
    "private_key_pem",
    "public_key_fingerprint",
    "public_key_matches",
    "read_certificate",
    "read_private_key",
    "self_signed_certificate",
]

MIN_RSA_BITS = 2048

_NEW_KEY = (
    "Make a new 2048-bit RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
    " -out key.pem), a certificate from it, and upload that certificate to the app in Salesforce."
)
_USE_KEY_FILE = "Use the private key file: its first line reads BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY."
_CERT_NOT_KEY = ("Give aprity the private key the certificate was made from; keep the certificate for the app in "
                 "Salesforce.")

# Every user-facing text for private keys, in one place: reason -> (code, message, hint).
_TEXT: dict[str, tuple[str, str, str]] = {
    "empty": ("empty", "The private key is empty: the file or variable holds no text.",
              "Check the path or secret name; a key file starts with a BEGIN PRIVATE KEY line."),
    "encrypted": ("encrypted", "The private key is protected by a passphrase; aprity needs an unencrypted key.",
                  "Decrypt a copy: openssl pkey -in key.pem -out key-plain.pem"
                  " (or openssl rsa for an RSA PRIVATE KEY file)."),
    "base64": ("base64_wrapped",
               "The key was base64-encoded once more: decoding it gives a PEM file (common with CI secrets).",
               "Decode it before use, e.g. echo \"$KEY\" | base64 -d > key.pem, then point aprity at key.pem."),
    "lines": ("newlines_lost",
              "The key's line breaks are missing or were replaced by spaces; OpenSSL-based clients"
              " reject such a key with \"no start line\".",
              "Store the key file unchanged with its line breaks, e.g. as a file-type secret"
              " (or base64-encode the whole file and base64 -d it before use)."),
    "escaped": ("escaped_newlines",
                "The key holds the two characters backslash and n (\\n) where its line breaks should be"
                " (typical of keys copied through environment variables or JSON).",
                "Store the key with real line breaks, e.g. printf '%b' \"$KEY\" > key.pem, or a file-type secret."),
    "public": ("public_key_given", "This is a public key; signing needs the private key it belongs to.",
               _USE_KEY_FILE),
    "certificate": ("certificate_given",
                    "This is a certificate, not a private key; the certificate is the file you upload to Salesforce.",
                    _CERT_NOT_KEY),
    "no_end": ("bad_der_or_pem", "The key has a BEGIN line but no matching END line: it looks cut short.",
               "Copy the whole key file again, through its -----END ...----- line."),
    "damaged": ("bad_der_or_pem",
                "The text between the BEGIN and END lines does not decode to a key: it is damaged or incomplete.",
                "Copy the key file again unchanged, or make a new key and certificate."),
    "bad_der": ("bad_der_or_pem", "The file is binary but not a DER key: it is damaged or something else.",
                "Use the key file unchanged, or convert it: openssl pkey -inform DER -in key.der -out key.pem."),
    "binary": ("bad_der_or_pem", "The file is binary data that is neither a PEM nor a DER key.", _USE_KEY_FILE),
    "utf16": ("bad_der_or_pem", "The key file was saved as UTF-16 text (Windows PowerShell does this).",
              "Save it as UTF-8 or ASCII (Set-Content -Encoding ascii), or copy the original file."),
    "openssh": ("bad_der_or_pem", "This is an OpenSSH-format key; JWT signing needs a PEM (PKCS#1 or PKCS#8) key.",
                "Convert a copy: cp id_rsa key.pem && ssh-keygen -p -N '' -m PEM -f key.pem."),
}


def _problem(reason: str) -> KeyProblem:
    return KeyProblem(*_TEXT[reason])


# --- private keys ----------------------------------------------------------------------


def read_private_key(path: str | os.PathLike[str]) -> RSAPrivateKey:
    """Read and check the private key file at ``path``."""
    return parse_private_key(pem.read_file(path, "private key"))


def parse_private_key(data: bytes | str) -> RSAPrivateKey:
    """Load an unencrypted RSA key (PEM PKCS#1/PKCS#8 or DER) or raise :class:`KeyProblem`."""
    raw = pem.as_bytes(data)
    if not raw.strip():
        raise _problem("empty")
    blocks = pem.blocks(raw)
    if not blocks:
        return _parse_unframed(raw)
    # A bundle may hold parameters or a certificate too; like OpenSSL, use its private key.
    block = next((b for b in blocks if b.label.endswith("PRIVATE KEY")), blocks[0])
    return _parse_block(block)


def _parse_block(block: pem.Block) -> RSAPrivateKey:
    label = block.label
    if label == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in block.body:
        raise _problem("encrypted")
    if label in ("PUBLIC KEY", "RSA PUBLIC KEY"):
        raise _problem("public")
    if label.endswith("CERTIFICATE"):
        raise _problem("certificate")
    if label == "OPENSSH PRIVATE KEY":
        _reject_openssh(block.text)
    if not label.endswith("PRIVATE KEY"):
        raise KeyProblem("bad_der_or_pem", f"The file holds a PEM block labelled {label!r}, not a private key.",
                         _USE_KEY_FILE)
    # Shape first: cryptography would read a one-line key, but the customer's OpenSSL would not.
    if pem.ESCAPED_BREAK.search(block.text):
        raise _problem("escaped")
    if not block.has_end:
        raise _problem("no_end")
    if pem.lines_lost(block.body):
        raise _problem("lines")
    try:
        key = serialization.load_pem_private_key(block.text, password=None, unsafe_skip_rsa_key_validation=True)
    except TypeError:  # cryptography's way of saying "this needed a password"
        raise _problem("encrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise _problem("damaged") from None
    return _check_rsa(key)


def _parse_unframed(raw: bytes) -> RSAPrivateKey:
    """No ``-----BEGIN`` line: DER, a key base64-encoded once more, or not a key at all."""
    text = pem.is_text(raw)
    if raw[:1] == b"\x30" and not text:  # DER starts with an ASN.1 SEQUENCE ("0" in text)
        return _parse_der(raw)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and "-----BEGIN" in raw.decode("utf-16", "ignore"):
        raise _problem("utf16")
    if not text:
        raise _problem("binary")
    inner = pem.base64_payload(raw)
    if inner is not None and b"-----BEGIN" in inner:
        raise _problem("base64")
    if b"BEGIN" in raw:
        why = "its BEGIN line is malformed (it needs five dashes on each side, in capitals)"
    elif inner is not None and inner[:1] == b"\x30":
        why = "it looks like the base64 body of a key whose BEGIN and END lines were removed"
    else:
        why = "it does not look like a key at all"
    raise KeyProblem(
        "no_start_line",
        f"The key has no -----BEGIN ...----- line, the error OpenSSL calls \"no start line\": {why}.",
        "Use the whole key file, from its BEGIN PRIVATE KEY (or BEGIN RSA PRIVATE KEY) line to its END line.",
    )


def _parse_der(raw: bytes) -> RSAPrivateKey:
    try:
        return _check_rsa(serialization.load_der_private_key(raw, password=None,
                                                             unsafe_skip_rsa_key_validation=True))
    except TypeError:
        raise _problem("encrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        pass
    # Not a private key: say what it is when it is the usual wrong file.
    loaders = ((serialization.load_der_public_key, "public"), (x509.load_der_x509_certificate, "certificate"))
    for load, reason in loaders:
        try:
            load(raw)
        except (ValueError, UnsupportedAlgorithm):
            continue
        raise _problem(reason)
    raise _problem("bad_der")


def _reject_openssh(text: bytes) -> NoReturn:
    try:
        key = serialization.load_ssh_private_key(text, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None  # encrypted or unreadable: the format is still the thing to fix first
    if key is not None:
        _check_rsa(key)  # an Ed25519 or ECDSA SSH key is "not_rsa" whatever its format
    raise _problem("openssh")


def _kind(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC ({key.curve.name}) key"
    names = {ed25519.Ed25519PrivateKey: "an Ed25519 key", ed448.Ed448PrivateKey: "an Ed448 key",
             dsa.DSAPrivateKey: "a DSA key"}
    return next((n for cls, n in names.items() if isinstance(key, cls)), "not an RSA key")


_SELF_TEST = b"aprity-diagnose key self-test"


def _check_rsa(key: object) -> RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem(
            "not_rsa", f"This is {_kind(key)}; Salesforce signs JWT logins only with RSA keys (RS256).", _NEW_KEY)
    if key.key_size < MIN_RSA_BITS:
        raise KeyProblem(
            "too_small", f"The RSA key is only {key.key_size} bits; at least {MIN_RSA_BITS} are needed.", _NEW_KEY)
    # cryptography's own consistency check costs ~30 ms per load; one signature that
    # verifies against the key's public half catches a damaged key for ~1 ms.
    try:
        signature = key.sign(_SELF_TEST, padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, _SELF_TEST, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001 - any failure here means the key cannot sign correctly
        raise _problem("damaged") from None
    return key


def key_bits(private_key: RSAPrivateKey) -> int:
    """Size of the RSA modulus in bits."""
    return private_key.key_size


def public_key_fingerprint(private_key: RSAPrivateKey) -> str:
    """SHA-256 of the SubjectPublicKeyInfo DER, ``AB:CD:..``: names a key without showing it."""
    return pem.fingerprint(private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def generate_private_key(bits: int = 2048) -> RSAPrivateKey:
    """A fresh RSA key (exponent 65537)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: RSAPrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, for writing test or demo key files only."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())

