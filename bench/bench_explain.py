"""Score ``explain`` on the labelled corpus (tests/checks/explain_corpus.py) and the held-out set
(bench/explain_holdout.py, two sets): top-1, top-3, empty answers, confident misses, overclaims.

    .venv/bin/python bench/bench_explain.py [--rows]

top-1: the labelled cause leads (negative controls: nothing, or "unknown", leads). top-3: it is among the first
three. empty: no candidate at all for a text that carries an error. confident miss: a ``high`` top-1 that is not
the labelled cause. overclaim: the right cause at ``high`` on a text labelled not decidable.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "checks"), str(ROOT / "bench")]

from checks.explain.reader import explain  # noqa: E402
from explain_corpus import CORPUS  # noqa: E402
from explain_holdout import HOLDOUT, HOLDOUT_2  # noqa: E402


def score(name: str, rows: list[tuple[str, str, str, bool]], show: bool) -> None:
    n = len(rows)
    top1 = top3 = empty = miss = over = 0
    start = time.perf_counter()
    lines = []
    for ident, text, want, decidable in rows:
        r = explain(text)
        got = [(str(c.id), str(c.confidence)) for c in r.candidates]
        ids = [c for c, _ in got]
        negative = want == "unknown" and not decidable
        ok1 = (not got or ids[0] == "unknown") if negative else bool(got) and ids[0] == want
        top1 += ok1
        top3 += ok1 or want in ids[:3]
        empty += not got and not negative
        miss += bool(got) and got[0][1] == "high" and ids[0] != want
        over += bool(got) and ids[0] == want and got[0][1] == "high" and not decidable
        if show or not ok1:
            lines.append(f"  {'ok ' if ok1 else 'MISS'} {ident}: want {want}{' (decidable)' if decidable else ''}; "
                         f"got {', '.join(c + '/' + k[0].upper() for c, k in got) or '—'}")
    ms = (time.perf_counter() - start) * 1000
    print(f"{name}: {n} texts — top-1 {top1}/{n}, top-3 {top3}/{n}, empty {empty}, confident misses {miss}, "
          f"overclaims {over} ({ms:.0f} ms)")
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", action="store_true", help="print every row, not only the misses")
    args = p.parse_args()
    score("corpus", [(e["id"], e["text"], e["cause"], e["decidable"]) for e in CORPUS], args.rows)
    score("holdout (the researcher's, seen by the vocabulary rule's author)", list(HOLDOUT), args.rows)
    score("holdout 2 (written after the implementation, never tuned)", list(HOLDOUT_2), args.rows)


if __name__ == "__main__":
    main()
