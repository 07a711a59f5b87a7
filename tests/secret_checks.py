"""What a leak looks like: fragments of aprity's key, the tokens the simulator issued, and the check."""

from __future__ import annotations

import re
from pathlib import Path


def key_fragments(key_file: Path) -> list[str]:
    lines = [ln for ln in key_file.read_text().splitlines() if ln and not ln.startswith("-----")]
    return lines + ["".join(lines)[100:140]]


def issued_tokens(world) -> list[str]:
    tokens = list(world.sim._tokens)  # the simulator's own record of what it handed out
    return tokens + [t.split("!", 1)[1] for t in tokens]


_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)


def assert_clean(blob: str, secrets: list[str]) -> None:
    assert not re.search(r"PRIVATE KEY-----\s*[A-Za-z0-9+/=]{40}", blob), "a PEM private key body leaked"
    for secret in secrets:
        assert secret not in blob, f"secret leaked: {secret[:6]}…"
