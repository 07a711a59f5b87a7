"""The playground's command adds the loopback names to NO_PROXY (its own process's environment); a test that
runs it in this process gets the variables back as they were."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _restore_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
