"""Salesforce's answers in plain words: transport failures, HTTP dates, bodies that are not what was asked.

Pure helpers of :mod:`checks.salesforce.client` (no I/O), kept apart so the client reads as the calls it makes.
"""

from __future__ import annotations

import email.utils
import ssl
from datetime import datetime, timezone

import httpx

MAX_BODY_SHOWN = 200


def describe_transport_error(exc: Exception) -> tuple[str, bool]:
    """Plain words for an httpx failure, and whether it was a DNS lookup failure."""
    text = str(exc) or exc.__class__.__name__
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        return f"timed out ({kind} timeout) waiting for Salesforce", False
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered \
            or "temporary failure in name resolution" in lowered or "no address associated" in lowered:
        return "DNS lookup failed: this host name does not exist", True
    if isinstance(exc, ssl.SSLError) or "certificate verify failed" in lowered or "ssl" in lowered:
        return ("TLS handshake failed (a proxy inspecting TLS? set SSL_CERT_FILE to its CA bundle): "
                + text[:MAX_BODY_SHOWN]), False
    if isinstance(exc, httpx.ProxyError):
        return "the HTTPS proxy refused the connection: " + text[:MAX_BODY_SHOWN], False
    return "connection failed: " + text[:MAX_BODY_SHOWN], False


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" parses as naive; HTTP dates are always UTC (RFC 9110).
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def short_body(response: httpx.Response) -> str:
    text = response.text.strip()
    if not text:
        return "an empty body"
    ctype = response.headers.get("content-type", "")
    if "html" in ctype or text.lstrip().lower().startswith(("<!doctype", "<html")):
        return "an HTML page instead of JSON (not a token endpoint, or a Salesforce incident)"
    return "a body that is not JSON"


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
