"""A loopback HTTP server that refuses everything with one status and records the request lines it got:
a proxy that refuses the tunnel, or a host that is not the one a client meant to reach."""

from __future__ import annotations

import socket
import threading


class LoopbackRefuser:
    def __init__(self, status: str = "403 Forbidden") -> None:
        self._answer = f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []  # the first line of each request, e.g. "CONNECT host:443 HTTP/1.1"
        threading.Thread(target=self._serve, name="loopback-refuser", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(4096).decode("latin-1")
                self.lines.append(data.split("\r\n", 1)[0])
                conn.sendall(self._answer)

    def close(self) -> None:
        self.sock.close()
