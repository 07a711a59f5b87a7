"""``aprity-diagnose socket`` as a real process against a Slack stand-in: apps.connections.open on
the Web API stub, and a tiny local WebSocket server playing Slack's Socket Mode endpoint."""

from __future__ import annotations

from checks.simulator import SimServer
import base64
import hashlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procs import clean_env, procfile_command, spawn, stop, wait_until
from slack_stub import SlackStub

APP_TOKEN = "xapp-1-test"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's fixed key suffix


class FakeSocketMode:
    """Accepts one WebSocket client and sends Slack's ``hello`` when :meth:`say_hello` is called."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._server.getsockname()[1]}/link/?ticket=t"
        self.connected = threading.Event()
        self._client: socket.socket | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        conn, _ = self._server.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n")
                   if line.lower().startswith("sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self._client = conn
        self.connected.set()
        try:
            while conn.recv(4096):  # the client's pings; never answered, never needed here
                pass
        except OSError:
            pass

    def send(self, message: dict[str, Any]) -> None:
        """One unmasked text frame, as a server sends it (RFC 6455 section 5.2)."""
        assert self._client is not None
        data = json.dumps(message).encode()
        if len(data) < 126:
            header = bytes([0x81, len(data)])
        else:
            header = bytes([0x81, 126]) + len(data).to_bytes(2, "big")
        self._client.sendall(header + data)

    def say_hello(self) -> None:
        self.send({"type": "hello", "num_connections": 1})

    def close(self) -> None:
        self._server.close()
        if self._client is not None:
            self._client.close()


class SocketStub(SlackStub):
    """The Web API stand-in, plus apps.connections.open for one app token."""

    def __init__(self, ws_url: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ws_url = ws_url

    def _answer(self, call, headers):  # noqa: ANN001
        if call.method != "apps.connections.open":
            return super()._answer(call, headers)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token != APP_TOKEN or self.ws_url is None:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        return 200, {"ok": True, "url": self.ws_url}, {}


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
