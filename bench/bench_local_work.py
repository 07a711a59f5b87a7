"""Benchmark: a diagnosis' own local work, before its first byte and after its last answer.

Salesforce here is the simulator behind real TLS, reached through an HTTPS proxy
(bench/tls_front.py): the diagnosing process runs as the CLI does against the internet,
with its own SSLContext over certifi's roots, the proxy tunnel and certificate checks.
Each scenario runs in a fresh process (``cold``: the CLI's case, the first diagnosis after
start-up; imports of the modules the command loads count as process start and are not
measured), then twice more in that process with the same engine (``warm``: the bot's case).

    set-up             settings read, client and engine made: once per process (the CLI's start-up,
                       the bot's start), so no diagnosis after it pays it; shown, not counted
    before first byte  from ``Engine.diagnose`` being called to the first TLS byte reaching Salesforce
    after last answer  from Salesforce's last answer byte to the diagnosis in hand, and to the
                       CLI's text rendered (``+render``)

Beside them, the round trips: sequential rounds, requests (HEAD warm-ups included) and
connections, and the wall time with round-trip time L per request (plus TCP connect and TLS
per new connection, as bench_diagnosis.py charges). Target: < 30 ms before and < 30 ms after.

    .venv/bin/python bench/bench_local_work.py [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_MS = 30.0


def child() -> None:
    """One scenario in this fresh process: what cmd_check does (trust store loading in the background,
    its imports), then timed diagnoses."""
    try:
        from checks.salesforce import trust
    except ImportError:  # an older engine (the "before" figures): no preload to start
        trust = None
    if trust is not None:
        trust.preload()
    import checks.engine  # noqa: F401 - make_engine's own imports: process start, like these
    import checks.salesforce.client  # noqa: F401
    from bot.runtime import EngineSettings, make_engine
    from bot.terminal.render import diagnosis_text
    from checks.connections import Connection

    spec = json.loads(sys.stdin.read())
    conn = Connection(name=spec["name"], username=spec["username"], consumer_key=spec["consumer_key"],
                      login_url=spec["login_url"], private_key_file=Path(spec["private_key_file"]),
                      certificate_file=Path(spec["certificate_file"]) if spec["certificate_file"] else None)
    offset = spec["offset"]
    runs, engine = [], None
    for _ in range(spec["runs"]):
        t_setup = time.monotonic()
        if engine is None:  # cold: settings read, client and engine made (the trust store loaded)
            engine = make_engine(EngineSettings.from_env(), clock=lambda: time.time() + offset)
        t0 = time.monotonic()
        diagnosis = engine.diagnose(conn)
        t_done = time.monotonic()
        diagnosis_text(diagnosis, verbose=False)
        runs.append({"setup": t0 - t_setup, "t0": t0, "done": t_done, "rendered": time.monotonic(), "ok": diagnosis.ok})
        time.sleep(spec["settle"])  # warm-ups still closing land before the next run starts
    engine.client.close()
    print(json.dumps(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.05, help="round-trip time L in seconds")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per scenario (median taken)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return

    from bench_diagnosis import SHOWN, rounds
    from tls_front import TLSFront
    from webproc import machine

    from checks.scenarios import SCENARIOS, World
    from checks.simulator import SimServer, Simulator

    lat = args.latency
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Simulator(connect_rtts=2, latency=lat), Path(tmp))
        with SimServer(world.sim) as server:
            front = TLSFront((server.host, server.port))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("APRITY_", "SLACK_"))
                   and k.lower() not in ("no_proxy", "http_proxy", "all_proxy")}
            env.update(HTTPS_PROXY=front.url, SSL_CERT_FILE=str(front.ca_bundle), SSL_CERT_DIR="")
            chosen = {s.name: s for s in SCENARIOS}
            healthy = chosen["healthy"]
            cases = [(healthy, healthy.build(world))]
            org = world.org("globex")[0]
            cases.append((replace(healthy, name="healthy-my-domain"), replace(cases[0][1], login_url=org.instance_url)))
            cases += [(chosen[n], chosen[n].build(world)) for n in SHOWN if n in chosen and n != "healthy"]
            print(f"local work of a diagnosis: HTTPS proxy + real TLS on loopback, certifi roots; L = "
                  f"{lat * 1000:.0f} ms per request, +2 L per new connection; median of {args.repeat} fresh "
                  "processes (cold) and of their next 2 runs (warm)")
            print(f"{'scenario':<19} {'':>4} {'set-up':>8} {'before 1st byte':>15} {'after last answer':>17} "
                  f"{'+render':>8} {'wall':>7} {'rounds':>6} {'requests':>8} {'conns':>5}")
            worst = {"before": 0.0, "after": 0.0}
            for scenario, conn in cases:
                spec = {"name": conn.name, "username": conn.username, "consumer_key": conn.consumer_key,
                        "login_url": conn.login_url, "private_key_file": str(conn.private_key_file),
                        "certificate_file": str(conn.certificate_file) if conn.certificate_file else None,
                        "offset": scenario.clock_offset, "runs": 3, "settle": lat * 4}
                samples: dict[str, list[dict]] = {"cold": [], "warm": []}
                for _ in range(args.repeat):
                    before_log, conns_before = len(world.sim.log), server.connections
                    out = subprocess.run([sys.executable, __file__, "--child"], input=json.dumps(spec), env=env,
                                         capture_output=True, text=True, check=True)
                    for i, run in enumerate(json.loads(out.stdout)):
                        first, last = front.window(run["t0"], run["done"])
                        log = [e for e in world.sim.log[before_log:] if run["t0"] <= e["started"] <= run["done"]]
                        samples["cold" if i == 0 else "warm"].append({
                            "setup": run["setup"] * 1000,
                            "before": (first - run["t0"]) * 1000 if first else float("nan"),
                            "after": (run["done"] - last) * 1000 if last else float("nan"),
                            "render": (run["rendered"] - run["done"]) * 1000,
                            "wall": (run["done"] - run["t0"]) * 1000,
                            "rounds": rounds(log), "requests": len(log)})
                    opened = (server.connections - conns_before) / len(json.loads(out.stdout))
                for kind, rows in samples.items():
                    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                    if kind == "cold":
                        worst = {k: max(worst[k], med[k]) for k in worst}
                    print(f"{scenario.name if kind == 'cold' else '':<19} {kind:>4} {med['setup']:>5.1f} ms "
                          f"{med['before']:>12.1f} ms {med['after']:>14.1f} ms {med['render']:>5.1f} ms "
                          f"{med['wall']:>4.0f} ms {med['rounds']:>6.0f} {med['requests']:>8.0f} {opened:>5.1f}")
            front.close()
    verdict = "OK" if worst["before"] < TARGET_MS and worst["after"] < TARGET_MS else "OVER"
    print(f"target: < {TARGET_MS:.0f} ms before the first byte and < {TARGET_MS:.0f} ms after the last answer "
          f"(cold, worst scenario): {worst['before']:.1f} ms / {worst['after']:.1f} ms {verdict}")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
