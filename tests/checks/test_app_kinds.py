"""Every scenario × every configured app kind: the admin is sent only to screens their org has, and links
point only at the org's own My Domain."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from checks.model import AppType, AppTypeSource, Status
from checks.rules.setup_links import SetupPage
from checks.scenarios import SCENARIOS, by_name

KINDS = [AppType.EXTERNAL_CLIENT_APP, AppType.CONNECTED_APP, AppType.UNKNOWN]
CA_SCREENS = re.compile(r"(?<!Client )App Manager|Manage Connected Apps|Use digital signatures|Manage Consumer "
                        r"Details|Manage Profiles|Manage Permission Sets|Connected App")
CA_SCREEN_NAMES = re.compile(r"(?<!Client )App Manager|Manage Connected Apps|Use digital signatures|Manage Consumer")
ECA_SCREENS = re.compile(r"External Client App|Edit Settings|Enable JWT Bearer Flow|Consumer Key and Secret")
PAGES = {p.value for p in SetupPage}


def _own_hosts(world, username: str) -> set[str]:
    return {o.host for o, _, u in world._orgs.values() if u.username.lower() == username.lower()}


def _lists(d) -> list[tuple[str, ...]]:
    out = [lst for s in d.steps if s.status in (Status.FAIL, Status.WARN) for lst in (s.verify, s.fix)]
    return out + ([(d.separating_check,)] if d.separating_check else [])


@pytest.mark.parametrize("kind", KINDS, ids=[str(k) for k in KINDS])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_screens_and_links_match_the_app_kind(scenario, kind, world, make_engine) -> None:
    conn = replace(scenario.build(world), app_type=str(kind))
    d = make_engine(scenario.clock_offset).diagnose(conn)
    if d.app_type_source != AppTypeSource.PROVEN:
        assert d.app_type == kind
        assert d.app_type_source == (AppTypeSource.UNKNOWN if kind == AppType.UNKNOWN else AppTypeSource.CONFIGURED)
    for lst in _lists(d):
        text = "\n".join(lst)
        if d.app_type == AppType.EXTERNAL_CLIENT_APP:
            assert not CA_SCREENS.search(text), (scenario.name, text)
        elif d.app_type == AppType.CONNECTED_APP:
            assert not ECA_SCREENS.search(text), (scenario.name, text)
        elif (ca := CA_SCREEN_NAMES.search(text)) is not None:  # unknown: the ECA's screen first, then the older
            assert "External Client App Manager" in text[:ca.start()], (scenario.name, text)
            assert "older Connected App" in text[:ca.start()], (scenario.name, text)
    hosts = _own_hosts(world, conn.username) or {urlsplit(conn.login_url).hostname}
    for step in d.steps:
        for label, url in step.links:
            parts = urlsplit(url)
            assert parts.scheme == "https" and parts.hostname in hosts, (scenario.name, url)
            assert parts.hostname.endswith(".my.salesforce.com")
            page = re.fullmatch(r"/lightning/setup/(\w+)/home", parts.path)
            assert page and page[1] in PAGES, url
            assert label
    if d.my_domain_url is None:
        assert not d.links
    payload = json.loads(json.dumps(d.to_dict()))
    assert payload["app_type"]["value"] == str(d.app_type)
    assert payload["app_type"]["source"] == str(d.app_type_source)


@pytest.mark.parametrize("name", ["eca-generic-host", "eca-sandbox-generic", "eca-closed", "eca-jwt-off"])
def test_salesforce_proves_an_external_client_app_over_the_configuration(name, world, make_engine) -> None:
    conn = replace(by_name(name).build(world), app_type="connected_app")
    d = make_engine().diagnose(conn)
    assert (d.app_type, d.app_type_source) == (AppType.EXTERNAL_CLIENT_APP, AppTypeSource.PROVEN)
    assert "External client app is not installed in this org" in (d.app_type_proof or "")
    assert any("connection says connected_app" in e for e in d.evidence), d.evidence


def test_eca_on_a_generic_host_gets_the_my_domain_fix_only(world, make_engine) -> None:
    d = make_engine().diagnose(by_name("eca-sandbox-generic").build(world))
    step = next(s for s in d.steps if s.status == Status.FAIL and s.fix)
    text = "\n".join(step.verify + step.fix)
    assert "Current My Domain URL" in text and "test.salesforce.com" not in "\n".join(step.fix)
    assert "Consumer Key" not in text and "App Manager" not in text.replace("External Client App Manager", "")


def test_a_remembered_my_domain_is_probed_and_gives_links(world, make_engine) -> None:
    """From login.salesforce.com the ECA is not found; the My Domain an earlier login gave knows the key."""
    conn = by_name("eca-generic-host").build(world)
    o = next(o for o, _, u in world._orgs.values() if u.username == conn.username)
    d = make_engine().diagnose(replace(conn, known_my_domain=o.instance_url))
    assert d.app_type == AppType.EXTERNAL_CLIENT_APP and "knows the same consumer key" in (d.app_type_proof or "")
    assert d.my_domain_url == o.instance_url
    assert (f"{o.instance_url}/lightning/setup/OrgDomain/home") in [url for _, url in d.links]


def test_no_links_without_the_orgs_own_my_domain(world, make_engine) -> None:
    d = make_engine().diagnose(by_name("not-preauthorized").build(world))  # login.salesforce.com, no My Domain
    assert d.my_domain_url is None and not d.links


def test_a_remembered_app_type_counts_as_proven(world, make_engine) -> None:
    conn = replace(by_name("eca-inactive-user").build(world), known_app_type="external_client_app")
    d = make_engine().diagnose(conn)
    assert (d.app_type, d.app_type_source) == (AppType.EXTERNAL_CLIENT_APP, AppTypeSource.PROVEN)


def test_the_customers_checklist_follows_the_proven_app_and_its_own_my_domain(world, make_engine) -> None:
    from checks.checklist import customer_checklist

    d = make_engine().diagnose(by_name("eca-closed").build(world))
    text = customer_checklist(d, attached=True).text or ""
    assert "App: aprity (External Client App)" in text
    assert "External Client App Manager" in text and not CA_SCREEN_NAMES.search(text), text
    assert "- External Client App Manager: https://eca-tyrell.my.salesforce.com/lightning/setup/" in text
    generic = customer_checklist(make_engine().diagnose(by_name("not-preauthorized").build(world)), attached=True)
    assert generic.text and "lightning/setup" not in generic.text  # login.salesforce.com: no org's own host


def test_a_pasted_eca_answer_gets_the_eca_screens_only() -> None:
    from checks.explain.reader import explain
    from checks.rules.advice import advice_for

    expl = explain('{"error":"app_not_found","error_description":"External client app is not installed in this org"}')
    assert expl.advice_context().app_type == "external_client_app"
    text = "\n".join(advice_for(expl.candidates[0].id, expl.advice_context()).fix)
    assert "My Domain" in text and not CA_SCREEN_NAMES.search(text) and "login.salesforce.com" not in text
    other = explain('{"error":"invalid_client_id","error_description":"client identifier invalid"}')
    assert other.advice_context().app_type == "unknown"
