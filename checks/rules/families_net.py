"""Proxy and TLS failures, by what they are: a proxy answered instead of Salesforce, a handshake failed, a
certificate was not trusted or not Salesforce's. Sure strings here; other wordings: :mod:`checks.rules.families_vocab`.
"""

from __future__ import annotations

import re

from checks.rules.family_finding import C, H, L, M, PROXY, TLS, Findings, has_any, line_at, rx, window


# ------------------------------------------------------------------ proxy
_P407 = rx(r"\b407\b|proxy authentication required|HTTP:PROXY_AUTHENTICATION")
_PROXY_WORD = rx(r"prox(?:y|ies)|tunnel|\bCONNECT\b")
_TUNNEL = rx(r"unable to tunnel through proxy|tunnel connection failed|tunneling socket could not be established"
             r"|CONNECT tunnel failed|from proxy after CONNECT|CONNECT refused by proxy"
             r"|proxy tunnel request[^\r\n]{0,120}failed|Proxy response \(\d{3}\)")
_STATUS3 = re.compile(r"\b([1-5]\d\d)\b")
_HTTP_ONLY = rx(r"Your proxy appears to only use HTTP and not HTTPS")
WRONG_VERSION = rx(r"wrong version number|WRONG_VERSION_NUMBER")
_PROXY_ERROR = re.compile(r"\bProxyError\b")
_PROXY_SETTING = r"(?:https?_proxy\s{0,3}[=:]|\bproxy[\"']?\s{0,3}(?:=>|[:=])|\s-x|--proxy)\s{0,3}[\"']?"
_HTTPS_PROXY_URL = rx(_PROXY_SETTING + r"https://")
_PROXY_ENV = rx(_PROXY_SETTING + r"https?://")
_RESET = rx(r"\bECONNRESET\b|socket hang up|Connection reset by peer")


_PROXY_WORDS = ("prox", "tunnel", "wrong version", "wrong_version")


def proxy(text: str, low: str, out: Findings) -> None:
    if not has_any(low, _PROXY_WORDS):
        return
    for m in _P407.finditer(text):  # 407 next to proxy/tunnel/CONNECT words, in any order
        if _PROXY_WORD.search(window(text, m.start(), m.end())):
            out.add(PROXY, C.PROXY_AUTH_REQUIRED, H, "the proxy answered 407: it wants credentials", m)
            break
    if not out.has(PROXY):
        for m in _TUNNEL.finditer(text):  # a refused tunnel: its status, when printed, says why
            codes = [c for c in _STATUS3.findall(line_at(text, m.start())) if c != "200"]
            if codes and codes[0] == "407":
                out.add(PROXY, C.PROXY_AUTH_REQUIRED, H, "the proxy answered 407: it wants credentials", m)
            elif codes and codes[0] == "403":
                out.add(PROXY, C.PROXY_REFUSED, H, "the proxy refused the CONNECT to Salesforce (403)", m)
            else:
                out.add(PROXY, C.PROXY_REFUSED, M, "the proxy did not open the tunnel", m, (C.PROXY_AUTH_REQUIRED, L))
            break
    if (m := _HTTP_ONLY.search(text)) is not None:
        out.add(PROXY, C.PROXY_SCHEME_WRONG, H, "an https:// proxy URL for a proxy that speaks plain HTTP", m)
    elif (m := WRONG_VERSION.search(text)) is not None:
        if _PROXY_ERROR.search(window(text, m.start(), m.end(), 400)):
            out.add(PROXY, C.PROXY_SCHEME_WRONG, H, "TLS spoken to a plain-HTTP proxy (https:// proxy URL)", m)
        elif _HTTPS_PROXY_URL.search(text):
            out.add(PROXY, C.PROXY_SCHEME_WRONG, M, "the proxy URL is https://; the proxy likely answers plain HTTP",
                    m, (C.TLS_PROTOCOL, L))
    if not out.has(PROXY) and _PROXY_ENV.search(text) and (m := _RESET.search(text)) is not None:
        out.add(PROXY, C.SALESFORCE_UNREACHABLE, M, "the connection through the proxy was dropped", m,
                (C.PROXY_AUTH_REQUIRED, L), (C.PROXY_REFUSED, L))


# ------------------------------------------------------------------ TLS
_UNTRUSTED = rx(r"unable to get local issuer certificate|self[- ]signed certificate in certificate chain"
                r"|CERTIFICATE_VERIFY_FAILED|certificate verify failed|PKIX path building failed"
                r"|unable to find valid certification path|UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                r"|unable to verify the first certificate|RemoteCertificateChainErrors|SSL certificate problem"
                r"|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UntrustedRoot"
                r"|remote certificate is invalid because of errors in the certificate chain")
_MISMATCH = rx(r"Hostname/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID"
               r"|No subject alternative (?:DNS )?names? matching|doesn't match any of the subject alternative names"
               r"|Hostname mismatch|RemoteCertificateNameMismatch")
_ALTNAMES = rx(r"cert's altnames: (?P<a>[^\r\n\"]{1,600})|subject alternative names: \[(?P<b>[^\]\r\n]{1,600})\]")
_MISMATCH_HOST = rx(r"Host: (?P<h1>[\w.-]{1,253}?)\.? is not in|matching (?P<h2>[\w.-]{1,253}) found"
                    r"|Certificate for <(?P<h3>[\w.-]{1,253})>|not valid for '(?P<h4>[\w.-]{1,253})'")
# Domains whose certificates only Salesforce holds: a mismatch on one of them is Salesforce's own certificate.
SF_OWNED = re.compile(r"(?i)(?:^|\.)(?:salesforce\.com|force\.com|site\.com|salesforce-sites\.com|sfdcopens\.com"
                      r"|salesforce\.mil|sfcrmproducts\.cn)$")
# Hosts Salesforce's certificate always covers: a name mismatch there means someone else answered.
_CANONICAL_LOGIN = re.compile(r"(?i)^(?:login|test)\.salesforce\.com$|^[a-z0-9-]{1,63}(?:--[a-z0-9]{1,40})?"
                              r"(?:\.(?:sandbox|develop|scratch|demo|trailblaze))?\.my\.salesforce\.com$")
_PROTOCOL_SURE = rx(r"Received fatal alert: protocol_version|TLSV1_ALERT_PROTOCOL_VERSION"
                    r"|Could not create SSL/TLS secure channel|unsupported protocol|no protocols available"
                    r"|do not possess a common algorithm")
_HANDSHAKE = rx(r"handshake_failure|sslv3 alert handshake failure|SSLV3_ALERT_HANDSHAKE_FAILURE"
                r"|Remote host terminated the handshake|SSL_ERROR_SYSCALL|\bEPROTO\b")
_MTLS_ALERT = rx(r"bad_certificate|certificate required|certificate_required|alert certificate|handshake_failure"
                 r"|handshake failure")
_PORT_8443 = re.compile(r"\.salesforce\.com:8443\b|:8443/services")
_PLAIN_PORT = rx(r"https://[\w.-]{1,253}:80\b|http://[\w.-]{1,253}\.salesforce\.com")
_NOT_TLS_ANSWER = rx(r"wrong.version|EPROTO")
EXPIRED = rx(r"\bexpired\b|not yet valid")


def _names(alt: re.Match[str] | None) -> list[str]:
    raw = (alt["a"] or alt["b"]) if alt else ""
    return [n.strip().removeprefix("DNS:").strip().lstrip("*.") for n in raw.split(",") if n.strip()]


# Long enough not to turn up by chance in a megabyte of noise; each sure TLS pattern holds one of them.
_TLS_WORDS = ("certific", "pkix", "handshake", "eproto", "wrong version", "wrong_version", "protocol",
              "secure channel", "altname", "subject alternative", "hostname", "leaf_signature", "common algorithm",
              "self_signed", "issuer_cert", "ssl_error", "untrustedroot")


def tls(text: str, low: str, out: Findings) -> None:
    if not has_any(low, _TLS_WORDS):
        return
    if _PORT_8443.search(text) and (m := _MTLS_ALERT.search(text)) is not None:
        out.add(TLS, C.MUTUAL_TLS_CERTIFICATE, H, "port 8443 is mutual TLS: the org's client certificate was refused",
                m)
    elif (m := _MISMATCH.search(text)) is not None:
        names = _names(_ALTNAMES.search(text))
        hm = _MISMATCH_HOST.search(text)
        host = next((g for g in (hm.groups() if hm else ()) if g), "")
        if names and all(SF_OWNED.search(n) for n in names):
            out.add(TLS, C.USERNAME_OR_LOGIN_URL, M, f"Salesforce's own certificate does not cover {host or 'the host'}"
                    ": the login URL is not one Salesforce serves (an old instance or custom URL)", m,
                    (C.TLS_INTERCEPTION, L))
        elif names or (host and _CANONICAL_LOGIN.search(host)):
            out.add(TLS, C.TLS_INTERCEPTION, H, "the certificate presented is not Salesforce's", m)
        else:
            out.add(TLS, C.TLS_INTERCEPTION, M, "the certificate does not match the host", m,
                    (C.USERNAME_OR_LOGIN_URL, L))
    elif (m := _UNTRUSTED.search(text)) is not None:
        if EXPIRED.search(line_at(text, m.start())):  # Salesforce does not serve expired certificates
            out.add(TLS, C.TLS_INTERCEPTION, M,
                    "an expired certificate: an inspecting proxy's, or a wrong client clock", m,
                    (C.CLOCK_SKEW_OR_EXPIRY, L))
        else:
            out.add(TLS, C.TLS_INTERCEPTION, H, "Salesforce's certificate chain is not trusted on the client's side", m)
    elif (m := _PROTOCOL_SURE.search(text)) is not None:
        out.add(TLS, C.TLS_PROTOCOL, H, "the client offered no TLS version or cipher Salesforce accepts", m)
    elif not out.has(cause=C.PROXY_SCHEME_WRONG) and (
            (m := _HANDSHAKE.search(text)) is not None or (m := WRONG_VERSION.search(text)) is not None):
        also = [(C.TLS_INTERCEPTION, L), (C.MUTUAL_TLS_CERTIFICATE, L), (C.PROXY_SCHEME_WRONG, L)]
        if _NOT_TLS_ANSWER.search(m[0]):  # the other side did not answer in TLS at all: a plain-HTTP proxy first
            also.insert(0, also.pop())
        if _PLAIN_PORT.search(text):  # TLS spoken to a plain-HTTP port
            also.insert(0, (C.USERNAME_OR_LOGIN_URL, L))
        out.add(TLS, C.TLS_PROTOCOL, M, "the TLS handshake failed", m, *also)


WORDS = _PROXY_WORDS + _TLS_WORDS + ("8443",)
