"""A loopback HTTP server for faking external APIs; real clients talk to it over TCP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (timeouts); uses an Event, not sleep
    reason: str | None = None  # the status line's reason phrase (default: the standard one)
    trickle: float = 0.0  # send the whole answer one byte at a time, this many seconds apart
    drop: bool = False  # close the connection without answering (after the work was done)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


def _always(resp: Response) -> Handler:
    def handler(_req: Request) -> Response:
        return resp

    return handler


class FakeServer:
    """Route (METHOD, path) or (METHOD, path-prefix + '*') to handlers; records every request.

    Use as a context manager; `url` is the base URL (http://127.0.0.1:PORT).
    """

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, Handler]] = []
        self.requests: list[Request] = []
        self._stop = threading.Event()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                server.requests.append(req)
                handler = server._find(req.method, req.path)
                resp = handler(req) if handler else Response(404, {"error": "no route"})
                if resp.delay:
                    server._stop.wait(resp.delay)
                if resp.drop:  # the client sees the connection close with no answer
                    self.close_connection = True
                    return
                data = resp.encoded()
                try:
                    self.send_response(resp.status, resp.reason)
                    headers = {"Content-Type": "application/json", **resp.headers}
                    if req.headers.get("connection", "").lower() == "close" or resp.trickle:
                        headers.setdefault("Connection", "close")
                        self.close_connection = True
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    if resp.trickle:
                        head, self._headers_buffer = b"".join(self._headers_buffer), []
                        for i, byte in enumerate(head + b"\r\n" + data):
                            if i and server._stop.wait(resp.trickle):
                                return
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        return
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}"

    def route(self, method: str, path: str, handler: Handler | Response) -> None:
        """Register a handler; a Response is served as-is every time. Later routes win."""
        h: Handler = handler if not isinstance(handler, Response) else _always(handler)
        self.routes.insert(0, (method.upper(), path, h))

    def _find(self, method: str, path: str) -> Handler | None:
        for m, p, h in self.routes:
            if m != method:
                continue
            if (p.endswith("*") and path.startswith(p[:-1])) or p == path:
                return h
        return None

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
