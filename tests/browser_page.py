"""The playground page in headless Debian Chromium (Playwright), shared by the browser tests and bench/.

:func:`browser_session` starts Chromium once; :func:`open_page` opens a fresh context on a started :class:`~bot.playground.core.Playground`;
:func:`missing_glyphs` finds any character the page draws as an empty box (no font has it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WAIT_MS = 30_000
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "playground"  # screenshots (git-ignored)

# Every visible character outside ASCII is drawn on a canvas in its element's own font and compared,
# pixel for pixel, with a code point no font has (U+0378, unassigned): the browser draws that one as
# the "missing glyph" box, so a character drawn the same way has no font on this machine.
_MISSING_GLYPHS_JS = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = 56; canvas.height = 48;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (text, font) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = font; ctx.textBaseline = "top"; ctx.fillStyle = "#000";
    ctx.fillText(text, 4, 4);
    return ctx.getImageData(0, 0, canvas.width, canvas.height).data.join(",");
  };
  const segmenter = new Intl.Segmenter("en", {granularity: "grapheme"});
  const boxes = new Map(), verdicts = new Map(), missing = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || !el.getClientRects().length || el.closest("[hidden], script, style")) continue;
    const style = getComputedStyle(el);
    const font = `${style.fontStyle} ${style.fontWeight} 32px ${style.fontFamily}`;
    if (!boxes.has(font)) boxes.set(font, draw("\\u0378", font));
    for (const {segment} of segmenter.segment(walker.currentNode.data)) {
      if (/^[\\x00-\\x7f]*$/.test(segment) || /^[\\s\\p{Cf}]+$/u.test(segment)) continue;
      const key = font + "|" + segment;
      if (!verdicts.has(key)) verdicts.set(key, draw(segment, font) === boxes.get(font));
      if (verdicts.get(key)) missing.add(segment);
    }
  }
  return [...missing];
}
"""


def missing_glyphs(page: Any) -> list[str]:
    """Characters on the page that the browser can only draw as the missing-glyph box."""
    return list(page.evaluate(_MISSING_GLYPHS_JS))


def require_chromium() -> None:
    """Skip without Debian's chromium; in CI, fail instead (CI must run the browser tests)."""
    import os

    import pytest

    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (make test installs it with apt-get when it can)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser test")
        pytest.skip(reason)


def fonts_without_emoji(folder: Path) -> dict[str, str]:
    """Environment for a browser that sees every system font but the emoji one (a machine without it)."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>{folder / "cache"}</cachedir>
  <selectfont><rejectfont><glob>*Emoji*</glob><pattern><patelt name="family"><string>Noto Color Emoji</string>
  </patelt></pattern></rejectfont></selectfont>
</fontconfig>""")
    return {"FONTCONFIG_FILE": str(conf)}


@contextmanager
def browser_session(env: dict[str, str] | None = None) -> Iterator[Any]:
    """One headless Chromium (Playwright) for many pages: starting one costs seconds of CPU."""
    import os

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Headless new mode is Playwright's default for Chromium.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                    env={**os.environ, **(env or {})})
        browser.playwright = p  # for a second browser with another environment (see launch)
        try:
            yield browser
        finally:
            browser.close()


def launch(browser: Any, env: dict[str, str]) -> Any:
    """A second Chromium from the same Playwright, with extra environment (another machine's fonts)."""
    import os

    return browser.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                              env={**os.environ, **env})


@contextmanager
def open_page(pg: Any, browser: Any, *, width: int = 1700, height: int = 1000) -> Iterator[Any]:
    """A fresh context (no cookie, storage or cache of another page) showing ``pg``'s page; yields the
    Playwright page, with ``page.playground`` set to ``pg``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.playground = pg
        yield page
    finally:
        context.close()


def send(page: Any, text: str) -> None:
    """Type ``text`` in the channel's composer and press Enter."""
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")


def parent(page: Any, connection: str) -> Any:
    """The status message (a session's parent) of ``connection`` in #salesforce-help."""
    return page.locator("#messages-C0PLAYHELP .msg", has_text=f"Connection: {connection}").first
