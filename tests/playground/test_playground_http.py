"""The playground's edges: who may call its page API, proxies, a taken port, and a tour that cannot reach the bot."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.playground import run
from bot.playground.core import Playground, Timing
from bot.terminal.cli import main

from loopback_refuser import LoopbackRefuser

ROOT = Path(__file__).resolve().parents[2]
def _require_installed_command() -> None:
    """`make demo` runs the venv's aprity-diagnose: skip without one, but never in CI (make test makes it)."""
    if not (Path(sys.executable).parent / "aprity-diagnose").exists():
        if os.environ.get("CI"):
            pytest.fail("aprity-diagnose is not installed beside this interpreter; CI must run the make demo tests")
        pytest.skip("aprity-diagnose is not installed beside this interpreter (run through make test)")


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    timing = Timing(propagation_delay=1.0, retest_delays=(60.0,), post_interval=0.0)
    with Playground(tmp_path_factory.mktemp("pg"), port=0, timing=timing) as playground:
        yield playground


@pytest.fixture
def refuser() -> Iterator[LoopbackRefuser]:
    r = LoopbackRefuser("502 Bad Gateway")
    yield r
    r.close()


def _post(pg: Playground, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(pg.url + "/api/command", content=content, headers=headers, trust_env=False)


@pytest.mark.parametrize("ctype", ["text/plain; charset=application/json", "text/plain", "application/jsonp",
                                   "application/json, text/plain", "application/x-www-form-urlencoded",
                                   "application/json; charset=utf-8", "application/json; x=1", ""])
def test_page_api_refuses_any_type_but_json(pg: Playground, ctype: str) -> None:
    r = _post(pg, b'{"text": "help"}', **{"Content-Type": ctype})
    assert r.status_code == 415 and "application/json" in r.json()["error"]


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a file:// page
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another port of this machine is the same site, not the same origin
    {"Origin": "https://127.0.0.1"},
])
def test_page_api_refuses_other_origins(pg: Playground, headers: dict[str, str]) -> None:
    before = len(pg.stub.ephemeral_messages())
    r = _post(pg, b'{"text": "help"}', **{"Content-Type": "application/json", **headers})
    assert r.status_code == 403
    assert len(pg.stub.ephemeral_messages()) == before  # the command never reached the bot


def test_page_api_refuses_another_local_port(pg: Playground) -> None:
    r = _post(pg, b'{"text": "help"}', **{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"})
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [
    {"Origin": "{url}", "Sec-Fetch-Site": "same-origin"},  # what the page's own fetch sends
    {},  # no browser: the tour, curl
    {"Content-Type": "Application/JSON", "Origin": "{url}"},  # media types are case-insensitive
])
def test_page_api_accepts_its_own_page(pg: Playground, headers: dict[str, str]) -> None:
    sent = {"Content-Type": "application/json", **{k: v.format(url=pg.url) for k, v in headers.items()}}
    r = _post(pg, b'{"text": "help"}', **sent)
    assert r.status_code == 200 and r.json() == {"status": 200}


def test_bypass_proxy_for_loopback_keeps_what_was_there() -> None:
    env = {"NO_PROXY": "corp.example, 127.0.0.1"}
    run.bypass_proxy_for_loopback(env)
    assert env["NO_PROXY"] == "corp.example,127.0.0.1,localhost,::1"
    assert env["no_proxy"] == "127.0.0.1,localhost,::1"


def test_the_tour_never_sends_loopback_traffic_to_a_configured_proxy(refuser: LoopbackRefuser) -> None:
    """A real process with every proxy variable set: Slack's SDK and httpx would both use it otherwise."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    env.update({name: f"http://127.0.0.1:{refuser.port}" for name in PROXY_VARS})
    proc = subprocess.run([sys.executable, "-m", "bot", "playground", "--script", "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "parent now: Connection check for not-preauthorized: works" in proc.stdout
    assert refuser.lines == []


def _tour_against(monkeypatch: pytest.MonkeyPatch, bot_url: str) -> None:
    """Play the tour with the page's requests sent to ``bot_url`` instead of the bot."""
    real = run.run_tour

    def tour(pg: Playground, out: object) -> None:
        assert pg.slack is not None
        pg.slack.bot_url = bot_url
        real(pg, out)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "run_tour", tour)


def test_the_tour_reports_a_refused_connection_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    _tour_against(monkeypatch, f"http://127.0.0.1:{port}/slack/events")
    assert main(["playground", "--script", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("aprity-diagnose: the tour stopped: network problem on 127.0.0.1:")


def test_the_tour_reports_a_foreign_answer_in_one_line(monkeypatch: pytest.MonkeyPatch, refuser: LoopbackRefuser,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _tour_against(monkeypatch, f"http://127.0.0.1:{refuser.port}/slack/events")
    assert main(["playground", "--script", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "network problem on 127.0.0.1: the command got HTTP 502" in err


@pytest.fixture
def busy_port() -> Iterator[int]:
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_a_taken_port_gets_one_line_and_starts_nothing(busy_port: int) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "playground", "--port", str(busy_port)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"aprity-diagnose: port {busy_port} is already in use; "
                           "choose another with --port (make demo PORT=…)\n")


def test_a_port_out_of_range_gets_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playground", "--port", "70000"]) == 2
    assert capsys.readouterr().err == "aprity-diagnose: --port must be between 0 and 65535, not 70000\n"


def _make(tmp_path: Path, *args: str) -> list[str]:
    """``make`` in the repository with this interpreter's venv, told not to (re)install it."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    target = venv / "bin" / "aprity-diagnose"
    if not target.exists():
        target.symlink_to(Path(sys.executable).parent / "aprity-diagnose")
    return ["make", "-C", str(ROOT), "-o", str(venv / ".installed"), f"VENV={venv}", *args]


def test_make_demo_with_a_taken_port_prints_one_line(tmp_path: Path, busy_port: int) -> None:
    _require_installed_command()
    proc = subprocess.run(_make(tmp_path, "--no-print-directory", "demo", f"PORT={busy_port}"),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"aprity-diagnose: port {busy_port} is already in use; "
                                        "choose another with --port (make demo PORT=…)"]


def test_make_demo_serves_on_the_port_given(tmp_path: Path) -> None:
    _require_installed_command()
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # free again: the playground takes it
    proc = subprocess.Popen(_make(tmp_path, "--no-print-directory", "demo", f"PORT={port}"), stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"Playground: http://127.0.0.1:{port}"
        assert "Salesforce admin" in httpx.get(f"http://127.0.0.1:{port}/", trust_env=False).text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
