"""Every request has a total deadline and a body cap; feeds are polled independently."""

from __future__ import annotations

import gzip
import logging
import threading

import pytest

from connectors.http import make_session, send
from connectors.rss import FeedConnector
from monitor.errors import SourceError
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response


def rss(guid: str) -> str:
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>N</title><item>"
            f"<title>Acme {guid}</title><link>https://news.example/{guid}</link>"
            f"<guid isPermaLink='false'>{guid}</guid>"
            "<pubDate>01 Nov 2026 10:00:00 GMT</pubDate><description>about Acme</description>"
            "</item></channel></rss>")


def feeds(server: FakeServer, *paths: str, **options: object) -> tuple[FeedConnector,
                                                                        list[SourceQuery]]:
    conn = FeedConnector.from_settings({"timeout": 0.5, **options})
    return conn, [SourceQuery(brand="acme", query=server.url + p) for p in paths]


def test_send__a_server_trickling_bytes_is_cut_off_at_the_deadline(server: FakeServer) -> None:
    # one byte every 0.1 s: each read comes well within the 0.5 s timeout, the whole answer
    # would take over 20 s; the deadline (3 x timeout) ends it
    server.route("GET", "/trickle", Response(200, "x" * 100, trickle=0.1))
    session = make_session(timeout=0.5)
    with pytest.raises(SourceError) as err:  # was: the whole answer, 20 s later
        send(session, "GET", server.url + "/trickle", source="rss", timeout=0.5, what="feed")
    assert str(err.value) == ("rss: feed: no complete answer within 1.5s; the server answers "
                              "too slowly")


def test_send__a_body_over_the_cap_is_refused(server: FakeServer) -> None:
    server.route("GET", "/big", Response(200, b"x" * 5000))
    session = make_session(timeout=5, max_bytes=1000)
    with pytest.raises(SourceError, match=r"feed: response of 5,000 bytes is larger than 1,000"):
        send(session, "GET", server.url + "/big", source="rss", timeout=5, what="feed")
    server.route("GET", "/small", Response(200, b"y" * 1000))  # up to the cap is fine
    assert send(session, "GET", server.url + "/small", source="rss", timeout=5).content == \
        b"y" * 1000


def test_send__the_cap_counts_decompressed_bytes(server: FakeServer) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 KB on the wire, 20 MB once inflated
    server.route("GET", "/gz", Response(200, bomb, {"Content-Encoding": "gzip"}))
    session = make_session(timeout=5)
    with pytest.raises(SourceError, match=r"response larger than 10,000,000 bytes; refused"):
        send(session, "GET", server.url + "/gz", source="rss", timeout=5)


def test_poll__a_50_mb_feed_is_refused_and_the_other_feeds_are_read(
        server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    server.route("GET", "/huge.xml", Response(200, b" " * 50_000_000,
                                              {"Content-Type": "application/rss+xml"}))
    server.route("GET", "/ok.xml", Response(200, rss("ok"), {"Content-Type": "text/xml"}))
    conn, queries = feeds(server, "/huge.xml", "/ok.xml")
    with caplog.at_level(logging.WARNING, logger="connectors.targeted"):
        batch = conn.poll(queries, None)
    assert [m.title for m in batch.mentions] == ["Acme ok"]
    assert batch.dropped == {"feed_failed": 1}
    assert "larger than 10,000,000" in caplog.text


def test_poll__a_trickling_feed_fails_alone_and_the_others_are_read(
        server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    server.route("GET", "/trickle.xml", Response(200, rss("slow"), {"Content-Type": "text/xml"},
                                                 trickle=0.1))
    server.route("GET", "/ok.xml", Response(200, rss("ok"), {"Content-Type": "text/xml"}))
    conn, queries = feeds(server, "/trickle.xml", "/ok.xml")
    with caplog.at_level(logging.WARNING, logger="connectors.targeted"):
        batch = conn.poll(queries, None)  # was: the trickling feed held the poll ~40 s
    assert [m.title for m in batch.mentions] == ["Acme ok"]
    assert batch.dropped == {"feed_failed": 1}
    assert "no complete answer within 1.5s" in caplog.text


def test_poll__feeds_are_fetched_at_the_same_time(server: FakeServer) -> None:
    """/first.xml answers only once /second.xml has been asked for: polled one after the
    other, /first.xml would time out waiting for a request that comes after it."""
    second_asked = threading.Event()

    def first(_req: Request) -> Response:
        second_asked.wait(5)
        return Response(200, rss("first"), {"Content-Type": "application/rss+xml"})

    def second(_req: Request) -> Response:
        second_asked.set()
        return Response(200, rss("second"), {"Content-Type": "application/rss+xml"})

    server.route("GET", "/first.xml", first)
    server.route("GET", "/second.xml", second)
    conn, queries = feeds(server, "/first.xml", "/second.xml", timeout=3)
    batch = conn.poll(queries, None)
    assert batch.dropped == {}
    assert sorted(m.title or "" for m in batch.mentions) == ["Acme first", "Acme second"]


def test_x_poll__a_trickling_api_is_cut_off_through_tweepy_too(fake_server: FakeServer) -> None:
    from tests.connectors.fakes_x import SEARCH, XFake, connector

    fake = XFake(fake_server)
    fake.server.route("GET", SEARCH, Response(200, {"meta": {"result_count": 0}}, trickle=0.1))
    with pytest.raises(SourceError, match="request failed: DeadlineExceeded"):
        connector(fake, timeout=0.5).poll([SourceQuery(brand="acme", query="acme")], None)
