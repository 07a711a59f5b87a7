"""Wiring shared by the CLI and the Slack app: allowlist, transport, engine.

``APRITY_SALESFORCE_SIMULATOR`` (a loopback URL such as http://127.0.0.1:8443)
carries every allowed Salesforce request to a running ``aprity-diagnose
simulate`` instead of the internet, keeping the real host names, as a hosts-file
entry would. It widens nothing: the allowlist still decides what may be called.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checks.salesforce.hosts import Allowlist, UnsafeURL

if TYPE_CHECKING:  # httpx and the engine load only when an engine is made: the CLI starts fast
    import httpx

    from checks.engine import Engine


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line."""


DEFAULT_RUN_DEADLINE = 60.0


def run_deadline(value: str | None) -> float:
    """``APRITY_RUN_DEADLINE``: seconds one diagnosis may wait on Salesforce in all."""
    if value is None or not value.strip():
        return DEFAULT_RUN_DEADLINE
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise SettingsError(f"APRITY_RUN_DEADLINE must be seconds between 1 and 3600, e.g. 60 (got {value!r})")
    return seconds


@dataclass(frozen=True)
class EngineSettings:
    connections_file: str | None
    private_key_file: str | None
    allowlist: Allowlist
    simulator_url: str | None
    run_deadline: float = DEFAULT_RUN_DEADLINE

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "EngineSettings":
        try:
            allowlist = Allowlist.from_env(env.get("APRITY_EXTRA_LOGIN_HOSTS"))
        except UnsafeURL as exc:
            raise SettingsError(f"APRITY_EXTRA_LOGIN_HOSTS: {exc}") from None
        return cls(
            connections_file=env.get("APRITY_CONNECTIONS") or None,
            private_key_file=env.get("APRITY_PRIVATE_KEY_FILE") or None,
            allowlist=allowlist,
            simulator_url=env.get("APRITY_SALESFORCE_SIMULATOR") or None,
            run_deadline=run_deadline(env.get("APRITY_RUN_DEADLINE")),
        )

    def transport_factory(self) -> "Callable[[], httpx.BaseTransport] | None":
        """A fresh simulator transport per run (each run owns its connections), or None: the internet."""
        if not self.simulator_url:
            return None
        from functools import partial

        from checks.simulator import LoopbackTransport

        try:
            LoopbackTransport(self.simulator_url)  # checked once, here, so a bad value fails at start-up
        except ValueError as exc:
            raise SettingsError(f"APRITY_SALESFORCE_SIMULATOR: {exc}") from None
        return partial(LoopbackTransport, self.simulator_url)


def make_engine(settings: EngineSettings, *, transport: "httpx.BaseTransport | None" = None,
                clock: Callable[[], float] = time.time, surface: str = "cli") -> "Engine":
    """``transport``: one in-process transport shared by every run (tests, the playground).
    ``surface="slack"``: fix texts that a Slack reader can apply (no shell commands)."""
    from checks.engine import Engine
    from checks.salesforce.client import SalesforceClient

    if transport is not None:
        client = SalesforceClient(settings.allowlist, transport=transport)
    else:
        client = SalesforceClient(settings.allowlist, transport_factory=settings.transport_factory())
    return Engine(client, clock=clock, deadline=settings.run_deadline, surface=surface)
