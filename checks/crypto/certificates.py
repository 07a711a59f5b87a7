"""Certificates: load them leniently, compare them with the key, report their dates and size, make one.

The certificate uploaded to the app in Salesforce must be made from the private key and
stay under 4 KB. Public import path: :mod:`checks.crypto.keys` re-exports everything here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.x509.oid import NameOID

from checks.crypto import pem
from checks.crypto.pem import KeyProblem

UPLOAD_LIMIT_BYTES = 4096  # Salesforce: the certificate file "can't exceed 4 KB"


def read_certificate(path: str | os.PathLike[str]) -> x509.Certificate:
    """Read the certificate file at ``path`` (PEM or DER)."""
    return parse_certificate(pem.read_file(path, "certificate"))


def parse_certificate(data: bytes | str) -> x509.Certificate:
    """Load a PEM or DER certificate or raise ``KeyProblem("not_a_certificate")``.

    Unlike keys, a pasted certificate is read leniently: it is public, and it is only
    used here to compare against the key.
    """
    raw = pem.as_bytes(data)
    if not raw.strip():
        raise _not_cert("The certificate is empty: the file or text holds nothing.")
    blocks = pem.blocks(raw)
    cert_block = next((b for b in blocks if b.label in ("CERTIFICATE", "X509 CERTIFICATE")), None)
    if cert_block is not None:
        if pem.ESCAPED_BREAK.search(cert_block.text):
            raise _not_cert("The certificate contains backslash-n sequences where its line breaks should be.")
        try:
            return x509.load_pem_x509_certificate(cert_block.text)
        except ValueError:
            raise _not_cert("The certificate's PEM text is damaged or incomplete.") from None
    if any(b.label.endswith("PRIVATE KEY") for b in blocks):
        raise KeyProblem("not_a_certificate", "This is a private key, not a certificate.",
                         "Use the certificate made from the key (the one uploaded to the app in Salesforce).")
    if blocks:
        raise _not_cert(f"The file holds a PEM block labelled {blocks[0].label!r}, not a certificate.")
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        pass
    inner = pem.base64_payload(raw) if pem.is_text(raw) else None
    if inner is not None and b"-----BEGIN" in inner:
        raise _not_cert("The certificate was base64-encoded once more; decode it (base64 -d) first.")
    raise _not_cert("This is neither a PEM nor a DER certificate.")


def _not_cert(message: str) -> KeyProblem:
    return KeyProblem(
        "not_a_certificate", message,
        "Download the certificate again from the app in Salesforce, or export it with openssl x509 -outform PEM.",
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
    return pem.fingerprint(cert.public_bytes(serialization.Encoding.DER))


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
    now = pem.utc(now)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    der = cert.public_bytes(serialization.Encoding.DER)
    pem_bytes = cert.public_bytes(serialization.Encoding.PEM)
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(), not_before=not_before, not_after=not_after,
        expired=now > not_after, not_yet_valid=now < not_before, days_left=(not_after - now).days,
        der_size=len(der), pem_size=len(pem_bytes), too_large=len(der) > UPLOAD_LIMIT_BYTES,
    )


def self_signed_certificate(
    key: RSAPrivateKey, common_name: str = "aprity", days: int = 730, now: datetime | None = None,
    serial: int | None = None,
) -> bytes:
    """A self-signed SHA-256 certificate (PEM) for upload to the app in Salesforce (ECA or Connected App)."""
    now = pem.utc(now or datetime.now(timezone.utc))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        # Backdated a little so a server whose clock runs slow does not see it as not yet valid.
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def certificate_for_key(key: RSAPrivateKey, now: datetime, common_name: str = "aprity") -> bytes:
    """A certificate made from ``key``, identical for the whole UTC day (same fingerprint in every message).

    RSA PKCS#1 v1.5 signatures are deterministic, so fixing the serial and the dates fixes the bytes.
    """
    day = pem.utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    digest = hashlib.sha256(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
    serial = int.from_bytes(digest[:15], "big") | 1  # positive, under 20 octets, never zero
    return self_signed_certificate(key, common_name, days=730, now=day + timedelta(minutes=5), serial=serial)
