"""Benchmark: how fast the bot acks slash commands while diagnoses are running.

Slack gives up on a command after 3 s. Every diagnosis runs on the bot's own pool,
so acks should stay in the milliseconds however many runs are queued. This sends
bursts of signed slash commands through the real Bolt app (WSGI over loopback)
while the simulated Salesforce answers with latency, and prints ack percentiles.

    .venv/bin/python bench/bench_ack.py [--commands 40] [--latency 0.3] [--max-runs 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bot_harness import BotHarness, bot_env, toml_for  # noqa: E402
from slack_stub import SlackStub  # noqa: E402

from checks.scenarios import World  # noqa: E402
from checks.simulator import Simulator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--max-runs", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, SlackStub() as stub:
        tmp = Path(tmp_name)
        world = World(Simulator(latency=args.latency), tmp / "world")
        # one connection per command: a second command for a busy connection is only pointed to its thread
        conns = {f"c{i}": world.connection(f"c{i}", *world.org(
            f"bench{i}", app=None if i % 2 else {"profiles": frozenset()})) for i in range(args.commands)}
        (tmp / "connections.toml").write_text(toml_for(conns))
        with world.sim.serve() as server:
            env = bot_env(tmp, stub, server.url, world.key_file, APRITY_MAX_RUNS=str(args.max_runs),
                          APRITY_RETEST_DELAYS="3600")
            h = BotHarness.start(env, stub)
            try:
                def one(i: int) -> tuple[float, bool]:
                    t0 = time.perf_counter()
                    r = h.slash(f"c{i}")
                    return time.perf_counter() - t0, "queued" in r.text
                with ThreadPoolExecutor(8) as pool:
                    results = list(pool.map(one, range(args.commands)))
                t0 = time.perf_counter()
                h.wait_idle(600)
                drain = time.perf_counter() - t0
            finally:
                h.close()
    acks = sorted(r[0] * 1000 for r in results)
    queued = sum(1 for r in results if r[1])
    p95 = acks[max(0, int(len(acks) * 0.95) - 1)]
    print(f"{args.commands} slash commands, 8 at a time; Salesforce latency {args.latency * 1000:.0f} ms; "
          f"pool of {args.max_runs}")
    print(f"ack ms: median {statistics.median(acks):.1f}, p95 {p95:.1f}, max {acks[-1]:.1f} (Slack's limit: 3000)")
    print(f"{queued} answered 'queued'; all runs finished {drain:.1f} s after the last ack")


if __name__ == "__main__":
    main()
