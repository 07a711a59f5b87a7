"""Wiring shared by the CLI and the Slack app: allowlist, transport, engine.

``APRITY_SALESFORCE_SIMULATOR`` (a loopback URL such as http://127.0.0.1:8443)
carries every allowed Salesforce request to a running ``aprity-diagnose
simulate`` instead of the internet, keeping the real host names, as a hosts-file
entry would. It widens nothing: the allowlist still decides what may be called.
"""

from __future__ import annotations

import os
import tempfile
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


_KEY_SHAPE = ("APRITY_PRIVATE_KEY must be the private key's PEM text (from its -----BEGIN line) or the base64 "
              "of the key file (base64 -w0 key.pem)")
_key_paths: dict[bytes, str] = {}  # one in-memory file per distinct key, for the life of the process


def key_from_env(value: str) -> bytes:
    """``APRITY_PRIVATE_KEY`` as key bytes: PEM text as given, or base64 of a PEM or DER key file.

    The key is checked here, so an unusable one stops start-up; the message names the variable
    and the problem, never a byte of the value."""
    from checks.crypto import keys, pem

    text = value.strip()
    if "-----BEGIN" in text:
        data = text.encode("utf-8", "replace") + b"\n"
    else:
        decoded = pem.base64_payload(text.encode("ascii", "replace"))
        if decoded is None:
            raise SettingsError(_KEY_SHAPE)
        data = decoded
    try:
        keys.parse_private_key(data)
    except keys.KeyProblem as exc:
        hint = " Give the PEM text with its line breaks, or the base64 of the key file." \
            if exc.code in ("escaped_newlines", "newlines_lost") else ""
        raise SettingsError(f"APRITY_PRIVATE_KEY: {exc.message}{hint}") from None
    return data


def key_file_for(data: bytes) -> str:
    """A path only this process can read that holds ``data``: the rest of the code reads keys from files.

    Linux: an anonymous memory file (memfd), never on a disk, gone with the process. Elsewhere:
    an owner-only temporary file, removed at exit."""
    if data in _key_paths:
        return _key_paths[data]
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("aprity-private-key")  # close-on-exec: no child process inherits it
        os.write(fd, data)
        path = f"/proc/self/fd/{fd}"
    else:  # pragma: no cover - macOS and friends
        import atexit
        import shutil

        folder = tempfile.mkdtemp(prefix="aprity-key-")  # 0700
        path = os.path.join(folder, "key.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        atexit.register(shutil.rmtree, folder, True)
    _key_paths[data] = path
    return path


def private_key_file(env: Mapping[str, str]) -> str | None:
    """aprity's default signing key: ``APRITY_PRIVATE_KEY`` (the key itself) or ``APRITY_PRIVATE_KEY_FILE``."""
    inline, file = (env.get("APRITY_PRIVATE_KEY") or "").strip(), env.get("APRITY_PRIVATE_KEY_FILE") or None
    if inline and file:
        raise SettingsError("set APRITY_PRIVATE_KEY or APRITY_PRIVATE_KEY_FILE, not both")
    return key_file_for(key_from_env(inline)) if inline else file


@dataclass(frozen=True)
class EngineSettings:
    connections_file: str | None
    private_key_file: str | None
    allowlist: Allowlist
    simulator_url: str | None
    run_deadline: float = DEFAULT_RUN_DEADLINE
    key_from_env: bool = False  # the default key came from APRITY_PRIVATE_KEY (its path means nothing to people)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "EngineSettings":
        try:
            allowlist = Allowlist.from_env(env.get("APRITY_EXTRA_LOGIN_HOSTS"))
        except UnsafeURL as exc:
            raise SettingsError(f"APRITY_EXTRA_LOGIN_HOSTS: {exc}") from None
        return cls(
            connections_file=env.get("APRITY_CONNECTIONS") or None,
            private_key_file=private_key_file(env),
            allowlist=allowlist,
            simulator_url=env.get("APRITY_SALESFORCE_SIMULATOR") or None,
            run_deadline=run_deadline(env.get("APRITY_RUN_DEADLINE")),
            key_from_env=bool((env.get("APRITY_PRIVATE_KEY") or "").strip()),
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
