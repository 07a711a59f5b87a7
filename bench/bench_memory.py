"""Benchmark: resident memory of the Procfile's web process, idle and after 500 diagnoses.

Starts gunicorn exactly as the Procfile does (bot and, for comparison, a Bolt app that
only acks), reads the worker's VmRSS when idle, then sends signed commands in batches
(staying under the bot's queue limit) until 500 diagnoses are recorded in SQLite, and
reads it again. Target: both figures < 120 MB.

    .venv/bin/python bench/bench_memory.py [--diagnoses 500] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from bench_ack import burst  # noqa: E402
from bot_harness import bot_env, toml_for  # noqa: E402
from slack_stub import SlackStub  # noqa: E402
from webproc import BOT_APP, WebProcess, machine  # noqa: E402

from checks.scenarios import World  # noqa: E402
from checks.simulator import SimServer, Simulator  # noqa: E402

LIMIT_MB = 120
BATCH = 50
# Distinct connections, each used once per batch cycle: a command for a connection whose run is still
# queued is only pointed to its thread, and each connection may start 6 diagnoses a minute.
CONNECTIONS = 2 * BATCH


def recorded_runs(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--diagnoses", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02, help="Salesforce round-trip time in seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, SlackStub() as stub:
        tmp = Path(tmp_name)
        world = World(Simulator(latency=args.latency, connect_rtts=2), tmp / "world")
        # Half healthy, half not pre-authorized (a failing verdict with its thread and retest).
        conns = {f"c{i}": world.connection(f"c{i}", *world.org(
            f"mem{i}", app=None if i % 2 else {"profiles": frozenset()})) for i in range(CONNECTIONS)}
        names = [f"c{i}" for i in range(CONNECTIONS)]
        (tmp / "connections.toml").write_text(toml_for(conns))
        with SimServer(world.sim) as server:
            # Retests far away and no per-channel pacing: 500 runs in one channel, measured, not paced.
            env = bot_env(tmp, stub, server.url, world.key_file, APRITY_RETEST_DELAYS="3600",
                          APRITY_POST_INTERVAL="0", APRITY_LOG_LEVEL="WARNING")
            env.pop("APRITY_MAX_RUNS", None)
            bare = WebProcess.start("bare_bolt:create()", env)
            try:
                burst(bare, stub, names[:2], "warm")
                time.sleep(1)
                bare_idle = bare.rss_mb()
            finally:
                bare.stop()
            bot = WebProcess.start(BOT_APP, env)
            db = tmp / "bot.db"
            try:
                time.sleep(1)
                idle = bot.rss_mb()
                t0 = time.monotonic()
                sent = 0
                while sent < args.diagnoses:
                    n = min(BATCH, args.diagnoses - sent)
                    start = sent % CONNECTIONS
                    burst(bot, stub, names[start:start + n], f"m{sent}.")
                    sent += n
                    while recorded_runs(db) < sent:  # every run of a batch ends before its names come back
                        if time.monotonic() - t0 > 900:
                            raise RuntimeError(f"only {recorded_runs(db)} of {sent} diagnoses recorded")
                        time.sleep(0.2)
                while recorded_runs(db) < args.diagnoses:
                    if time.monotonic() - t0 > 900:
                        raise RuntimeError(f"only {recorded_runs(db)} diagnoses recorded after 15 minutes")
                    time.sleep(0.2)
                took = time.monotonic() - t0
                time.sleep(1)
                after = bot.rss_mb()
            finally:
                bot.stop()
    print(f"memory of the web process (gunicorn worker VmRSS), Salesforce latency {args.latency * 1000:.0f} ms")
    print(f"{'':<38} {'RSS MB':>7}")
    print(f"{'bare Bolt, idle (floor)':<38} {bare_idle:>7.1f}")
    print(f"{'aprity-diagnose, idle':<38} {idle:>7.1f}")
    print(f"{f'aprity-diagnose, after {args.diagnoses} diagnoses':<38} {after:>7.1f}   ({took:.0f} s)")
    verdict = "OK" if max(idle, after) < LIMIT_MB else "OVER"
    print(f"target < {LIMIT_MB} MB idle and after {args.diagnoses}: {verdict}")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
