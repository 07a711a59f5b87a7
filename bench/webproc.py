"""The Procfile's web process for benchmarks: gunicorn with exactly the Procfile's settings.

Only the application spec can be swapped (the bare Bolt floor runs under the same
server settings), and ``$PORT`` is filled with a free loopback port.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BOT_APP = "bot.serve.wsgi:create()"


def procfile_web(app: str, port: int) -> list[str]:
    """The Procfile's ``web:`` command as argv, bound to loopback ``port``, serving ``app``."""
    line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines() if raw.startswith("web:"))
    argv = shlex.split(line.partition(":")[2].replace("$PORT", str(port)))
    argv = [f"127.0.0.1{a}" if a.startswith(":") else a for a in argv]  # ":PORT" listens on all interfaces
    specs = [a for a in argv if ":" in a and "(" in a or a == BOT_APP]
    assert specs == [BOT_APP], f"unexpected Procfile web line: {line}"
    argv[argv.index(BOT_APP)] = app
    exe = Path(sys.executable).parent / argv[0]
    return [str(exe) if exe.exists() else argv[0], *argv[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WebProcess:
    proc: subprocess.Popen
    port: int
    argv: list[str]
    log: Path  # gunicorn's stderr, for a failed run

    @classmethod
    def start(cls, app: str, env: dict[str, str], timeout: float = 60) -> "WebProcess":
        port = free_port()
        argv = procfile_web(app, port)
        path = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "bench"), env.get("PYTHONPATH")]))
        log = tempfile.NamedTemporaryFile("w+b", prefix="gunicorn-", suffix=".log", delete=False)
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": path},
                                stdout=subprocess.DEVNULL, stderr=log)
        web = cls(proc, port, argv, Path(log.name))
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(log.name).read_text()[-2000:]}")
            try:
                httpx.get(f"{web.url}", timeout=1)
                if web.worker_pid() is not None:
                    return web
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                web.stop()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def worker_pid(self) -> int | None:
        """The worker (the process that serves requests); gunicorn's master only supervises it."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def rss_mb(self) -> float:
        pid = self.worker_pid()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def machine() -> str:
    """One line naming the machine: CPU model, cores and load, for the table in docs/benchmarks.md."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load {load}, Python {sys.version.split()[0]}"
