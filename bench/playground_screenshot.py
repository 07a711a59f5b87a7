"""The README's picture of the playground, made by driving the page: writes docs/playground.png.

A working connection (✅), a failing one (❌) with its thread open, and the failing one's
"For the customer" checklist, in headless Debian Chromium. Run it again after a change to
the page or the bot's messages:

    .venv/bin/python bench/playground_screenshot.py [--out docs/playground.png] [--require-checklist]

Without a "For the customer" button on this branch the picture has no checklist, and the
script says so (``--require-checklist`` makes that an error). Exit status 0 when written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from browser_page import CHROMIUM, WAIT_MS, browser_session, open_page, parent, send  # noqa: E402

from bot.playground.core import Playground, Timing  # noqa: E402
from bot.playground.run import bypass_proxy_for_loopback  # noqa: E402
from checks.model import CAUSE_TITLES, CauseId  # noqa: E402

WORKS, FAILS = "healthy", "no-api-scope"  # a sure cause: the parent shows ❌, not ⚠️
CHECKLIST_BUTTON = "For the customer"
# Slow retests: nothing changes on the page while it is photographed.
TIMING = Timing(propagation_delay=2.0, retest_delays=(3600.0,), post_interval=0.0)


_SCROLL_TO = """(pane, selector) => {
  const m = pane.querySelector(selector);
  if (m) pane.scrollTop += m.getBoundingClientRect().top - pane.getBoundingClientRect().top - 4;
}"""


def shoot(out: Path, *, width: int = 1600, height: int = 1050) -> bool:
    """Drive the page and write ``out``; True when the checklist is in the picture.

    The thread pane shows the working session (✅ on every step), the channel the failing
    one (❌) with its checklist under it, the support channel its escalation, and the admin
    panel the failing org (it follows the last command).
    """
    from playwright.sync_api import expect

    with tempfile.TemporaryDirectory(prefix="aprity-shot-") as tmp, \
            Playground(Path(tmp) / "pg", port=0, timing=TIMING) as pg, browser_session() as browser, \
            open_page(pg, browser, width=width, height=height) as page:
        page.goto(pg.url)
        send(page, f"/aprity-diagnose {WORKS}")
        works = parent(page, WORKS)
        expect(works).to_contain_text("Connection works", timeout=WAIT_MS)
        works.locator("button.replies").click()
        expect(page.locator("#thread-messages")).to_contain_text("Verdict", timeout=WAIT_MS)

        send(page, f"/aprity-diagnose {FAILS}")
        failing = parent(page, FAILS)
        expect(failing).to_contain_text(CAUSE_TITLES[CauseId.OAUTH_NOT_ENABLED_OR_SCOPES], timeout=WAIT_MS)
        expect(failing.locator(".mark-fail").first).to_be_visible()
        expect(page.locator("#admin-org")).to_have_value(FAILS)

        button = failing.locator(".bk-button", has_text=CHECKLIST_BUTTON)
        has_checklist = button.count() > 0
        if has_checklist:
            before = page.locator("#messages-C0PLAYHELP .ephemeral").count()
            button.click()
            expect(page.locator("#messages-C0PLAYHELP .ephemeral")).to_have_count(before + 1, timeout=WAIT_MS)
        failing.locator(".bk-button", has_text="Escalate to support").click()
        page.locator("#confirm .bk-button", has_text="Escalate").click()
        expect(page.locator("#messages-C0PLAYESCL")).to_contain_text(f"Escalation: {FAILS}", timeout=WAIT_MS)
        expect(failing).to_contain_text("Escalated to support by", timeout=WAIT_MS)

        failing_ts = pg.stub.channel_messages("C0PLAYHELP")[-1]["ts"]
        page.locator("#messages-C0PLAYHELP").evaluate(_SCROLL_TO, f".msg[data-ts='{failing_ts}']")
        page.locator("#thread-messages").evaluate("el => el.scrollTop = 0")
        page.locator("#messages-C0PLAYESCL").evaluate("el => el.scrollTop = 0")
        page.mouse.move(0, height - 1)  # no hover highlight
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
    return has_checklist


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "playground.png")
    ap.add_argument("--require-checklist", action="store_true",
                    help=f"fail when the failing verdict has no {CHECKLIST_BUTTON!r} button")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"playground_screenshot: no chromium at {CHROMIUM} (make browser installs it)", file=sys.stderr)
        return 2
    bypass_proxy_for_loopback(os.environ)  # this process is the playground's: its traffic stays on loopback
    has_checklist = shoot(args.out)
    if not has_checklist:
        print(f"playground_screenshot: no {CHECKLIST_BUTTON!r} button on this branch: the picture has no checklist",
              file=sys.stderr)
        if args.require_checklist:
            return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
