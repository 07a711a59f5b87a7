"""Entry points for the CLI: the interactive playground and the scripted tour."""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import threading
from collections.abc import MutableMapping
from pathlib import Path

import httpx

from bot.playground.core import Playground
from bot.playground.tour import SCRIPT_TIMING, TourNetworkError, run_tour

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bypass_proxy_for_loopback(environ: MutableMapping[str, str]) -> None:
    """Add the loopback names to ``NO_PROXY``/``no_proxy``, keeping what is already there.

    Everything the playground sends stays on this machine, but Slack's SDK (urllib) routes
    every request through ``HTTP(S)_PROXY`` unless ``no_proxy`` names the host: a corporate
    proxy would otherwise receive, and usually refuse, the bot's calls to the stand-in.
    """
    for name in ("NO_PROXY", "no_proxy"):
        have = [h.strip() for h in environ.get(name, "").split(",") if h.strip()]
        environ[name] = ",".join(have + [h for h in LOOPBACK if h not in have])


def _start(pg: Playground, how_to_change: str) -> Playground | None:
    """Started, or None after one line on stderr when the port cannot be had."""
    bypass_proxy_for_loopback(os.environ)  # this process's own environment: the playground is the program
    try:
        return pg.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = f"port {pg.port} is already in use"
        else:
            why = f"cannot listen on 127.0.0.1:{pg.port}: {exc.strerror or exc}"
        print(f"aprity-diagnose: {why}; choose another with {how_to_change}", file=sys.stderr)
        return None


def serve(port: int) -> int:
    """Run until interrupted; prints the URL first so a person (or a test) can open it."""
    with tempfile.TemporaryDirectory(prefix="aprity-playground-") as tmp:
        pg = _start(Playground(Path(tmp), port=port), "--port (make demo PORT=…)")
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
        pg = _start(Playground(Path(tmp), port=port, timing=SCRIPT_TIMING), "--port")
        if pg is None:
            return 2
        try:
            print(f"Playground: {pg.url} (scripted tour)", flush=True)
            run_tour(pg, sys.stdout)
        except (TimeoutError, AssertionError, TourNetworkError) as exc:
            print(f"aprity-diagnose: the tour stopped: {exc}", file=sys.stderr)
            return 1
        except httpx.HTTPError as exc:  # the playground's own loopback requests failed
            print(f"aprity-diagnose: the tour stopped: network problem on 127.0.0.1: {_one_line(exc)}",
                  file=sys.stderr)
            return 1
        finally:
            pg.close()
    return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
