"""The demo: built-in broken orgs on the simulator, diagnosed over real loopback HTTP."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from checks.connections import Connection
from checks.engine import Engine
from checks.salesforce.hosts import Allowlist
from checks.model import Diagnosis
from checks.salesforce.client import SalesforceClient
from checks.scenarios import DEMO, SCENARIOS, Scenario, World
from checks.simulator import LoopbackTransport, SimServer, Simulator

from bot.terminal.render import diagnosis_text

INTRO = """\
aprity-diagnose demo: a simulated Salesforce (login, test and each org's My Domain)
answers over loopback HTTP; each org below is broken in one of the ways the support
guide describes. No credentials, nothing leaves this machine.
"""


def _diagnose(world: World, server_url: str, scenario: Scenario) -> Diagnosis:
    conn = scenario.build(world)
    offset = scenario.clock_offset
    client = SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(server_url))
    try:
        return Engine(client, clock=lambda: time.time() + offset).diagnose(conn)
    finally:
        client.close()


def run_demo(*, all_scenarios: bool = False, json_out: bool = False) -> int:
    chosen = SCENARIOS if all_scenarios else tuple(s for s in SCENARIOS if s.name in DEMO)
    with tempfile.TemporaryDirectory(prefix="aprity-demo-") as tmp:
        world = World(Simulator(), Path(tmp))
        with SimServer(world.sim) as server:
            if not json_out:
                print(INTRO)
            results = []
            for scenario in chosen:
                d = _diagnose(world, server.url, scenario)
                results.append({"scenario": scenario.name, **d.to_dict()})
                if not json_out:
                    print(f"━━ {scenario.title} ━━")
                    print(diagnosis_text(d))
                    print()
    if json_out:
        print(json.dumps(results, indent=2))
    elif not all_scenarios:
        print("More broken orgs: aprity-diagnose demo --all. Triage a pasted error: aprity-diagnose explain '...'")
    return 0


def connections_toml(conns: list[tuple[Scenario, Connection]]) -> str:
    """A connections file for the simulated orgs, so `check --connection NAME` works against them."""
    lines = []
    for scenario, c in conns:
        lines.append(f"[connections.{json.dumps(scenario.name)}]")
        for key in ("username", "login_url", "consumer_key", "private_key_file", "certificate_file", "connected_app"):
            value = getattr(c, key)
            if value is not None:
                lines.append(f"{key} = {json.dumps(str(value))}")
        lines.append("")
    return "\n".join(lines)


def serve_simulator(port: int, keys_folder: Path | None) -> int:
    """Run the simulator with every scenario's org until interrupted."""
    folder = keys_folder or Path(tempfile.mkdtemp(prefix="aprity-sim-"))
    world = World(Simulator(), folder)
    conns = [(s, s.build(world)) for s in SCENARIOS]
    toml = folder / "connections.toml"
    toml.write_text(connections_toml(conns))
    with SimServer(world.sim, port=port) as server:
        print(f"Simulated Salesforce on {server.url} (key files in {folder}).")
        print(f"Use it with: APRITY_SALESFORCE_SIMULATOR={server.url} APRITY_CONNECTIONS={toml}")
        print("  then: aprity-diagnose check --connection NAME [--json], one of:")
        for scenario, conn in conns:
            print(f"  {scenario.name:<20} {conn.username} at {conn.login_url} key={conn.consumer_key[:12]}…")
        sys.stdout.flush()  # a supervising process reads these lines through a pipe
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
