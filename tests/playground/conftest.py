"""Playground fixtures: the page in a browser, and NO_PROXY as it was.

The playground's command adds the loopback names to NO_PROXY (its own process's environment);
a test that runs it in this process gets the variables back as they were. Screenshots land in
artifacts/playground/ (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_page import ARTIFACTS, browser_session, open_page, require_chromium

from bot.playground.core import Playground, Timing


@pytest.fixture(autouse=True)
def _restore_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module; each page gets a fresh context."""
    require_chromium()
    with browser_session() as chromium:
        yield chromium


@pytest.fixture
def page(tmp_path: Path, browser: Any) -> Iterator[Any]:
    """The playground (fast timing) open in headless Chromium; JavaScript errors fail the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timing = Timing(propagation_delay=2.0, retest_delays=(4.0, 8.0, 16.0, 32.0), post_interval=0.0)
    with Playground(tmp_path / "pg", port=0, timing=timing) as pg, open_page(pg, browser) as pg_page:
        errors: list[str] = []
        pg_page.on("pageerror", lambda e: errors.append(str(e)))
        pg_page.goto(pg.url)
        try:
            yield pg_page
        finally:
            pg_page.screenshot(path=str(ARTIFACTS / "last.png"))
        assert not errors, f"JavaScript errors on the page: {errors}"
