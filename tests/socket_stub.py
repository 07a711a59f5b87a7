"""Slack's Socket Mode, played locally: a WebSocket endpoint that says hello when told, and the Web API
stand-in with apps.connections.open for one app token (used by the Socket Mode and installed-wheel tests)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from typing import Any

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
