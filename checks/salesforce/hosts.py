"""Which URLs may be called: https Salesforce hosts only, whatever a user types.

Every outbound request passes :meth:`Allowlist.check` first; a refusal is an
:class:`UnsafeURL` raised before any I/O. ``APRITY_EXTRA_LOGIN_HOSTS`` adds exact
origins (scheme, host, port) for tests and private deployments, nothing wider.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOGIN = "login.salesforce.com"
TEST = "test.salesforce.com"
GENERIC_LOGIN_HOSTS = (LOGIN, TEST)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# My Domain login hosts: acme.my.salesforce.com, acme--uat.sandbox.my.salesforce.com,
# acme-dev-ed.develop.my.salesforce.com, x.scratch.my.salesforce.com, and the
# government / China / alternative suffixes Salesforce's own CLI accepts.
_MY_DOMAIN = re.compile(
    rf"^{_LABEL}(?:\.(?:sandbox|develop|scratch|demo|patch|trailblaze))?"
    r"\.(?:my\.salesforce\.com|my\.salesforce\.mil|my\.sfcrmproducts\.cn|my-salesforce\.com)$"
)
# Instance hosts that only ever appear in a token response (na1, eu6, cs42…).
_INSTANCE = re.compile(rf"^{_LABEL}\.salesforce\.com$")


class UnsafeURL(ValueError):
    """A URL we refuse to call. The message says why, in words a user can act on."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


def _parse(url: str) -> tuple[Origin, str]:
    """Split ``url`` into an origin and path, refusing shapes that hide the real host."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURL("the URL is empty")
    text = url.strip()
    if any(c.isspace() or ord(c) < 32 for c in text) or "\\" in text:
        raise UnsafeURL(f"{_show(text)} contains spaces, control characters or backslashes")
    if "://" not in text:
        raise UnsafeURL(f"{_show(text)} has no scheme: write it as https://{text}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"{_show(text)} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeURL(f"{_show(text)} uses {scheme or 'no'} scheme; only https is allowed")
    if "@" in parts.netloc:
        raise UnsafeURL(f"{_show(text)} carries a user name before the host ('@'); refused")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL(f"{_show(text)} has no host")
    if parts.query or parts.fragment:
        raise UnsafeURL(f"{_show(text)} carries a query or fragment; give the bare login URL")
    return Origin(scheme, host, port or (443 if scheme == "https" else 80)), parts.path


def _show(text: str, limit: int = 80) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(text)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def is_login_host(host: str) -> bool:
    """A Salesforce host that serves ``/services/oauth2/token`` for the JWT flow."""
    return host in GENERIC_LOGIN_HOSTS or bool(_MY_DOMAIN.match(host))


def is_api_host(host: str) -> bool:
    """A Salesforce host an ``instance_url`` or identity URL may point at."""
    return is_login_host(host) or bool(_INSTANCE.match(host))


def environment_of(url_or_host: str) -> str:
    """``sandbox``, ``production`` or ``unknown`` from a login host alone."""
    host = url_or_host
    if "://" in url_or_host:
        try:
            host = (urlsplit(url_or_host).hostname or "").lower()
        except ValueError:  # "https://[oops": the allowlist refuses it; this only labels it
            return "unknown"
    if host == TEST or ".sandbox.my." in host or ".scratch.my." in host:
        return "sandbox"
    if host == LOGIN or _MY_DOMAIN.match(host):
        return "production"
    return "unknown"


def my_domain_name(host: str) -> str | None:
    """``acme`` for acme.my.salesforce.com / acme--uat.sandbox.my.salesforce.com."""
    if host in GENERIC_LOGIN_HOSTS or not _MY_DOMAIN.match(host):
        return None
    return host.split(".", 1)[0]


# Browser addresses of an org → its My Domain: Lightning pages and the Setup domain.
_BROWSER_HOST = re.compile(
    rf"^(?P<name>{_LABEL}(?:\.(?:sandbox|develop|scratch|demo|patch|trailblaze))?)"
    r"\.(?:lightning\.force\.com|my\.salesforce-setup\.com)$"
)


def my_domain_for(url: str) -> str | None:
    """The My Domain login URL behind a pasted browser address, or None when ``url`` is not one.

    ``https://acme.lightning.force.com/lightning/page/home`` → ``https://acme.my.salesforce.com``;
    a Setup page on the My Domain itself (``…my.salesforce.com/lightning/setup/…``) → its origin.
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if (m := _BROWSER_HOST.match(host)) is not None:
        return f"https://{m['name']}.my.salesforce.com"
    if _MY_DOMAIN.match(host) and (parts.path not in ("", "/") or parts.query or parts.fragment):
        return f"https://{host}"
    return None


def _refusal(origin: Origin, text: str, kind: str) -> UnsafeURL:
    host = origin.host
    if _is_ip(host):
        return UnsafeURL(f"{_show(text)} is an IP address; only Salesforce {kind} hosts are called")
    if (hint := my_domain_for(text)) is not None:
        return UnsafeURL(f"{_show(text)} is a browser address, not a login host: use the My Domain URL {hint}")
    if origin.scheme != "https":
        return UnsafeURL(f"{_show(text)} is not https; Salesforce only accepts https logins")
    if origin.port != 443:
        return UnsafeURL(f"{_show(text)} names port {origin.port}; Salesforce login hosts use 443")
    return UnsafeURL(
        f"{_show(text)} is not a Salesforce {kind} host (expected login.salesforce.com, "
        "test.salesforce.com or a My Domain such as acme.my.salesforce.com)"
    )


@dataclass(frozen=True)
class Allowlist:
    """Decides, before any I/O, whether a URL may be called."""

    extra: frozenset[Origin] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls, value: str | None) -> "Allowlist":
        """Parse ``APRITY_EXTRA_LOGIN_HOSTS``: comma-separated origins like http://127.0.0.1:8443."""
        extra: set[Origin] = set()
        for item in (value or "").split(","):
            item = item.strip().rstrip("/")
            if not item:
                continue
            origin, path = _parse(item)
            if path not in ("", "/"):
                raise UnsafeURL(f"APRITY_EXTRA_LOGIN_HOSTS entry {_show(item)} must be an origin, no path")
            extra.add(origin)
        return cls(frozenset(extra))

    def is_extra(self, url: str) -> bool:
        try:
            return _parse(url)[0] in self.extra
        except UnsafeURL:
            return False

    def login_origin(self, url: str) -> str:
        """Normalised origin of a login URL (``https://host``), or :class:`UnsafeURL`."""
        if isinstance(url, str) and (hint := my_domain_for(url)) is not None:
            # A pasted Lightning or Setup page: name the URL to use in one step.
            raise UnsafeURL(f"{_show(url)} is a browser address, not a login URL: use the My Domain URL {hint}")
        origin, path = _parse(url)
        if path not in ("", "/"):
            raise UnsafeURL(f"{_show(url)} has a path; give only the login URL, e.g. https://{origin.host}")
        if origin in self.extra:
            return origin.url
        if origin.scheme != "https" or origin.port != 443 or not is_login_host(origin.host):
            raise _refusal(origin, url, "login")
        return origin.url

    def check(self, url: str) -> str:
        """Allow a full request URL to a login or API host; returns its origin."""
        origin, _ = _parse(url)
        if origin in self.extra:
            return origin.url
        if origin.scheme != "https" or origin.port != 443 or not is_api_host(origin.host):
            raise _refusal(origin, url, "API")
        return origin.url


# Labels after which a further label is a sandbox name, not part of the domain:
# user@acme.com.uat. Two-letter labels after com/co/org/net are country domains (acme.com.au).
_GENERIC_TLDS = {"com", "org", "net", "edu", "gov", "io", "ai", "biz", "info", "co", "app", "cloud", "us", "eu"}
_COUNTRY_SLDS = {"com", "co", "org", "net", "edu", "gov", "ac"}


def sandbox_suffix(username: str) -> str | None:
    """The sandbox name appended to a username (``uat`` in ``a@acme.com.uat``), if any."""
    if "@" not in username:
        return None
    labels = username.rsplit("@", 1)[1].lower().split(".")
    if len(labels) < 3:
        return None
    last, before = labels[-1], labels[-2]
    if before not in _GENERIC_TLDS:
        return None
    if len(last) == 2 and before in _COUNTRY_SLDS:
        return None
    return last
