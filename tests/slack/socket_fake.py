"""A loopback WebSocket endpoint speaking just enough of Slack's Socket Mode for the real client."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    """Accepts one client at a time: handshake, `hello`, then envelopes we send and the acks
    (`{"envelope_id": …}`) the client sends back."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._server.getsockname()[1]}/link/?ticket=fake"
        self.acks: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.acked = threading.Condition()
        self._conn: socket.socket | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def send(self, message: dict[str, Any]) -> None:
        assert self._conn is not None, "no client connected"
        self._frame(TEXT, json.dumps(message).encode())

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> bool:
        with self.acked:
            return self.acked.wait_for(
                lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout)

    def close(self) -> None:
        self._server.close()
        if self._conn is not None:
            self._conn.close()

    # -- the wire ---------------------------------------------------------------------------

    def _accept(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        self._conn = conn
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        headers = dict(line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if
                       ": " in line)
        key = headers.get("Sec-WebSocket-Key", "").strip()
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self.send({"type": "hello", "num_connections": 1,
                   "connection_info": {"app_id": "A0BRANDMON1"}})
        self.connected.set()
        with contextlib.suppress(OSError):  # the client went away: that is how it ends
            self._read(conn)
        self.closed.set()

    def _recv(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("client went away")
            data += chunk
        return data

    def _read(self, conn: socket.socket) -> None:
        while True:
            b1, b2 = self._recv(conn, 2)
            opcode, length = b1 & 0x0F, b2 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._recv(conn, 2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._recv(conn, 8))[0]
            mask = self._recv(conn, 4) if b2 & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._recv(conn, length)))
            if opcode == PING:
                self._frame(PONG, payload)
            elif opcode == CLOSE:
                self._frame(CLOSE, payload[:2])
                return
            elif opcode == TEXT:
                with self.acked:
                    self.acks.append(json.loads(payload))
                    self.acked.notify_all()

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 1 << 16:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        with self._lock:
            assert self._conn is not None
            self._conn.sendall(head + payload)
