"""Setup links point only at an org's own My Domain, never at a guessed or foreign host."""

from __future__ import annotations

import pytest

from checks.rules.setup_links import SetupPage, link_host, links_for, setup_link


@pytest.mark.parametrize("url,host", [
    ("https://acme.my.salesforce.com", "https://acme.my.salesforce.com"),
    ("https://ACME.my.salesforce.com/", "https://acme.my.salesforce.com"),
    ("https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"),
    ("https://acme-dev-ed.develop.my.salesforce.com", "https://acme-dev-ed.develop.my.salesforce.com"),
    ("https://acme.my.salesforce.com:443", "https://acme.my.salesforce.com"),
])
def test_an_orgs_own_my_domain_gets_links(url: str, host: str) -> None:
    assert link_host(url) == host
    assert setup_link(url, SetupPage.ECA_MANAGER) == f"{host}/lightning/setup/ManageExternalClientApplication/home"


@pytest.mark.parametrize("url", [
    None, "", "https://login.salesforce.com", "https://test.salesforce.com",
    "https://acme.lightning.force.com", "https://acme.my.salesforce-setup.com", "https://acme.my.salesforce.mil",
    "https://acme.my.sfcrmproducts.cn", "https://acme.my-salesforce.com", "http://acme.my.salesforce.com",
    "https://127.0.0.1:8443", "https://acme.my.salesforce.com:8443", "https://acme.my.salesforce.com/path",
    "https://acme.my.salesforce.com?x=1", "https://user@acme.my.salesforce.com",
    "https://evil.com/acme.my.salesforce.com",
    "https://acme.my.salesforce.com.evil.com", "acme.my.salesforce.com",
])
def test_no_link_for_any_other_host(url) -> None:
    assert link_host(url) is None and setup_link(url, SetupPage.USERS) is None
    assert links_for(url, list(SetupPage)) == ()


def test_links_are_labelled_once_each_in_order() -> None:
    links = links_for("https://acme.my.salesforce.com", [SetupPage.USERS, SetupPage.MY_DOMAIN, SetupPage.USERS])
    assert links == (("Users", "https://acme.my.salesforce.com/lightning/setup/ManageUsers/home"),
                     ("My Domain", "https://acme.my.salesforce.com/lightning/setup/OrgDomain/home"))
