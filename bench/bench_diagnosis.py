"""Benchmark: local checks, and full diagnoses against a simulator with network round trips.

The simulator's loopback server charges one round-trip time L per request and, as
HTTPS to Salesforce does, two more (TCP connect, then TLS) for every new connection.
Each diagnosis here starts cold (a new client, no open connection), as the CLI does, and
runs as in production: under the default run deadline, on a connection pool of its own.

The floor is the unavoidable sequential round trips: the exchange on a new connection
(3), then round 2 (probes or verification reads) if any: 1 when every host it calls
can be known from the login URL alone (so its connection can be opened while the
exchange is in flight), 3 when it needs the org's My Domain, learnt from the answer.
Target: wall ≤ 1.15 × floor × L.

    .venv/bin/python bench/bench_diagnosis.py [--latency 0.1] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webproc import machine  # noqa: E402

from bot.runtime import DEFAULT_RUN_DEADLINE  # noqa: E402
from checks.crypto import keys  # noqa: E402
from checks.crypto.assertion import claims_for, sign  # noqa: E402
from checks.engine import Engine  # noqa: E402
from checks.salesforce.hosts import LOGIN, TEST, Allowlist  # noqa: E402
from checks.salesforce.client import SalesforceClient  # noqa: E402
from checks.scenarios import SCENARIOS, World  # noqa: E402
from checks.simulator import LoopbackTransport, SimServer, Simulator  # noqa: E402

SHOWN = ("healthy", "healthy-my-domain", "not-preauthorized", "cert-regenerated")  # the summary's paths


def rounds(log: list[dict]) -> int:
    """Sequential rounds: requests that started after every earlier one had ended start a new round."""
    count, frontier = 0, float("-inf")
    for entry in sorted(log, key=lambda e: e["started"]):
        if entry["started"] >= frontier:
            count += 1
        frontier = max(frontier, entry["ended"]) if entry["started"] >= frontier else frontier
    return count


def floor_rtts(log: list[dict], login_url: str) -> int:
    """Unavoidable sequential round trips of one cold diagnosis, from its request log."""
    calls = sorted((e for e in log if e["method"] != "HEAD"), key=lambda e: e["started"])  # HEAD: warm-ups
    if not calls:
        return 0
    first_end = calls[0]["ended"]
    second = {e["host"] for e in calls[1:] if e["started"] >= first_end}
    knowable = {urlsplit(login_url).hostname, LOGIN, TEST}
    return 3 + (0 if not second else 1 if second <= knowable else 3)


def local_checks(world: World, client: SalesforceClient) -> None:
    healthy = next(s for s in SCENARIOS if s.name == "healthy").build(world)
    offline = replace(healthy, login_url="https://login.salesforce.com.invalid")  # every check, no call
    engine, samples, signing = Engine(client), [], []
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.1, help="round-trip time L in seconds")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lat = args.latency
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Simulator(connect_rtts=2), Path(tmp))
        with SimServer(world.sim) as server:
            with SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(server.url)) as client:
                local_checks(world, client)
            world.sim.latency = lat
            conns = [(s, s.build(world)) for s in SCENARIOS if s.name != "bad-key"]
            healthy = next(s for s in SCENARIOS if s.name == "healthy")
            org = world.org("globex")[0]
            conns.insert(1, (replace(healthy, name="healthy-my-domain"),
                             replace(conns[0][1], login_url=org.instance_url)))
            print(f"\ndiagnosis: round-trip time L = {lat * 1000:.0f} ms per request, TCP connect and TLS "
                  f"handshake; cold client each run; run deadline {DEFAULT_RUN_DEADLINE:g} s; median of {args.repeat}")
            print(f"{'scenario':<20} {'wall ms':>8} {'floor':>6} {'wall÷floor':>10} {'rounds':>6} "
                  f"{'requests':>8} {'conns':>5}")
            summary = []
            for scenario, conn in conns:
                walls, seen, opened = [], [], 0
                for _ in range(args.repeat):
                    client = SalesforceClient(Allowlist(), transport_factory=lambda: LoopbackTransport(server.url))
                    engine = Engine(client, clock=lambda o=scenario.clock_offset: time.time() + o,
                                    deadline=DEFAULT_RUN_DEADLINE)
                    before, conns_before = len(world.sim.log), server.connections
                    t0 = time.perf_counter()
                    engine.diagnose(conn)
                    walls.append(time.perf_counter() - t0)
                    time.sleep(lat * 4)  # let warm-ups still in flight land in this run's log
                    client.close()
                    seen, opened = world.sim.log[before:], server.connections - conns_before
                wall = statistics.median(walls)
                floor = floor_rtts(seen, conn.login_url)
                ratio = wall / (floor * lat) if floor else float("nan")
                print(f"{scenario.name:<20} {wall * 1000:>8.0f} {floor:>4}×L {ratio:>10.2f} {rounds(seen):>6} "
                      f"{len(seen):>8} {opened:>5}")
                if scenario.name in SHOWN:
                    summary.append(f"{scenario.name} {wall * 1000:.0f} ms = {ratio:.2f}× its {floor} round trips")
    print("requests include HEAD warm-ups (connections opened for round 2 while round 1 is in flight)")
    print("target wall ÷ floor ≤ 1.15: " + "; ".join(summary))
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
