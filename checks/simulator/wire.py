"""Transport-neutral request and response shapes shared by the handlers.

The in-process transport and the loopback HTTP server both turn their traffic
into a :class:`SimRequest` and write back a :class:`SimResponse`, so every
Salesforce behaviour lives in exactly one place.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "text/xml;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"
TEXT_TYPE = "text/plain;charset=UTF-8"


@dataclass(frozen=True)
class SimRequest:
    method: str
    host: str  # the Salesforce host this request is answered as, lower-case
    path: str
    query: str
    headers: dict[str, str]  # keys lower-case
    body: bytes
    extra_audiences: tuple[str, ...] = ()  # the server's own origin when called directly
    # First request on a new connection to the loopback server: when the connection was opened,
    # so the log's "started" includes the simulated TCP + TLS set-up the caller waited for.
    connected_at: float | None = None

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def query_param(self, name: str) -> str | None:
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def bearer(self) -> str | None:
        """The token from ``Authorization: Bearer|OAuth …`` or an ``oauth_token`` query parameter."""
        scheme, _, value = self.header("authorization").strip().partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
        return self.query_param("oauth_token")


@dataclass
class SimResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # what the log records: an error code, never a secret
    drip: float | None = None  # seconds between body bytes (the "drip" outage); None: all at once

    def chunks(self, wait: Callable[[float], bool]) -> Iterator[bytes]:
        """The body as sent: whole, or byte by byte with ``wait(drip)`` between (True from wait: stop)."""
        if self.drip is None:
            yield self.body
            return
        for i in range(len(self.body)):
            if wait(self.drip):
                return
            yield self.body[i:i + 1]


def json_response(status: int, payload: Any, error: str | None = None) -> SimResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return SimResponse(status, body, {"Content-Type": JSON_TYPE}, error)


def oauth_error(error: str, description: str, status: int = 400) -> SimResponse:
    return json_response(status, {"error": error, "error_description": description}, error)


def text_response(status: int, text: str, content_type: str = TEXT_TYPE, error: str | None = None) -> SimResponse:
    return SimResponse(status, text.encode(), {"Content-Type": content_type}, error)


NOT_FOUND_HTML = """<!DOCTYPE html>
<html><head><title>Page Not Found</title></head>
<body><h1>URL No Longer Exists</h1>
<p>You have attempted to reach a URL that no longer exists on salesforce.com.</p>
</body></html>
"""

MAINTENANCE_HTML = """<!DOCTYPE html>
<html><head><title>Service Unavailable</title></head>
<body><h1>Down for maintenance</h1>
<p>This Salesforce instance is temporarily unavailable. Please try again shortly.</p>
</body></html>
"""


def not_found() -> SimResponse:
    return text_response(404, NOT_FOUND_HTML, HTML_TYPE)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only addresses the simulator listens on or forwards to."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
