"""The package as a platform installs it: scripts/install-wheel.sh (the Dockerfile's install step) builds the
wheel and installs it, non-editable, into a fresh virtualenv outside the checkout. From a working directory
that is not the checkout, the installed command starts the bot over HTTP (the development server and the
Procfile's gunicorn), in Socket Mode and the playground, each proven alive by what it serves.

Docker itself is not run here (no engine on CI's machine): the image runs this same script."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from procs import free_port, stop, wait_until
from slack_stub import SlackStub
from socket_stub import APP_TOKEN, FakeSocketMode, SocketStub

ROOT = Path(__file__).resolve().parents[2]
HEALTHY = {"status": "ok", "checks": {"database": "ok", "scheduler": "ok", "slack": "ok"}}


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """One install per module; pip's cache makes a second run quick."""
    where = tmp_path_factory.mktemp("installed") / "venv"
    result = subprocess.run(["sh", str(ROOT / "scripts" / "install-wheel.sh"), str(ROOT), str(where)],
                            env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return where


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory with nothing of the checkout in it."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "APRITY_", "PYTHON", "VIRTUAL_ENV")) and k not in ("PORT", "HOST")}
    return {**keep, "PYTHONFAULTHANDLER": "1", **extra}


def _spawn(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, cwd=cwd, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.TransportError:
        return None


def _healthy(url: str, proc: subprocess.Popen, log: Path) -> dict:
    def answered() -> httpx.Response | None:
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {log.read_text()[-2000:]}")
        r = _get(url)
        return r if r is not None and r.status_code == 200 else None

    return wait_until(answered, 60, f"200 from {url}").json()


def _bot_env(stub: SlackStub, tmp: Path, **extra: str) -> dict[str, str]:
    return _env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET="secret", SLACK_API_URL=stub.url,
                APRITY_SUPPORT_CHANNEL="C0ESCALATE", APRITY_DB=str(tmp / "data" / "bot.db"), HOST="127.0.0.1",
                **extra)


def test_installed_outside_the_checkout_with_its_data_files(venv, elsewhere) -> None:
    code = ("import bot, checks, importlib.resources as r; print(bot.__file__); print(checks.__file__); "
            "print(all((r.files('bot.playground') / 'static' / n).is_file() "
            "for n in ('index.html', 'app.js', 'app.css', 'blocks.js')))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=_env(), cwd=elsewhere,
                         capture_output=True, text=True, timeout=60)
    bot_file, checks_file, static = out.stdout.split()
    site = str(venv / "lib")
    assert bot_file.startswith(site) and checks_file.startswith(site) and static == "True", out.stdout + out.stderr
    assert not list((venv / "lib").glob("python*/site-packages/__editable__*"))  # a real install, not a link


def test_help_and_a_local_command_run_from_anywhere(venv, elsewhere) -> None:
    cli = str(venv / "bin" / "aprity-diagnose")
    helped = subprocess.run([cli, "--help"], env=_env(), cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "connections" in helped.stdout and "backup" in helped.stdout
    explained = subprocess.run([cli, "explain", "--json", "user hasn't approved this consumer"], env=_env(),
                               cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert explained.returncode == 0 and json.loads(explained.stdout)["candidates"]


def test_http_dev_server_answers_healthz(venv, elsewhere, tmp_path) -> None:
    port, log = free_port(), tmp_path / "http.log"
    with SlackStub() as stub:
        proc = _spawn([str(venv / "bin" / "aprity-diagnose"), "http", "--port", str(port)],
                      _bot_env(stub, tmp_path), elsewhere, log)
        try:
            assert _healthy(f"http://127.0.0.1:{port}/healthz", proc, log) == HEALTHY
        finally:
            assert stop(proc) == 0
    assert (tmp_path / "data" / "bot.db").is_file()
    assert "Traceback" not in log.read_text()


def test_procfile_web_process_under_gunicorn_answers_healthz(venv, elsewhere, tmp_path) -> None:
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    port, log = free_port(), tmp_path / "gunicorn.log"
    argv = shlex.split(line.split(":", 1)[1].replace("$PORT", str(port)))
    argv = [f"127.0.0.1{a}" if a == f":{port}" else a for a in argv]
    with SlackStub() as stub:
        proc = _spawn([str(venv / "bin" / argv[0]), *argv[1:]], _bot_env(stub, tmp_path), elsewhere, log)
        try:
            assert _healthy(f"http://127.0.0.1:{port}/healthz", proc, log) == HEALTHY
        finally:
            assert stop(proc) == 0
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("APRITY_DB is in a temporary folder") == 1  # the one start-up warning


def _docker_healthcheck(venv: Path, port: int) -> int:
    """The Dockerfile's HEALTHCHECK command, run with the installed interpreter: its exit code."""
    line = next(l for l in (ROOT / "Dockerfile").read_text().split("HEALTHCHECK", 1)[1].splitlines()
                if l.strip().startswith("CMD"))
    argv = json.loads(line.strip().removeprefix("CMD").strip())
    assert argv[0] == "python"
    return subprocess.run([str(venv / "bin" / "python"), *argv[1:]], env=_env(APRITY_HEALTH_PORT=str(port)),
                          capture_output=True, timeout=60).returncode


def test_socket_mode_answers_healthz_on_its_health_port(venv, elsewhere, tmp_path) -> None:
    """Also the Dockerfile's HEALTHCHECK command: failing before Slack's hello, passing after."""
    port, log = free_port(), tmp_path / "socket.log"
    ws = FakeSocketMode()
    try:
        with SocketStub(ws_url=ws.url) as stub:
            env = _bot_env(stub, tmp_path, SLACK_APP_TOKEN=APP_TOKEN, APRITY_HEALTH_PORT=str(port))
            del env["SLACK_SIGNING_SECRET"]
            proc = _spawn([str(venv / "bin" / "aprity-diagnose"), "socket"], env, elsewhere, log)
            try:
                assert ws.connected.wait(60), log.read_text()
                wait_until(lambda: _get(f"http://127.0.0.1:{port}/healthz") is not None, 60, "the health port")
                assert _docker_healthcheck(venv, port) != 0  # 503: Slack has not said hello
                ws.say_hello()
                assert _healthy(f"http://127.0.0.1:{port}/healthz", proc, log) == HEALTHY
                assert _docker_healthcheck(venv, port) == 0
            finally:
                assert stop(proc, signal.SIGTERM) == 0
    finally:
        ws.close()
    assert "Traceback" not in log.read_text()


def test_playground_serves_its_page_and_the_bot(venv, elsewhere, tmp_path) -> None:
    port, log = free_port(), tmp_path / "playground.log"
    proc = _spawn([str(venv / "bin" / "aprity-diagnose"), "playground", "--port", str(port)], _env(), elsewhere, log)
    try:
        wait_until(lambda: "Playground: http" in log.read_text() or proc.poll() is not None, 60, "the playground")
        base = f"http://127.0.0.1:{port}"
        page = _get(base + "/")
        assert page is not None and page.status_code == 200 and "<html" in page.text.lower(), log.read_text()
        for asset in ("app.js", "app.css", "blocks.js"):
            assert _get(f"{base}/static/{asset}").status_code == 200
        state = _get(base + "/api/state")
        assert state is not None and state.status_code == 200 and isinstance(state.json(), dict)
    finally:
        assert stop(proc) == 0
    assert "Traceback" not in log.read_text()
