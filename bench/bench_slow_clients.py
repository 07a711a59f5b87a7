"""Benchmark: ack latency of real commands while slow clients trickle request bodies.

Runs the Procfile's gunicorn command (or ``--server dev-server``), opens ``--slow`` connections
that each send their headers and then one body byte every 2 s, and meanwhile sends signed slash
commands one after another, printing their ack times. Slack gives up after 3 s.

    .venv/bin/python bench/bench_slow_clients.py [--slow 12] [--commands 10] [--server gunicorn]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "serve")]  # the shared helpers, and the guard test's trickler

import httpx  # noqa: E402

from bot_harness import CHANNEL, USER, bot_env, sign, toml_for  # noqa: E402
from procs import spawn_server, stop  # noqa: E402
from slack_stub import SlackStub  # noqa: E402
from test_http_guard import _Trickler  # noqa: E402

from checks.scenarios import World, by_name  # noqa: E402
from checks.simulator import SimServer, Simulator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=12)
    parser.add_argument("--commands", type=int, default=10)
    parser.add_argument("--server", choices=["gunicorn", "dev-server"], default="gunicorn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, SlackStub() as stub:
        tmp = Path(tmp_name)
        world = World(Simulator(), tmp / "world")
        (tmp / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
        with SimServer(world.sim) as server:
            proc, port = spawn_server(args.server, bot_env(tmp, stub, server.url, world.key_file), tmp / "bot.log")
            try:
                tricklers = [_Trickler(port) for _ in range(args.slow)]
                time.sleep(0.5)
                acks = []
                for i in range(args.commands):
                    body = urlencode({"command": "/aprity-diagnose", "text": "healthy", "user_id": USER,
                                      "channel_id": CHANNEL, "team_id": "T0EXAMPLE", "trigger_id": f"t.{i}",
                                      "response_url": stub.response_url(f"k{i}")})
                    t0 = time.perf_counter()
                    r = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=sign(body),
                                   timeout=30)
                    acks.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, r.status_code
                cut = sum(1 for t in tricklers if t.done.wait(15) and b" 408 " in t.answer[:20])
            finally:
                stop(proc)
    print(f"{args.server}: {args.slow} slow clients, {args.commands} commands: ack median "
          f"{statistics.median(acks):.0f} ms, max {max(acks):.0f} ms (Slack allows 3000 ms); "
          f"{cut}/{args.slow} slow clients cut off with 408")


if __name__ == "__main__":
    main()
