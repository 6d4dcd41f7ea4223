"""Limits on one HTTP request: a total deadline from connect to the last byte, and a body cap.

requests' `timeout` bounds each socket read, so a server that sends a byte every few seconds
keeps a request alive for ever. Here a watchdog timer shuts the request's socket down when its
deadline passes (the blocked read returns at once), and the body is read in chunks up to a cap.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

CHUNK = 64 * 1024


class DeadlineExceeded(requests.Timeout):
    """The whole request (connect, headers, body) took longer than its deadline."""


class BodyTooLarge(requests.RequestException):
    """The response body is larger than the cap; it was not read to the end."""


class _Watch:
    """The deadline of the request one thread is making, and the connection carrying it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._conn: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conn = conn
            if self.expired:
                _shut(conn)

    def check(self) -> None:
        if self.expired or time.monotonic() > self.deadline:
            self.expired = True
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g}s")

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._conn is not None:
                _shut(self._conn)


def _shut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it


_current = threading.local()


def _attach(conn: Any) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _HTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)  # a kept-alive connection is reused without connect()
        super().request(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections the deadline watchdog can reach (plain and HTTP(S)
    proxies; a SOCKS proxy keeps its own connections, checked between body chunks only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


@contextmanager
def deadline(seconds: float) -> Iterator[_Watch]:
    """Within this block, this thread's request is cut off `seconds` after it began; a
    requests error caused by the cut is raised as DeadlineExceeded."""
    watch = _Watch(seconds)
    _current.watch = watch
    try:
        yield watch
    except (requests.RequestException, OSError) as exc:
        if watch.expired and not isinstance(exc, DeadlineExceeded):
            raise DeadlineExceeded(f"no complete answer within {seconds:g}s") from exc
        raise
    finally:
        watch.cancel()
        _current.watch = None


def read_capped(response: requests.Response, *, cap: int, watch: _Watch) -> None:
    """Read the body of a streamed response into `response.content`, at most `cap` bytes
    (after decompression); BodyTooLarge beyond, DeadlineExceeded past the deadline (also when
    the cut socket merely looked like the end of the headers or of the body)."""
    watch.check()
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        response.close()
        raise BodyTooLarge(f"response of {declared:,} bytes is larger than {cap:,}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > cap:
            response.close()
            raise BodyTooLarge(f"response larger than {cap:,} bytes")
        chunks.append(chunk)
        watch.check()
    watch.check()
    response._content = b"".join(chunks)  # what requests itself does when it reads the body
    response._content_consumed = True  # type: ignore[attr-defined]
