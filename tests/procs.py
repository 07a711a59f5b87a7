"""The bot as a real process: the Procfile's gunicorn command or ``aprity-diagnose http``."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def procfile_command(process: str, port: int) -> list[str]:
    """The Procfile's line for ``process``, run with this interpreter, bound to loopback ``port``."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith(f"{process}:"))
    argv = shlex.split(line.split(":", 1)[1].replace("$PORT", str(port)))
    argv = [a.replace(f":{port}", f"127.0.0.1:{port}") if a == f":{port}" else a for a in argv]
    if argv[0] == "gunicorn":
        return [sys.executable, "-m", "gunicorn", *argv[1:]]
    if argv[0] == "aprity-diagnose":
        return [sys.executable, "-m", "bot", *argv[1:]]
    if argv[0] == "python":  # a Procfile platform runs the checkout with its interpreter
        return [sys.executable, *argv[1:]]
    raise AssertionError(f"unexpected Procfile command {argv[0]}")


def command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        return procfile_command("web", port)
    return [sys.executable, "-m", "bot", "http", "--port", str(port)]


def clean_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "APRITY_"))}
    full.update(env, **extra)
    full["PYTHONFAULTHANDLER"] = "1"  # a hung process (see stop) dumps every thread's stack to its log
    return full


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Its own process group, so a signal can reach every process as Heroku's would."""
    return subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)


def spawn_on(server: str, env: dict[str, str], log: Path, port: int) -> subprocess.Popen:
    """``server`` (``dev-server`` or the Procfile's ``gunicorn``) on ``port``, once it listens."""
    proc = spawn(command(server, port), clean_env(env, PORT=str(port), HOST="127.0.0.1",
                                                 APRITY_LOG_LEVEL="INFO"), log)

    def listening() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"bot exited early: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, 30, "the bot to listen")
    return proc


def spawn_server(server: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    return spawn_on(server, env, log, port), port


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *_children(proc.pid)]:
            os.kill(pid, signal.SIGABRT)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        raise


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its children (gunicorn's worker is a child of the arbiter)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:"))
    return total
