"""The playground without a browser: the scripted tour, the page's HTTP API, and each admin fix."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.terminal.cli import main
from bot.ids import ActionId
from bot.playground.core import ESCALATION_CHANNEL, SUPPORT_CHANNEL, Playground, Timing
from bot.playground.orgs import CONNECTIONS, FIXES, Orgs
from bot.playground.slack_events import signature_headers
from checks.engine import Engine
from checks.model import CauseId
from checks.salesforce.hosts import Allowlist
from checks.salesforce.client import SalesforceClient
from checks.scenarios import World
from checks.simulator import SimTransport, Simulator

from sim_helpers import Clock

# The support guide's six causes (salesforce-jwt.md §8): each is the verdict, or half a tie, of a demo org.
GUIDE_CAUSES = {CauseId.CERTIFICATE_MISMATCH, CauseId.CONSUMER_KEY_MISMATCH, CauseId.OAUTH_NOT_ENABLED_OR_SCOPES,
                CauseId.DIGITAL_SIGNATURES_DISABLED, CauseId.USER_NOT_PREAUTHORIZED, CauseId.USERNAME_OR_LOGIN_URL}
FIX_FOR = {"not-preauthorized": "preauthorize", "cert-regenerated": "upload_certificate", "key-typo": "consumer_key",
           "eca-generic-host": "my_domain_login_url",
           "signatures-off": "digital_signatures", "no-api-scope": "api_scope",
           "sandbox-on-login": "sandbox_login_url", "no-metadata": "modify_metadata",
           "eca-closed": "preauthorize"}


def test_scripted_tour_walks_the_whole_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playground", "--script", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "verdict: Connection check for not-preauthorized: failing" in out
    assert "parent now: Connection check for not-preauthorized: works" in out
    assert "the connection works now" in out  # the success reply in the thread, after the automatic retest
    help_channel, escalations = out.split("#aprity-escalations")
    assert "Escalated to support by @You" in help_channel
    assert "Escalation: no-metadata" in escalations and "integration@dunder.com" in escalations


def test_each_fix_turns_its_connection_green_only_after_propagation(tmp_path: Path) -> None:
    clock = Clock(time.time())
    world = World(Simulator(clock=clock, propagation_delay=300), tmp_path / "keys")
    orgs = Orgs(world, tmp_path / "connections.toml", clock=clock)
    assert set(FIX_FOR) | {"healthy"} == set(CONNECTIONS) and set(FIX_FOR.values()) == {f.id for f in FIXES}
    client = SalesforceClient(Allowlist(), transport=SimTransport(world.sim))
    engine = Engine(client, clock=clock)
    named: set[CauseId] = set()
    try:
        for name, fix in FIX_FOR.items():
            d = engine.diagnose(orgs.connection(name))
            assert not d.ok, name
            named |= {c.id for c in (d.tied or [d.cause])}
            orgs.apply(name, fix)
        pending = {o["name"]: o["pending"] for o in orgs.describe()}
        assert pending["no-metadata"] and not pending["sandbox-on-login"]  # aprity's own file changes at once
        assert engine.diagnose(orgs.connection("sandbox-on-login")).ok
        assert not engine.diagnose(orgs.connection("not-preauthorized")).ok  # Salesforce has not caught up
        clock.now += 301
        for name in FIX_FOR:
            assert engine.diagnose(orgs.connection(name)).ok, name
    finally:
        client.close()
    assert GUIDE_CAUSES <= named  # every cause of the support guide can be walked from the composer
    text = (tmp_path / "connections.toml").read_text()
    assert 'login_url = "https://test.salesforce.com"' in text and "aprity-old.crt" not in text
    assert 'login_url = "https://massive.my.salesforce.com"' in text  # the ECA's My Domain


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    timing = Timing(propagation_delay=1.0, retest_delays=(60.0,), post_interval=0.0)
    with Playground(tmp_path_factory.mktemp("pg"), port=0, timing=timing) as playground:
        yield playground


def test_page_and_assets_are_served(pg: Playground) -> None:
    page = httpx.get(pg.url + "/")
    assert page.status_code == 200 and "Salesforce admin" in page.text
    for asset in ("/static/app.js", "/static/blocks.js", "/static/app.css"):
        assert httpx.get(pg.url + asset).status_code == 200, asset
    state = httpx.get(pg.url + "/api/state").json()
    assert [c["id"] for c in state["channels"]] == [SUPPORT_CHANNEL, ESCALATION_CHANNEL]
    assert state["connections"] == list(CONNECTIONS)
    assert {f["id"] for f in state["admin"]["fixes"]} == set(FIX_FOR.values())


def test_the_bot_checks_slack_signatures_on_the_real_path(pg: Playground) -> None:
    body = "command=%2Faprity-diagnose&text=help&user_id=U1&channel_id=C0PLAYHELP"
    forged = signature_headers("not-the-secret", body)
    assert httpx.post(pg.url + "/slack/events", content=body, headers=forged).status_code == 401
    stale = signature_headers(pg._secret, body, timestamp=int(time.time()) - 600)
    assert httpx.post(pg.url + "/slack/events", content=body, headers=stale).status_code == 401


def test_api_refuses_what_a_browser_would_not_send_itself(pg: Playground) -> None:
    form = httpx.post(pg.url + "/api/command", content="text=help",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    rebound = httpx.get(pg.url + "/api/state", headers={"Host": "evil.example:3000"})
    assert rebound.status_code == 403
    assert httpx.post(pg.url + "/api/fix", json={"connection": "healthy", "fix": "nope"}).status_code == 400
    assert httpx.post(pg.url + "/api/click", json={"channel": SUPPORT_CHANNEL, "ts": "1.2",
                                                   "action_id": "x"}).status_code == 400


def test_help_answer_is_shown_only_to_the_person(pg: Playground) -> None:
    assert httpx.post(pg.url + "/api/command", json={"text": "/aprity-diagnose help"}).json() == {"status": 200}
    mine = [e for e in pg.stub.ephemeral_messages(SUPPORT_CHANNEL) if "explain" in json.dumps(e)]
    assert mine and mine[-1]["user"] == "U0PLAYYOU"
    assert not any("explain" in json.dumps(m) for m in pg.stub.channel_messages(SUPPORT_CHANNEL))


def test_the_form_round_trip_through_the_api(pg: Playground) -> None:
    httpx.post(pg.url + "/api/command", json={"text": "/aprity-diagnose"})
    view = pg.wait("the form", lambda: httpx.get(pg.url + "/api/state").json()["view"], 10)
    empty = httpx.post(pg.url + "/api/view", json={"view_id": view["id"], "values": {}}).json()
    assert empty["errors"] and httpx.get(pg.url + "/api/state").json()["view"]["id"] == view["id"]
    values = {"aprity_modal_connection": {"aprity_connection_select": {
        "type": "static_select", "selected_option": {"value": "healthy", "text": {"type": "plain_text",
                                                                                  "text": "healthy"}}}}}
    assert httpx.post(pg.url + "/api/view", json={"view_id": view["id"], "values": values}).json()["errors"] == {}
    assert httpx.get(pg.url + "/api/state").json()["view"] is None
    done = pg.wait("the healthy verdict", lambda: [s for s in pg.sessions()
                                                    if s["connection_name"] == "healthy" and s["status"] == "ok"], 20)
    assert done[0]["channel"] == SUPPORT_CHANNEL


def test_playground_command_prints_its_url_serves_and_stops_on_sigterm() -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "bot", "playground", "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        first = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert first.startswith("Playground: http://127.0.0.1:"), first
        url = first.split(": ", 1)[1]
        assert "Salesforce admin" in httpx.get(url + "/").text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_explain_answers_privately_and_shares_on_request(pg: Playground) -> None:
    before = len(pg.stub.channel_messages(SUPPORT_CHANNEL))
    pg.command("explain invalid_grant: user hasn't approved this consumer")
    mine = pg.wait("the explanation", lambda: [e for e in pg.stub.ephemeral_messages(SUPPORT_CHANNEL)
                                                if "pre-authorized" in json.dumps(e).lower()], 20)
    assert mine[-1]["user"] == "U0PLAYYOU" and pg.stub.calls("webhook")  # through response_url, as in Slack
    assert pg.stub.channel_messages(SUPPORT_CHANNEL)[before:] == []  # nobody else sees it yet
    pg.click(SUPPORT_CHANNEL, mine[-1]["message_ts"], ActionId.SHARE_EXPLAIN)
    shared = pg.wait("the shared explanation", lambda: pg.stub.channel_messages(SUPPORT_CHANNEL)[before:], 20)
    assert "pre-authorized" in json.dumps(shared[-1]["blocks"]).lower()


def test_the_home_tab_is_published_for_you_and_is_never_taken_for_a_modal(pg: Playground) -> None:
    r = httpx.post(pg.url + "/api/home", json={})
    assert r.status_code == 200 and r.json()["status"] == 200  # the bot accepted the signed event
    home = pg.wait("the Home tab", lambda: pg.state()["home"], 20)
    assert home["type"] == "home" and home["user"] == "U0PLAYYOU"
    text = json.dumps(home["blocks"])
    assert "Open sessions" in text and "Last 30 days" in text
    assert "all channels" in text  # you are in the support channel, a staff channel here
    assert pg.state()["view"] is None or pg.state()["view"]["type"] == "modal"
