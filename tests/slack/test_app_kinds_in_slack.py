"""External Client Apps in Slack, end to end: the fixes name the ECA's screens with link buttons into the
org's own Setup, the bot remembers what Salesforce proved for the next run, and ad-hoc checks take app_type."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from bot.ids import DIAGNOSE_MODAL, ActionId, ModalAction, ModalBlock
from bot.store.app_memory import key_of
from bot.store.db import Store
from checks.connections import Connection
from checks.scenarios import by_name

from bot_harness import CHANNEL, BotHarness, all_text, bot_env, toml_for
from slack_stub import SlackStub

CA_SCREEN = re.compile(r"(?<!Client )App Manager|Manage Connected Apps|Use digital signatures")


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub() as s:
        yield s


def _start(tmp_path, stub, world, sim_server, conns: dict[str, Connection]) -> BotHarness:
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    return BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)


def _buttons(harness: BotHarness, sess: dict) -> list[dict]:
    return [el for m in harness.stub.thread(sess["channel"], sess["thread_ts"]) for b in m.get("blocks") or []
            if b.get("type") == "actions" for el in b["elements"] if "url" in el]


def test_closed_eca_fix_names_its_screens_links_into_its_setup_and_is_remembered(tmp_path, stub, world,
                                                                                   sim_server) -> None:
    o, a, u = world.org("eca-memo", eca=True, app={"permission_sets": frozenset()})  # closed by default
    conn = world.connection("memo", o, a, u)
    h = _start(tmp_path, stub, world, sim_server, {"memo": conn})
    try:
        h.slash("memo")
        h.wait_idle()
        sess = h.only_session()
        text = h.thread_text(sess)
        assert "External Client App Manager" in text and "Admin approved users are pre-authorized" in text
        assert not CA_SCREEN.search(text), text
        assert "App in Salesforce:* External Client App (proven" in text
        urls = {b["url"] for b in _buttons(h, sess)}
        assert f"{o.instance_url}/lightning/setup/ManageExternalClientApplication/home" in urls
        assert all(url.startswith(f"{o.instance_url}/lightning/setup/") for url in urls), urls
        link = next(b for b in _buttons(h, sess))
        assert h.click(link["action_id"], "", channel=CHANNEL).status_code == 200  # acked, nothing else
        # Remembered in SQLite: a run that proves nothing (the user is now inactive) still knows the ECA.
        assert Store(tmp_path / "bot.db").recall_app(key_of("memo", u.username, a.consumer_key)) == (
            "external_client_app", o.instance_url)
        world.sim.change_user(u.username, org_id=o.org_id, active=False)
        h.click(ActionId.RETEST, sess["id"])
        h.wait_idle()
        latest = h.bot.service.latest(sess["id"])
        assert latest is not None and latest.cause.id == "user_or_org_inactive"
        assert (latest.app_type, latest.app_type_source) == ("external_client_app", "proven")
    finally:
        h.close()


def test_ad_hoc_app_type_reaches_the_fixes(tmp_path, stub, world, sim_server) -> None:
    h = _start(tmp_path, stub, world, sim_server, {})
    try:
        conn = by_name("not-preauthorized").build(world)
        r = h.slash(f"username={conn.username} consumer_key={conn.consumer_key} login_url={conn.login_url} "
                    "app_type=connected_app")
        assert r.status_code == 200
        h.wait_idle()
        text = h.thread_text(h.only_session())
        assert "Manage Connected Apps" in text and "External Client App" not in text
        assert "app_type must be" in h.slash(f"username={conn.username} consumer_key={conn.consumer_key} "
                                             f"login_url={conn.login_url} app_type=saml").text
    finally:
        h.close()


def test_the_form_offers_the_app_type_and_passes_it_on(tmp_path, stub, world, sim_server) -> None:
    h = _start(tmp_path, stub, world, sim_server, {})
    try:
        h.slash("")
        view = stub.wait_for("views.open")[0].args["view"]
        view = json.loads(view) if isinstance(view, str) else view
        select = next(b for b in view["blocks"] if b.get("block_id") == ModalBlock.APP_TYPE)
        assert [o["value"] for o in select["element"]["options"]] == ["external_client_app", "connected_app",
                                                                      "unknown"]
        conn = by_name("not-preauthorized").build(world)
        values = {ModalBlock.USERNAME: {ModalAction.USERNAME: {"value": conn.username}},
                  ModalBlock.CONSUMER_KEY: {ModalAction.CONSUMER_KEY: {"value": conn.consumer_key}},
                  ModalBlock.LOGIN_URL: {ModalAction.LOGIN_URL: {"value": conn.login_url}},
                  ModalBlock.APP_TYPE: {ModalAction.APP_TYPE: {"type": "static_select",
                                                               "selected_option": {"value": "external_client_app"}}}}
        r = h.submit_view(DIAGNOSE_MODAL, values, view["private_metadata"])
        assert r.status_code == 200 and "errors" not in r.text
        h.wait_idle()
        text = h.thread_text(h.only_session())
        assert "External Client App Manager" in text and not CA_SCREEN.search(text)
    finally:
        h.close()


def test_link_buttons_render_only_known_links() -> None:
    from bot.blocks.steps import link_buttons

    block = link_buttons((("Users", "https://acme.my.salesforce.com/lightning/setup/ManageUsers/home"),))
    assert block["elements"][0]["url"].startswith("https://acme.my.salesforce.com/") and \
        all_text(block).count("Open Users") == 1
