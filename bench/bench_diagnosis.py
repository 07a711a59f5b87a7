"""Benchmark: local checks, and full diagnoses against a simulator with latency.

Prints, per scenario, the median wall time and wall ÷ (2 × latency): a diagnosis
makes at most two sequential rounds of Salesforce calls (the exchange, then
probes or verification in parallel), so the ratio should stay close to 1.
Also prints the rounds seen in the simulator's request log.

    .venv/bin/python bench/bench_diagnosis.py [--latency 0.2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dataclasses import replace

from checks import keys
from checks.assertion import claims_for, sign
from checks.engine import Engine
from checks.hosts import Allowlist
from checks.salesforce import SalesforceClient
from checks.scenarios import SCENARIOS, World
from checks.simulator import LoopbackTransport, Simulator


def rounds(log: list[dict]) -> int:
    """Sequential rounds: requests that started after every earlier one had ended start a new round."""
    count, frontier = 0, float("-inf")
    for entry in sorted(log, key=lambda e: e["started"]):
        if entry["started"] >= frontier:
            count += 1
        frontier = max(frontier, entry["ended"]) if entry["started"] >= frontier else frontier
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Simulator(), Path(tmp))
        with world.sim.serve() as server:
            client = SalesforceClient(Allowlist(), transport=LoopbackTransport(server.url))
            # Every local check (key, certificate, match, URL, steps) with no call: the URL is refused.
            healthy = next(s for s in SCENARIOS if s.name == "healthy").build(world)
            offline = replace(healthy, login_url="https://login.salesforce.com.invalid")
            engine = Engine(client)
            samples, signing = [], []
            key = keys.read_private_key(healthy.private_key_file)
            for _ in range(50):
                t0 = time.perf_counter()
                engine.diagnose(offline)
                samples.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                sign(claims_for(healthy.consumer_key, healthy.username, "https://login.salesforce.com", time.time()), key)
                signing.append((time.perf_counter() - t0) * 1000)
            local = statistics.median(samples) + statistics.median(signing)
            print(f"local checks (load key + certificate, compare, build steps, sign): median {local:.2f} ms "
                  f"over 50 runs (target < 20 ms)")
            world.sim.latency = args.latency
            print(f"\nsimulated latency {args.latency * 1000:.0f} ms per request; {args.repeat} runs each")
            print(f"{'scenario':<20} {'median ms':>10} {'÷ 2×lat':>8} {'rounds':>6} {'requests':>8}")
            for scenario in SCENARIOS:
                if scenario.name in ("bad-key",):
                    continue
                conn = scenario.build(world)
                engine = Engine(client, clock=lambda o=scenario.clock_offset: time.time() + o)
                walls, seen = [], []
                for _ in range(args.repeat):
                    before = len(world.sim.log)
                    t0 = time.perf_counter()
                    engine.diagnose(conn)
                    walls.append(time.perf_counter() - t0)
                    seen = world.sim.log[before:]
                wall = statistics.median(walls)
                print(f"{scenario.name:<20} {wall * 1000:>10.0f} {wall / (2 * args.latency):>8.2f} "
                      f"{rounds(seen):>6} {len(seen):>8}")
            client.close()


if __name__ == "__main__":
    main()
