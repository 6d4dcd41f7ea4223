"""HTTP mode: the triage app behind a small threaded WSGI server; bolt checks signatures."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

if TYPE_CHECKING:
    from slack_bolt import App

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client must not hold up the others or the shutdown


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def make_app_server(app: App, *, host: str = "0.0.0.0", port: int = 3000,
                    path: str = EVENTS_PATH) -> WSGIServer:
    """A server answering Slack's POSTs on `path` (401 for a bad signature) and GET /health.
    Call serve_forever(); shutdown() from another thread stops it."""
    bolt = SlackRequestHandler(app, path=path)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == "/health":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return bolt(environ, start_response)

    return make_server(host, port, wsgi, server_class=_ThreadingWSGIServer,
                       handler_class=_Handler)
