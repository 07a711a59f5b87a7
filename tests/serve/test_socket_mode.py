"""``aprity-diagnose socket`` as a real process against a Slack stand-in: apps.connections.open on
the Web API stub, and a tiny local WebSocket server playing Slack's Socket Mode endpoint."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.simulator import SimServer
from procs import clean_env, procfile_command, spawn, stop, wait_until
from slack_stub import SlackStub
from socket_stub import APP_TOKEN, FakeSocketMode, SocketStub


@pytest.fixture
def fake_ws() -> Iterator[FakeSocketMode]:
    ws = FakeSocketMode()
    yield ws
    ws.close()


def _env(tmp_path: Path, stub: SlackStub, bot_token: str = "xoxb-test-token") -> dict[str, str]:
    return clean_env({"SLACK_BOT_TOKEN": bot_token, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": stub.url,
                      "APRITY_SUPPORT_CHANNEL": "C0ESCALATE", "APRITY_DB": str(tmp_path / "bot.db")})


def _run_to_exit(tmp_path: Path, stub: SlackStub, **env: str) -> tuple[int, str]:
    log = tmp_path / "socket.log"
    proc = spawn(procfile_command("worker", 0), _env(tmp_path, stub, **env), log)
    return proc.wait(30), log.read_text()


def test_rejected_app_token_is_one_line_and_exit_2(tmp_path) -> None:
    with SocketStub(ws_url=None) as stub:
        code, text = _run_to_exit(tmp_path, stub)
    assert code == 2 and text.strip() == "aprity-diagnose: Slack rejected SLACK_APP_TOKEN (invalid_auth)"


def test_rejected_bot_token_is_one_line_and_exit_2(tmp_path, fake_ws) -> None:
    with SocketStub(ws_url=fake_ws.url, tokens={"xoxb-the-real-one"}) as stub:
        code, text = _run_to_exit(tmp_path, stub)
        assert not stub.calls("apps.connections.open")  # stopped before opening a connection
    assert code == 2 and text.strip() == "aprity-diagnose: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"


def test_connected_is_logged_only_after_hello_and_sigterm_exits_cleanly(tmp_path, fake_ws) -> None:
    log = tmp_path / "socket.log"
    with SocketStub(ws_url=fake_ws.url) as stub:
        proc = spawn(procfile_command("worker", 0), _env(tmp_path, stub), log)
        try:
            assert fake_ws.connected.wait(20), log.read_text()
            time.sleep(0.5)  # room for a wrong "connected" line to show up
            assert "connected in Socket Mode" not in log.read_text()  # the WebSocket is open, but Slack has not said hello
            fake_ws.say_hello()
            wait_until(lambda: "connected in Socket Mode" in log.read_text(), what="the connected line")
        finally:
            code = stop(proc, signal.SIGTERM)
    assert code == 0 and "Traceback" not in log.read_text()


def test_sigterm_mid_run_lets_the_socket_mode_run_finish(tmp_path, fake_ws) -> None:
    """The Procfile's worker process at a deploy: the run in flight ends normally, nobody is told
    something went wrong, the process exits 0."""
    from bot_harness import all_text, toml_for
    from checks.scenarios import World, by_name
    from checks.simulator import Simulator

    world = World(Simulator(), tmp_path / "world")
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    log = tmp_path / "socket.log"
    world.sim.latency = 2.0  # the run outlasts closing the Socket Mode connection
    with SimServer(world.sim) as sim, SocketStub(ws_url=fake_ws.url) as stub:
        env = _env(tmp_path, stub)
        env.update(APRITY_CONNECTIONS=str(tmp_path / "connections.toml"), APRITY_PRIVATE_KEY_FILE=str(world.key_file),
                   APRITY_SALESFORCE_SIMULATOR=sim.url, APRITY_POST_INTERVAL="0", APRITY_SHUTDOWN_GRACE="20",
                   APRITY_STAFF_CHANNELS="C0SUPPORTQ")
        proc = spawn(procfile_command("worker", 0), env, log)
        try:
            assert fake_ws.connected.wait(20), log.read_text()
            fake_ws.say_hello()
            fake_ws.send({"type": "slash_commands", "envelope_id": "env-1", "accepts_response_payload": True,
                          "payload": {"command": "/aprity-diagnose", "text": "healthy", "user_id": "U0REQUESTER",
                                      "channel_id": "C0SUPPORTQ", "team_id": "T0EXAMPLE", "trigger_id": "t.1",
                                      "response_url": stub.response_url("k1")}})
            stub.wait_for("chat.postMessage", timeout=15)  # the parent is up: the run is going
        finally:
            code = stop(proc, signal.SIGTERM)
        assert code == 0
        parent = stub.accepted("chat.postMessage")[0]
        final = stub.message("C0SUPPORTQ", parent.response["ts"])
        assert final is not None and "✅" in all_text(final)
        assert not any("Something went wrong" in all_text(c.args) for c in stub.calls())
    assert "Traceback" not in log.read_text()


def test_health_port_says_slack_is_down_until_hello_then_200(tmp_path, fake_ws) -> None:
    """Socket Mode has no HTTP server of its own: APRITY_HEALTH_PORT serves GET /healthz. The database
    on a temporary path is said once at start-up."""
    import httpx

    from procs import free_port

    log = tmp_path / "socket.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"

    def health() -> httpx.Response | None:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            return None

    with SocketStub(ws_url=fake_ws.url) as stub:
        env = _env(tmp_path, stub)
        env.update(APRITY_HEALTH_PORT=str(port), HOST="127.0.0.1")
        proc = spawn(procfile_command("worker", 0), env, log)
        try:
            assert fake_ws.connected.wait(20), log.read_text()
            before = wait_until(health, what="the health port")
            assert before.status_code == 503 and "slack" in before.json()["down"]
            fake_ws.say_hello()
            after = wait_until(lambda: (r := health()) is not None and r.status_code == 200 and r,
                               what="a healthy answer")
            assert after.json() == {"status": "ok", "checks": {"database": "ok", "scheduler": "ok", "slack": "ok"}}
            assert httpx.get(url.replace("/healthz", "/slack/events"), timeout=5).status_code == 404
        finally:
            code = stop(proc, signal.SIGTERM)
    text = log.read_text()
    assert code == 0 and "Traceback" not in text
    assert text.count("APRITY_DB is in a temporary folder") == 1
