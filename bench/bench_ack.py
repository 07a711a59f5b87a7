"""Benchmark: a burst of slash commands acked by the Procfile's web process, beside bare Bolt.

Slack gives up on a command after 3 s, and commands arrive in bursts (a channel
where everyone retries at once). This starts gunicorn exactly as the Procfile does,
once with the bot and once with a Bolt app that only calls ``ack()`` (the floor), and
sends each the same burst of signed ``/aprity-diagnose`` commands at once, over fresh
connections like Slack's (the Procfile's ``--bind :$PORT`` is bound to loopback here).
Behind the bot the simulated Salesforce answers after ``--latency`` seconds, so the
diagnoses started by one burst are still queued on its pool when the next arrives.
Target: the bot's ack p99 ≤ 3 × bare Bolt's.

    .venv/bin/python bench/bench_ack.py [--commands 50] [--latency 1.0] [--rounds 2]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from bot_harness import CHANNEL, USER, bot_env, sign, toml_for  # noqa: E402
from slack_stub import SlackStub  # noqa: E402
from webproc import BOT_APP, WebProcess, machine  # noqa: E402

from checks.scenarios import World  # noqa: E402
from checks.simulator import SimServer, Simulator  # noqa: E402


ANSWERS: Counter[str] = Counter()  # what the acks said, across every burst


def _kind(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return "queued" if "queued" in text else "busy" if "busy" in text else "started" if text else "empty"


def burst(web: WebProcess, stub: SlackStub, names: list[str], tag: str) -> list[float]:
    """One signed command per connection name, released together; each one's ack time in ms."""
    n = len(names)
    bodies = [urlencode({
        "token": "legacy", "team_id": "T0EXAMPLE", "team_domain": "example", "channel_id": CHANNEL,
        "channel_name": "support", "user_id": USER, "user_name": "requester", "command": "/aprity-diagnose",
        "text": names[i], "api_app_id": "A0APRITY",
        "is_enterprise_install": "false", "response_url": stub.response_url(f"{tag}{i}"),
        "trigger_id": f"trigger.{tag}.{i}"}) for i in range(n)]
    signed = [(body, sign(body)) for body in bodies]
    gate = threading.Barrier(n + 1)
    times: list[float] = [0.0] * n
    failures: list[str] = []

    def one(i: int) -> None:
        body, headers = signed[i]
        conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        gate.wait()
        t0 = time.perf_counter()
        conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = conn.getresponse()
        answer = response.read()
        times[i] = (time.perf_counter() - t0) * 1000
        ANSWERS[f"{tag.rstrip('0123456789.')}: {_kind(answer)}"] += 1
        if response.status != 200:
            failures.append(str(response.status))
        conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} commands not acked with 200: {failures[:3]}")
    return sorted(times)


def pct(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q * len(sorted_ms)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2,
                        help="bursts per server, alternating which goes first (a third would exceed the "
                             "bot's 100 waiting runs and be answered \"busy\")")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, SlackStub() as stub:
        tmp = Path(tmp_name)
        world = World(Simulator(latency=args.latency), tmp / "world")
        # One connection per command: a second command for a connection already queued is only pointed to
        # its thread, so distinct connections are what puts a diagnosis behind every ack. Half are healthy,
        # half not pre-authorized.
        total = 2 + args.rounds * args.commands
        conns = {f"c{i}": world.connection(f"c{i}", *world.org(
            f"bench{i}", app=None if i % 2 else {"profiles": frozenset()})) for i in range(total)}
        names = iter(conns)
        (tmp / "connections.toml").write_text(toml_for(conns))
        with SimServer(world.sim) as server:
            env = bot_env(tmp, stub, server.url, world.key_file, APRITY_RETEST_DELAYS="3600",
                          APRITY_LOG_LEVEL="WARNING")
            for key in ("APRITY_MAX_RUNS", "APRITY_POST_INTERVAL"):
                env.pop(key, None)  # the production defaults
            bare = WebProcess.start("bare_bolt:create()", env)
            bot = WebProcess.start(BOT_APP, env)
            try:
                for web in (bare, bot):  # first requests import lazily-loaded code: not part of a burst
                    burst(web, stub, [next(names), next(names)] if web is bot else ["c0", "c1"], "warm")
                results: dict[str, list[list[float]]] = {"bare": [], "bot": []}
                for r in range(args.rounds):
                    order = ("bare", "bot") if r % 2 == 0 else ("bot", "bare")  # neither always goes first
                    for name in order:
                        batch = [next(names) for _ in range(args.commands)] if name == "bot" else \
                            [f"c{i}" for i in range(args.commands)]
                        results[name].append(burst(bare if name == "bare" else bot, stub, batch, f"{name}{r}."))
                    time.sleep(0.5)
            finally:
                bare.stop()
                bot.stop()
    print(f"ack burst: {args.commands} signed commands at once into `{' '.join(bot.argv[1:])}`; "
          f"Salesforce latency {args.latency:.1f} s, diagnoses queue behind the burst; {args.rounds} rounds")
    print(f"{'':<18} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    p99 = {}
    for name, label in (("bare", "bare Bolt (floor)"), ("bot", "aprity-diagnose")):
        for i, times in enumerate(results[name]):
            print(f"{label if i == 0 else '':<18} {pct(times, .5):>8.1f} {pct(times, .99):>8.1f} {times[-1]:>8.1f}")
        p99[name] = statistics.median(pct(t, .99) for t in results[name])
    ratio = p99["bot"] / p99["bare"]
    print(f"ack p99 (median of rounds): bot {p99['bot']:.1f} ms vs bare Bolt {p99['bare']:.1f} ms "
          f"= {ratio:.2f}× (target ≤ 3×) {'OK' if ratio <= 3 else 'OVER'}")
    print("acks said: " + ", ".join(f"{k} {v}" for k, v in sorted(ANSWERS.items()) if not k.startswith("warm")))
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
