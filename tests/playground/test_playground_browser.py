"""The playground in a real browser: headless Debian Chromium driven by Playwright.

The whole story a newcomer walks: a command, the verdict in the parent message, the
thread, "I fixed it, retest", a fix in the admin panel, the automatic retest turning
the parent green; then the form, and a second case escalated into the support channel.
Screenshots land in artifacts/playground/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.playground.core import Playground, Timing

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playground"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for the module (starting one costs seconds of CPU); each test gets a fresh context."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (make test installs it with apt-get when it can)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser test")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Headless new mode is Playwright's default for Chromium.
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(tmp_path: Path, browser) -> Iterator[object]:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timing = Timing(propagation_delay=2.0, retest_delays=(4.0, 8.0, 16.0, 32.0), post_interval=0.0)
    with Playground(tmp_path / "pg", port=0, timing=timing) as pg:
        # A new context is a fresh profile: no cookie, storage or cache from another test.
        context = browser.new_context(viewport={"width": 1700, "height": 1000})
        errors: list[str] = []
        pg_page = context.new_page()
        pg_page.on("pageerror", lambda e: errors.append(str(e)))
        pg_page.goto(pg.url)
        pg_page.playground = pg  # type: ignore[attr-defined]
        try:
            yield pg_page
        finally:
            pg_page.screenshot(path=str(ARTIFACTS / "last.png"))
            context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def _send(page, text: str) -> None:  # noqa: ANN001
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")


def _parent(page, connection: str):  # noqa: ANN001
    return page.locator("#messages-C0PLAYHELP .msg", has_text=f"Connection: {connection}").first


def test_fail_fix_retest_green_then_escalate(page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    # The composer suggests the demo's connections.
    page.fill("#composer-input", "/aprity-diagnose not-pre")
    page.dispatch_event("#composer-input", "input")
    expect(page.locator("#suggest li", has_text="/aprity-diagnose not-preauthorized")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "1-suggestions.png"))

    _send(page, "/aprity-diagnose not-preauthorized")
    parent = _parent(page, "not-preauthorized")
    expect(parent).to_contain_text("Integration user is not pre-authorized", timeout=WAIT_MS)
    expect(page.locator("#messages-C0PLAYHELP .ephemeral", has_text="Only visible to you")).to_be_visible()
    expect(parent.locator(".mention", has_text="@You")).to_be_visible()
    expect(parent.locator(".bk-button.primary", has_text="I fixed it, retest")).to_be_visible()

    parent.locator("button.replies").click()
    thread = page.locator("#thread-messages")
    expect(thread).to_contain_text("User pre-authorization")
    expect(thread.locator("b", has_text="How to fix").first).to_be_visible()  # mrkdwn bold
    page.screenshot(path=str(ARTIFACTS / "2-verdict-and-thread.png"))

    # Nothing fixed yet: the retest says so in the thread and the parent keeps its verdict.
    parent.locator(".bk-button", has_text="I fixed it, retest").click()
    expect(thread).to_contain_text("(after “I fixed it”)", timeout=WAIT_MS)
    expect(parent).to_contain_text("Run 2", timeout=WAIT_MS)
    expect(parent).to_contain_text("Integration user is not pre-authorized")

    # The admin pre-authorizes the profile; Salesforce applies it after the propagation delay.
    page.select_option("#admin-org", "not-preauthorized")
    expect(page.locator("#admin-body")).to_contain_text("System Administrator")
    page.locator(".fix", has_text="Pre-authorize the integration user's profile").click()
    expect(page.locator("#admin-body .pending")).to_contain_text("Pre-authorize", timeout=5_000)
    expect(parent).to_contain_text("Connection works", timeout=WAIT_MS)
    expect(thread).to_contain_text("the connection works now", timeout=WAIT_MS)
    expect(page.locator("#admin-body")).to_contain_text("aprity Integration, System Administrator")
    page.screenshot(path=str(ARTIFACTS / "3-green-after-fix.png"))

    # A case that no waiting fixes here: escalate it, through the button's confirm dialog.
    _send(page, "/aprity-diagnose no-metadata")
    other = _parent(page, "no-metadata")
    expect(other).to_contain_text("Metadata API permission missing", timeout=WAIT_MS)
    other.locator(".bk-button", has_text="Escalate to support").click()
    expect(page.locator("#confirm")).to_contain_text("Escalate to support?")
    page.locator("#confirm .bk-button", has_text="Escalate").click()
    escalations = page.locator("#messages-C0PLAYESCL")
    expect(escalations).to_contain_text("Escalation: no-metadata", timeout=WAIT_MS)
    expect(escalations.locator(".bk-header")).to_be_visible()
    expect(other).to_contain_text("Escalated to support by", timeout=WAIT_MS)
    expect(other.locator(".bk-button", has_text="Escalate to support")).to_have_count(0)
    page.locator("#thread-messages").evaluate("el => el.scrollTop = el.scrollHeight")
    escalations.evaluate("el => el.scrollTop = 0")  # the escalation's header and fields, not its tail
    page.screenshot(path=str(ARTIFACTS / "4-escalated.png"))  # docs/playground.png is one of these
    page.locator("#thread-close").click()
    expect(page.locator("#thread")).to_be_hidden()

    # The link in the escalation opens the diagnosis thread here, not on slack.com.
    escalations.locator("a", has_text="Open the diagnosis thread").click()
    expect(page.locator("#thread-messages")).to_contain_text("Escalated to support by")


def test_the_form_opens_checks_and_submits(page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    _send(page, "/aprity-diagnose")
    modal = page.locator("#modal .modal")
    expect(modal).to_contain_text("Diagnose connection", timeout=WAIT_MS)
    modal.locator("button[type=submit]").click()
    expect(modal.locator(".error").first).to_contain_text("Pick a saved connection", timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "5-form-errors.png"))
    modal.locator("select").select_option("healthy")
    modal.locator("button[type=submit]").click()
    expect(page.locator("#modal")).to_be_hidden(timeout=WAIT_MS)
    expect(_parent(page, "healthy")).to_contain_text("Connection works", timeout=WAIT_MS)


def test_block_kit_and_files_render_like_slack(page) -> None:  # noqa: ANN001
    """Every block and element kind the bot sends, posted through the Web API as the bot posts them."""
    import httpx
    from playwright.sync_api import expect
    from slack_sdk import WebClient

    pg = page.playground
    web = WebClient(token="xoxb-playground", base_url=pg.stub.url + "/")
    text = ("*bold* `code` _italic_ ~gone~ <https://help.salesforce.com|the guide> <@U0PLAYYOU> :tada: "
            "&lt;script&gt;alert(1)&lt;/script&gt;\n```multi\nline```")
    confirm = {"title": {"type": "plain_text", "text": "Sure?"}, "text": {"type": "plain_text", "text": "Really."},
               "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"}}
    posted = web.chat_postMessage(channel="C0PLAYHELP", text="fallback", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "A header"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text},
         "fields": [{"type": "mrkdwn", "text": "*Org ID*\n`00D000000000001`"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "a1", "value": "v",
             "style": "primary"},
            {"type": "button", "text": {"type": "plain_text", "text": "Stop"}, "action_id": "a2", "value": "v",
             "style": "danger", "confirm": confirm}]},
    ])
    web.files_upload_v2(channel="C0PLAYHELP", thread_ts=posted["ts"], content=b"cert-bytes\n",
                        filename="aprity.crt", title="aprity.crt", initial_comment="The matching certificate")
    msg = page.locator("#messages-C0PLAYHELP .msg", has_text="A header")
    expect(msg.locator(".bk-header")).to_have_text("A header", timeout=WAIT_MS)
    expect(msg.locator("b", has_text="bold")).to_be_visible()
    expect(msg.locator("code", has_text="code").first).to_be_visible()
    expect(msg.locator("i", has_text="italic")).to_be_visible()
    expect(msg.locator("s", has_text="gone")).to_be_visible()
    expect(msg.locator("a", has_text="the guide")).to_have_attribute("href", "https://help.salesforce.com")
    expect(msg.locator(".mention", has_text="@You")).to_be_visible()
    expect(msg.locator(".codeblock")).to_contain_text("line")
    expect(msg).to_contain_text("🎉")
    expect(msg).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    expect(msg.locator(".bk-fields")).to_contain_text("Org ID")
    expect(msg.locator(".bk-divider")).to_have_count(1)
    expect(msg.locator(".bk-context")).to_have_text("small print")
    expect(msg.locator(".bk-button.primary")).to_have_text("Go")
    msg.locator(".bk-button.danger", has_text="Stop").click()
    expect(page.locator("#confirm")).to_contain_text("Really.")
    page.locator("#confirm .bk-button", has_text="No").click()
    expect(page.locator("#confirm")).to_be_hidden()
    msg.locator("button.replies").click()
    card = page.locator("#thread-messages .file")
    expect(card).to_contain_text("aprity.crt")
    expect(page.locator("#thread-messages")).to_contain_text("The matching certificate")
    assert httpx.get(pg.url + card.get_attribute("href")).content == b"cert-bytes\n"
    page.screenshot(path=str(ARTIFACTS / "6-block-kit.png"))


def test_explain_answers_privately_and_its_share_button_works(page) -> None:  # noqa: ANN001
    """explain answers only to you, with "Share in channel"; pressing it posts the reading for everyone."""
    from playwright.sync_api import expect

    _send(page, "/aprity-diagnose explain invalid_grant: user hasn't approved this consumer")
    mine = page.locator("#messages-C0PLAYHELP .ephemeral", has_text="Reading of the pasted error")
    expect(mine).to_contain_text("Only visible to you", timeout=WAIT_MS)
    expect(page.locator("#messages-C0PLAYHELP .msg:not(.ephemeral)")).to_have_count(0)  # nobody else sees it
    share = mine.locator(".bk-button", has_text="Share in channel")
    expect(share).to_be_enabled()
    share.click()
    shared = page.locator("#messages-C0PLAYHELP .msg:not(.ephemeral)", has_text="Reading of the pasted error")
    expect(shared).to_contain_text("Shared by", timeout=WAIT_MS)
    expect(shared.locator(".mention", has_text="@You")).to_be_visible()
    # The private answer is replaced by a short note: its button cannot post the reading twice.
    expect(page.locator("#messages-C0PLAYHELP .ephemeral", has_text="Shared in the channel.")).to_be_visible(
        timeout=WAIT_MS)
    expect(page.locator("#messages-C0PLAYHELP .bk-button", has_text="Share in channel")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "7-explain-shared.png"))


def test_the_matching_certificate_is_attached_in_the_thread(page) -> None:  # noqa: ANN001
    import httpx
    from playwright.sync_api import expect

    _send(page, "/aprity-diagnose cert-regenerated")
    parent = _parent(page, "cert-regenerated")
    expect(parent).to_contain_text("does not match the private key", timeout=WAIT_MS)
    parent.locator("button.replies").click()
    card = page.locator("#thread-messages .file", has_text="cert-regenerated.crt")
    expect(card).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#thread-messages")).to_contain_text("Certificate matching aprity's private key")
    body = httpx.get(page.playground.url + card.get_attribute("href")).content
    assert body.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE" not in body
    page.screenshot(path=str(ARTIFACTS / "8-certificate-in-thread.png"))


def test_a_parent_says_the_bot_restarted_during_its_check(page) -> None:  # noqa: ANN001
    """The note the start-up recovery puts on a parent (no restart can be staged here): the bot's own blocks."""
    from playwright.sync_api import expect
    from slack_sdk import WebClient

    from bot.blocks.session import ParentView, parent_message
    from checks.model import ConnectionSummary

    conn = ConnectionSummary("acme", "integration@acme.com", "https://login.salesforce.com", "3MVG9x", "production")
    web = WebClient(token="xoxb-playground", base_url=page.playground.stub.url + "/")
    for running in (True, False):
        web.chat_postMessage(channel="C0PLAYHELP", **parent_message(ParentView(
            session_id=f"s{running}", requester_id="U0PLAYYOU", connection=conn, revision=1, running=running,
            restarted=True)))
    msgs = page.locator("#messages-C0PLAYHELP .msg", has_text="Connection: acme")
    expect(msgs.nth(0).locator(".bk-context", has_text="♻️ The bot restarted during this check; checking again")) \
        .to_be_visible(timeout=WAIT_MS)
    expect(msgs.nth(1)).to_contain_text("The bot restarted during this check; checked again")


def test_the_home_tab_lists_open_sessions_and_links_to_their_threads(page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    _send(page, "/aprity-diagnose signatures-off")
    expect(_parent(page, "signatures-off")).to_contain_text("Step-by-step results", timeout=WAIT_MS)
    page.locator("#nav-home").click()
    home = page.locator("#home-body")
    expect(home).to_contain_text("Open sessions (1)", timeout=WAIT_MS)
    expect(home).to_contain_text("signatures-off")
    expect(home).to_contain_text("Last 30 days")
    expect(page.locator("#pane-C0PLAYHELP")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "9-home.png"))
    home.locator("a", has_text="thread").first.click()  # back beside the channel, with the thread open
    expect(page.locator("#home")).to_be_hidden()
    expect(page.locator("#thread-messages")).to_contain_text("Use digital signatures", timeout=WAIT_MS)
