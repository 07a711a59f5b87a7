"""Direct links into the customer's own Setup, and the only host they may point at.

A link is built only for the org's own My Domain (``*.my.salesforce.com``, sandbox and
Developer Edition zones included), which Salesforce redirects to the org's Setup host.
Never for login/test.salesforce.com, a browser host, an extra test origin or a guess.
Page names live in one table, so a correction is a one-line change.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from checks.salesforce.hosts import _LABEL


class SetupPage(StrEnum):
    """Lightning Setup page names (``/lightning/setup/<name>/home``)."""

    ECA_MANAGER = "ManageExternalClientApplication"
    APP_MANAGER = "NavigationMenus"
    CONNECTED_APPS = "ConnectedApplication"
    USERS = "ManageUsers"
    PERMISSION_SETS = "PermSets"
    COMPANY_INFO = "CompanyProfileInfo"
    MY_DOMAIN = "OrgDomain"


PAGE_LABELS: dict[SetupPage, str] = {
    SetupPage.ECA_MANAGER: "External Client App Manager",
    SetupPage.APP_MANAGER: "App Manager",
    SetupPage.CONNECTED_APPS: "Manage Connected Apps",
    SetupPage.USERS: "Users",
    SetupPage.PERMISSION_SETS: "Permission Sets",
    SetupPage.COMPANY_INFO: "Company Information",
    SetupPage.MY_DOMAIN: "My Domain",
}

_LINK_HOST = re.compile(
    rf"^{_LABEL}(?:\.(?:sandbox|develop|scratch|demo|patch|trailblaze))?\.my\.salesforce\.com$")


def link_host(url: str | None) -> str | None:
    """``https://<host>`` when ``url`` is a bare https origin on an org's ``*.my.salesforce.com``, else None."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or port not in (None, 443) or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or not _LINK_HOST.match(host):
        return None
    return f"https://{host}"


def setup_link(my_domain_url: str | None, page: SetupPage) -> str | None:
    """The page on the org's own My Domain, or None when that host is not known for sure."""
    host = link_host(my_domain_url)
    return f"{host}/lightning/setup/{page.value}/home" if host else None


def links_for(my_domain_url: str | None, pages: list[SetupPage]) -> tuple[tuple[str, str], ...]:
    """(label, URL) pairs for ``pages``, in order, once each; empty without a known My Domain."""
    host = link_host(my_domain_url)
    if host is None:
        return ()
    return tuple((PAGE_LABELS[p], f"{host}/lightning/setup/{p.value}/home") for p in dict.fromkeys(pages))
