"""Private keys and certificates: load them, or say in plain words why they cannot be used.

Salesforce's JWT Bearer flow signs with RS256, so the key must be an unencrypted RSA
key of at least 2048 bits, and the certificate uploaded to the Connected App must be
made from it and stay under 4 KB. Mangled keys (lost line breaks, ``\\n`` escapes,
base64 wrapped twice) are explained, never repaired: the customer's own client uses
OpenSSL, which rejects them even where ``cryptography`` would be lenient.

Messages and hints never quote file contents; keys are named by fingerprint only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NoReturn

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.x509.oid import NameOID

KEY_PROBLEM_CODES: tuple[str, ...] = (
    "not_found", "unreadable", "empty", "encrypted", "base64_wrapped", "newlines_lost",
    "escaped_newlines", "no_start_line", "public_key_given", "certificate_given", "not_rsa",
    "too_small", "bad_der_or_pem", "not_a_certificate",
)
MIN_RSA_BITS = 2048
UPLOAD_LIMIT_BYTES = 4096  # Salesforce: the certificate file "can't exceed 4 KB"
_MAX_FILE_BYTES = 1 << 20  # nothing this big is a key or a certificate; don't read it all


class KeyProblem(Exception):
    """A key or certificate that cannot be used, explained in plain words."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        if code not in KEY_PROBLEM_CODES:
            raise ValueError(f"unknown key problem code: {code!r}")
        super().__init__(message)  # str(exc) is the message, and only the message
        self.code, self.message, self.hint = code, message, hint


_NEW_KEY = (
    "Make a new 2048-bit RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
    " -out key.pem), a certificate from it, and upload that certificate to the Connected App."
)
_USE_KEY_FILE = "Use the private key file, which starts with -----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY."
_CERT_NOT_KEY = "Give aprity the private key the certificate was made from; keep the certificate for the Connected App."

# Every user-facing text for private keys, in one place: reason -> (code, message, hint).
_TEXT: dict[str, tuple[str, str, str]] = {
    "empty": ("empty", "The private key is empty: the file or variable holds no text.",
              "Check the path or secret name; a key file starts with -----BEGIN PRIVATE KEY-----."),
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


# --- PEM framing -----------------------------------------------------------------------

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_ESCAPED_BREAK = re.compile(rb"\\[nr]")


@dataclass(frozen=True)
class _Block:
    label: str
    text: bytes  # header through footer (or to the end of data when the footer is missing)
    body: bytes  # between header and footer
    has_end: bool


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)


def _blocks(data: bytes) -> list[_Block]:
    found = []
    for m in _BEGIN.finditer(data):
        footer = b"-----END " + m.group(1) + b"-----"
        end = data.find(footer, m.end())
        stop, body_end = (len(data), len(data)) if end < 0 else (end + len(footer), end)
        found.append(_Block(m.group(1).decode(), data[m.start():stop], data[m.end():body_end], end >= 0))
    return found


def _lines_lost(body: bytes) -> bool:
    """True when header, base64 lines and footer no longer sit on their own lines.

    OpenSSL reads PEM line by line, so a key on one line, or with its line breaks
    turned into spaces (or bare carriage returns), fails there with "no start line".
    Indentation, trailing blanks and CRLF are fine and not flagged.
    """
    parts = body.split(b"\n")
    if len(parts) < 3 or parts[0].strip() or parts[-1].strip():
        return True
    return any(len(line.split()) > 1 for line in parts[1:-1])


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f\v" or ch == "\ufeff" for ch in text)


def _base64_payload(data: bytes) -> bytes | None:
    """Decode ``data`` as one base64 blob (whitespace, quotes ignored), or None if it is not one."""
    compact = b"".join(data.split()).strip(b"\"'")
    if len(compact) < 16:
        return None
    # Accept the URL-safe alphabet too, but nothing outside it: no lenient skipping.
    compact = compact.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _fingerprint(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(raw).digest())


# --- private keys ----------------------------------------------------------------------


def read_private_key(path: str | os.PathLike[str]) -> RSAPrivateKey:
    """Read and check the private key file at ``path``."""
    return parse_private_key(_read(path, "private key"))


def parse_private_key(data: bytes | str) -> RSAPrivateKey:
    """Load an unencrypted RSA key (PEM PKCS#1/PKCS#8 or DER) or raise :class:`KeyProblem`."""
    raw = _as_bytes(data)
    if not raw.strip():
        raise _problem("empty")
    blocks = _blocks(raw)
    if not blocks:
        return _parse_unframed(raw)
    # A bundle may hold parameters or a certificate too; like OpenSSL, use its private key.
    block = next((b for b in blocks if b.label.endswith("PRIVATE KEY")), blocks[0])
    return _parse_block(block)


def _parse_block(block: _Block) -> RSAPrivateKey:
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
    if _ESCAPED_BREAK.search(block.text):
        raise _problem("escaped")
    if not block.has_end:
        raise _problem("no_end")
    if _lines_lost(block.body):
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
    text = _is_text(raw)
    if raw[:1] == b"\x30" and not text:  # DER starts with an ASN.1 SEQUENCE ("0" in text)
        return _parse_der(raw)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and "-----BEGIN" in raw.decode("utf-16", "ignore"):
        raise _problem("utf16")
    if not text:
        raise _problem("binary")
    inner = _base64_payload(raw)
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
        "Use the whole key file, from -----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY) to its END line.",
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
    return _fingerprint(private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def generate_private_key(bits: int = 2048) -> RSAPrivateKey:
    """A fresh RSA key (exponent 65537)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: RSAPrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, for writing test or demo key files only."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


# --- certificates ----------------------------------------------------------------------


def read_certificate(path: str | os.PathLike[str]) -> x509.Certificate:
    """Read the certificate file at ``path`` (PEM or DER)."""
    return parse_certificate(_read(path, "certificate"))


def parse_certificate(data: bytes | str) -> x509.Certificate:
    """Load a PEM or DER certificate or raise ``KeyProblem("not_a_certificate")``.

    Unlike keys, a pasted certificate is read leniently: it is public, and it is only
    used here to compare against the key.
    """
    raw = _as_bytes(data)
    if not raw.strip():
        raise _not_cert("The certificate is empty: the file or text holds nothing.")
    blocks = _blocks(raw)
    cert_block = next((b for b in blocks if b.label in ("CERTIFICATE", "X509 CERTIFICATE")), None)
    if cert_block is not None:
        if _ESCAPED_BREAK.search(cert_block.text):
            raise _not_cert("The certificate contains backslash-n sequences where its line breaks should be.")
        try:
            return x509.load_pem_x509_certificate(cert_block.text)
        except ValueError:
            raise _not_cert("The certificate's PEM text is damaged or incomplete.") from None
    if any(b.label.endswith("PRIVATE KEY") for b in blocks):
        raise KeyProblem("not_a_certificate", "This is a private key, not a certificate.",
                         "Use the certificate made from the key (the one uploaded to the Connected App).")
    if blocks:
        raise _not_cert(f"The file holds a PEM block labelled {blocks[0].label!r}, not a certificate.")
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        pass
    inner = _base64_payload(raw) if _is_text(raw) else None
    if inner is not None and b"-----BEGIN" in inner:
        raise _not_cert("The certificate was base64-encoded once more; decode it (base64 -d) first.")
    raise _not_cert("This is neither a PEM nor a DER certificate.")


def _not_cert(message: str) -> KeyProblem:
    return KeyProblem(
        "not_a_certificate", message,
        "Download the certificate again from the Connected App, or export it with openssl x509 -outform PEM.",
    )


def public_key_matches(private_key: RSAPrivateKey, cert: x509.Certificate) -> bool:
    """True when ``cert`` carries the public half of ``private_key``."""
    try:
        cert_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # a key type cryptography cannot load is not ours
        return False
    return isinstance(cert_key, rsa.RSAPublicKey) and (
        cert_key.public_numbers() == private_key.public_key().public_numbers())


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate DER as ``AB:CD:...`` (what Salesforce and openssl show)."""
    return _fingerprint(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    not_before: datetime
    not_after: datetime
    expired: bool
    not_yet_valid: bool
    days_left: int  # whole days until not_after; negative once expired
    der_size: int
    pem_size: int
    too_large: bool  # even the DER is over Salesforce's 4 KB upload limit

    @property
    def pem_over_limit(self) -> bool:
        """The PEM is over 4 KB but the DER fits: upload the DER file instead."""
        return self.pem_size > UPLOAD_LIMIT_BYTES and not self.too_large


def certificate_facts(cert: x509.Certificate, now: datetime) -> CertificateFacts:
    """Validity and size facts; a naive ``now`` is taken as UTC."""
    now = _utc(now)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(), not_before=not_before, not_after=not_after,
        expired=now > not_after, not_yet_valid=now < not_before, days_left=(not_after - now).days,
        der_size=len(der), pem_size=len(pem), too_large=len(der) > UPLOAD_LIMIT_BYTES,
    )


def self_signed_certificate(
    key: RSAPrivateKey, common_name: str = "aprity", days: int = 730, now: datetime | None = None
) -> bytes:
    """A self-signed SHA-256 certificate (PEM) for upload to the Connected App."""
    now = _utc(now or datetime.now(timezone.utc))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Backdated a little so a server whose clock runs slow does not see it as not yet valid.
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


# --- helpers -----------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    shown = os.fsdecode(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyProblem(
            "not_found", f"No {what} file at {shown}.",
            "Check the path; relative paths are read from the directory aprity runs in.",
        ) from None
    except OSError as exc:  # permissions, a directory, a dangling mount...
        raise KeyProblem(
            "unreadable", f"The {what} file at {shown} cannot be read ({exc.strerror or type(exc).__name__}).",
            "Check that the path is a file and that the user running aprity may read it.",
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        code = "not_a_certificate" if what == "certificate" else "bad_der_or_pem"
        raise KeyProblem(
            code, f"The {what} file at {shown} is over 1 MB, far too big to be a {what}.",
            "Check the path points at the right file.",
        )
    return data
