"""The operator's HTTP port: /metrics (Prometheus), /healthz (alive), /readyz (ready to work).

/healthz answers 200 while the process serves requests: a liveness probe restarts a wedged one.
/readyz answers 200 only when the daemon can do its job: the database answers, the rules and
the model are loaded; else 503 with one line per problem (Docker HEALTHCHECK, Kubernetes
readiness). The server starts before the model loads, so a slow start is "not ready", not dead."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

logger = logging.getLogger(__name__)

Check = Callable[[], list[str]]  # the problems that make the daemon not ready ([]: ready)


class Readiness:
    """What /readyz reports: `starting` until the app is built, then the app's check."""

    def __init__(self) -> None:
        self._check: Check | None = None
        self.reason = "starting: loading the rules and the model"

    def ready_when(self, check: Check) -> None:
        self._check = check

    def problems(self) -> list[str]:
        if self._check is None:
            return [self.reason]
        try:
            return self._check()
        except Exception as e:  # a probe must answer, whatever the check ran into
            return [f"readiness check failed: {type(e).__name__}: {e}"]


class ProbeServer:
    def __init__(self, address: str, port: int, readiness: Readiness) -> None:
        self.readiness = readiness
        handler = _handler(readiness)
        self.httpd = ThreadingHTTPServer((address, port), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="probes",
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> ProbeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(readiness: Readiness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._send(200, encoder(REGISTRY), content_type)
            elif path == "/healthz":
                self._send(200, b"ok\n", "text/plain; charset=utf-8")
            elif path == "/readyz":
                problems = readiness.problems()
                body = json.dumps({"ready": not problems, "problems": problems}) + "\n"
                self._send(503 if problems else 200, body.encode(), "application/json")
            else:
                self._send(404, b"not found: try /metrics, /healthz or /readyz\n",
                           "text/plain; charset=utf-8")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # probes every few seconds
            logger.debug("probe: " + format, *args)

    return Handler
