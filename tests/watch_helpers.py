"""Watched connections in tests: a TOML with ``watch = true`` and the real bot watching "acme"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from checks.scenarios import World
from checks.simulator import SimServer, Simulator

from bot_harness import CHANNEL, BotHarness, bot_env, toml_for
from slack_stub import SlackStub

ALERTS = "C0ALERTSQ"
HOUR = 3600.0


def watched_toml(conns: dict, watched: set[str]) -> str:
    """The test TOML with ``watch = true`` in the tables named in ``watched``."""
    text = toml_for(conns)
    for name in watched:
        text = text.replace(f'[connections."{name}"]\n', f'[connections."{name}"]\nwatch = true\n')
    return text


@contextmanager
def watched_acme(tmp_path: Path) -> Iterator[dict]:
    """The real bot watching one working connection "acme", with the alert channel a staff channel
    (the access policy lets alerts name any connection there)."""
    world = World(Simulator(), tmp_path / "world")
    with SimServer(world.sim) as server, SlackStub() as stub:
        o, a, u = world.org("acme")
        conns = {"acme": world.connection("acme", o, a, u)}
        (tmp_path / "connections.toml").write_text(watched_toml(conns, {"acme"}))
        env = bot_env(tmp_path, stub, server.url, world.key_file, APRITY_ALERT_CHANNEL=ALERTS,
                      APRITY_STAFF_CHANNELS=f"{CHANNEL},{ALERTS}")
        h = BotHarness.start(env, stub)
        try:
            yield {"h": h, "world": world, "user": u, "stub": stub, "env": env, "conn": conns["acme"]}
        finally:
            h.close()
