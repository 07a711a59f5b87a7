"""Benchmark: ``aprity-diagnose --help`` start-up beside a bare interpreter (``python -c pass``).

Both run as fresh processes, alternately, from this virtualenv; the median of each is
compared. Target: ≤ 2.5 × the bare interpreter.

    .venv/bin/python bench/bench_cli.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webproc import machine  # noqa: E402

BIN = Path(sys.executable).parent


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    cli = BIN / "aprity-diagnose"
    if not cli.exists():
        raise SystemExit(f"{cli} not found: run `make test` (or pip install -e .) first")
    bare_argv, cli_argv = [sys.executable, "-c", "pass"], [str(cli), "--help"]
    timed(bare_argv), timed(cli_argv)  # page both into the OS cache
    bare, help_ = [], []
    for _ in range(args.runs):
        bare.append(timed(bare_argv))
        help_.append(timed(cli_argv))
    b, h = statistics.median(bare), statistics.median(help_)
    print(f"CLI start-up, median of {args.runs} fresh processes each")
    print(f"{'python -c pass (floor)':<28} {b:>7.1f} ms")
    print(f"{'aprity-diagnose --help':<28} {h:>7.1f} ms   = {h / b:.2f}× (target ≤ 2.5×) {'OK' if h / b <= 2.5 else 'OVER'}")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
