"""Entry points for the CLI: the interactive playground and the scripted tour."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from pathlib import Path

from bot.playground.core import Playground
from bot.playground.tour import SCRIPT_TIMING, run_tour


def _start(pg: Playground) -> Playground | None:
    """Started, or None after one line on stderr when the port cannot be had."""
    try:
        return pg.start()
    except OSError as exc:
        print(f"aprity-diagnose: cannot listen on 127.0.0.1:{pg.port}: {exc.strerror or exc} (try --port)",
              file=sys.stderr)
        return None


def serve(port: int) -> int:
    """Run until interrupted; prints the URL first so a person (or a test) can open it."""
    with tempfile.TemporaryDirectory(prefix="aprity-playground-") as tmp:
        pg = _start(Playground(Path(tmp), port=port))
        if pg is None:
            return 2
        try:
            print(f"Playground: {pg.url}", flush=True)
            print("The real bot on a stand-in Slack and a simulated Salesforce; Ctrl-C stops it.", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())  # clean up the temporary folder on kill too
            stop.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            pg.close()
    return 0


def script(port: int) -> int:
    """The scripted tour; 0 when every step happened, 1 otherwise."""
    with tempfile.TemporaryDirectory(prefix="aprity-playground-") as tmp:
        pg = _start(Playground(Path(tmp), port=port, timing=SCRIPT_TIMING))
        if pg is None:
            return 2
        try:
            print(f"Playground: {pg.url} (scripted tour)", flush=True)
            run_tour(pg, sys.stdout)
        except (TimeoutError, AssertionError) as exc:
            print(f"aprity-diagnose: the tour stopped: {exc}", file=sys.stderr)
            return 1
        finally:
            pg.close()
    return 0
