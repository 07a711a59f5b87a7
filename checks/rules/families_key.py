"""The local key file (missing, encrypted, in a format the library cannot read) and wrappers that hide
Salesforce's answer. Sure strings here; other wordings: :mod:`checks.rules.families_vocab`.
"""

from __future__ import annotations

import re

from checks.rules.family_finding import (C, H, KEY_FILE, L, M, TLS, WRAPPER, Finding, Findings, has_any, line_at,
                                         rx, window)

# A key-ish path, unless its file name is a trust file: a missing CA bundle is a TLS set-up problem.
_KEY_PATH = rx(r"[\w~./\\:-]{0,200}\.(?:key|pem|der|p8|p12|pfx|jks|keystore)\b|\bid_(?:rsa|ecdsa|ed25519)\b")
_TRUST_FILE = rx(r"^(?:ca|cacerts?|ca[-_.]|.*bundle|.*chain|.*trust|.*root|cert[-_.]?s?\b|.*-ca\.)")
_NO_FILE = rx(r"\bENOENT\b|no such file or directory|FileNotFoundException|FileNotFoundError|Could not find file"
              r"|\[Errno 2\]|\[Errno 13\]|Permission denied|\bEACCES\b|Failed to open stream|rb_sysopen"
              r"|cannot find the (?:file|path) specified|UnauthorizedAccessException|NoSuchFileException"
              r"|AccessDeniedException")
_PASSPHRASE = rx(r"bad decrypt|Incorrect password\?|Passphrase required for encrypted key|ERR_MISSING_PASSPHRASE"
                 r"|please check password and data|Keystore was tampered with, or password was incorrect"
                 r"|Password verification failed|Password was not given but private key is encrypted"
                 r"|wrong password|bad password read")
_FORMAT_SURE = rx(r"InvalidKeySpecException|algid parse error|invalid key format|No supported key formats were found"
                  r"|ASN1 corrupted data|Could not parse PKey|No installed provider supports this key"
                  r"|\"alg\" parameter for \"\w{1,10}\" key type must be one of"
                  r"|(?:error:[0-9A-F]{8}:)?PEM routines:[A-Za-z_]{0,40}:{1,2}no start line|\bno start line\b"
                  r"|Neither PUB key nor PRIV key|private key should be a PEM"
                  r"|supplied key param cannot be coerced into a private key|Could not deserialize key data"
                  r"|secretOrPrivateKey must be an asymmetric key|DECODER routines::unsupported")
_FORMAT_MAYBE = rx(r"OpenSSL unable to sign data|Illegal base64 character [0-9a-f]{1,2}")
# What redaction left of a pasted key (checks.explain.redaction): its label is the clue, never its body.
_REDACTED_OPENSSH = re.compile(r"\[REDACTED OPENSSH PRIVATE KEY\]")
_REDACTED_KEY = re.compile(r"\[REDACTED (?:[A-Z0-9]{1,12} ){1,3}PRIVATE KEY\]")
_KEY_VOCAB = rx(r"\bkey\b|keyloader|privatekey|\bpem\b|\bsign|jwt|pkcs|decoder|deserializ")


_NO_FILE_WORDS = ("enoent", "no such file", "filenotfound", "could not find file", "errno", "permission denied",
                  "eacces", "failed to open stream", "rb_sysopen", "cannot find the", "unauthorizedaccess",
                  "nosuchfile", "accessdenied")
_PASSPHRASE_WORDS = ("decrypt", "password", "passphrase")
_FORMAT_WORDS = ("keyspec", "algid", "key format", "asn1", "pkey", "provider supports", "\"alg\"", "no start line",
                 "pub key", "private key", "coerced", "deserialize", "secretorprivatekey", "decoder routines",
                 "unable to sign", "illegal base64")


def key_file(text: str, low: str, labels: tuple[str, ...], out: Findings) -> None:
    """Unreadable path > passphrase > format: the first is the root, the later ones its consequences."""
    trust_file = None
    for m in (_NO_FILE.finditer(text) if has_any(low, _NO_FILE_WORDS) else ()):
        paths = [k[0] for k in _KEY_PATH.finditer(line_at(text, m.start()))]
        if any(not _TRUST_FILE.search(re.split(r"[/\\]", p)[-1]) for p in paths):
            out.add(KEY_FILE, C.LOCAL_KEY_UNREADABLE, H, "the key file is missing or unreadable at its path", m)
            break
        trust_file = trust_file or (m if paths else None)
    if trust_file is not None and not out.has(KEY_FILE):  # a CA bundle, not the key: no cause of ours, but a clue
        out.append(Finding(TLS, C.UNKNOWN, L, "a CA bundle or trust file the client is configured with is missing "
                           "or unreadable (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, a truststore path)",
                           trust_file.start(), line_at(text, trust_file.start()).strip()[:200]))
    if has_any(low, _PASSPHRASE_WORDS) and (m := _PASSPHRASE.search(text)) is not None:
        out.add(KEY_FILE, C.LOCAL_KEY_PASSPHRASE, H, "the key is encrypted and the passphrase is missing or wrong", m)
    if any(lb.startswith("OPENSSH") for lb in labels):
        out.add(KEY_FILE, C.PRIVATE_KEY_INVALID, H, "an OpenSSH-format key where a PEM (PKCS#1 or PKCS#8) key is "
                "needed: convert a copy with ssh-keygen -p -m PEM", _REDACTED_OPENSSH.search(text) or 0)
    elif "ENCRYPTED" in labels and not out.has(cause=C.LOCAL_KEY_PASSPHRASE):
        out.add(KEY_FILE, C.LOCAL_KEY_PASSPHRASE, M, "the key is encrypted (BEGIN ENCRYPTED PRIVATE KEY)",
                _REDACTED_KEY.search(text) or 0)
    if not has_any(low, _FORMAT_WORDS):
        return
    if (m := _FORMAT_SURE.search(text)) is not None:
        out.add(KEY_FILE, C.PRIVATE_KEY_INVALID, H, "the key library could not parse the key", m)
    elif (m := _FORMAT_MAYBE.search(text)) is not None and _KEY_VOCAB.search(window(text, m.start(), m.end(), 600)):
        out.add(KEY_FILE, C.PRIVATE_KEY_INVALID, M, "signing failed while reading the key", m,
                (C.LOCAL_KEY_UNREADABLE, L))


# Sentences integrations print instead of Salesforce's answer (class names are the platforms' own).
_WRAP_SURE = rx(r"Unable to complete the JWT token exchange|Unable to fetch (?:the OAuth|an access) token"
                r"|JWT exchange for named credential failed|org\.mule\.runtime\.api\.connection\.ConnectionException"
                r"|com\.boomi\.connector\.api\.ConnectorException|tSalesforceConnection_\d{1,3}"
                r"|Failed to (?:obtain|get) (?:an |the )?(?:OAuth )?(?:JWT )?access token"
                r"|Unable to obtain an access token|token request failed: HTTP 4\d\d"
                r"|JwtAuthError::Error authenticating with JWT\.?[ \t]{0,3}(?:\r?\n)?\s{0,3}$")
_LOOP = rx(r"token expired,? refreshing|refresh(?:ing)? failed")


_WRAP_WORDS = ("token exchange", "oauth token", "access token", "named credential", "connectionexception",
               "connectorexception", "tsalesforceconnection", "token request failed", "jwtautherror", "refresh")


def wrapper(text: str, low: str, out: Findings) -> None:
    if not has_any(low, _WRAP_WORDS):
        return
    if (m := _WRAP_SURE.search(text)) is not None:
        out.add(WRAPPER, C.WRAPPER_HID_ANSWER, H, "a wrapper reported the failure without Salesforce's answer", m)
    elif len(_LOOP.findall(text)) >= 3:
        m2 = _LOOP.search(text)
        assert m2 is not None
        out.add(WRAPPER, C.WRAPPER_HID_ANSWER, M, "the client retries the login without showing Salesforce's answer",
                m2, (C.LOGIN_RATE_EXCEEDED, L), (C.SESSION_EXPIRED, L))


WORDS = _NO_FILE_WORDS + _PASSPHRASE_WORDS + _FORMAT_WORDS + _WRAP_WORDS
