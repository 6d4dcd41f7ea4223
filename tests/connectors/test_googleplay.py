"""GooglePlayConnector driving the real google-play-scraper against a loopback batchexecute fake."""

from __future__ import annotations

import json
import ssl
import sys
import time
from datetime import UTC, datetime

import pytest

from connectors import registry
from connectors.googleplay import GooglePlayConnector
from monitor.errors import ConfigError, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.connectors.fakes_googleplay import (
    APP_ID,
    BASE_TIME,
    PATH,
    GooglePlayFake,
    Review,
    envelope,
    parse_request,
)
from tests.fakes.server import FakeServer, Response

QUERY = SourceQuery(brand="acme", query=APP_ID, params={"lang": "en", "country": "us"})



def connector(server: FakeServer, **options: object) -> GooglePlayConnector:
    return GooglePlayConnector.from_settings({"base_url": server.url, "timeout": 1, **options})


def reviews(n: int, *, start: int = 0) -> list[Review]:
    return [Review(f"gp:{i}", BASE_TIME + 60 * i) for i in range(start, start + n)]


def test_registry__googleplay_is_registered() -> None:
    assert registry.load("googleplay") is GooglePlayConnector
    assert GooglePlayConnector.keyword_source is False


def test_poll__maps_review_fields(server: FakeServer) -> None:
    GooglePlayFake(server).add(Review("gp:abc", BASE_TIME, stars=1, text="Broken", name="Ana",
                                      version="5.2.0", reply="Sorry! Please update."))
    batch = connector(server).poll([QUERY], None)
    (m,) = batch.mentions
    assert (m.source, m.external_id, m.kind, m.brand, m.lang) == (
        "googleplay", "gp:abc", "review", "acme", "en")
    assert (m.text, m.rating, m.author.handle) == ("Broken", 1, "Ana")
    assert m.created_at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert m.url == f"https://play.google.com/store/apps/details?id={APP_ID}&reviewId=gp%3Aabc"
    assert m.extra["version"] == "5.2.0"
    assert m.extra["replied_at"] == "2026-11-20T13:00:00+00:00"
    assert batch.requests == 1
    # the library's own request, redirected: newest-first sort, lang and country in the URL
    (req,) = server.hits(PATH)
    assert req.query["hl"] == ["en"] and req.query["gl"] == ["us"]
    assert parse_request(req) == (APP_ID, 100, None)


def test_poll__times_are_utc_whatever_the_local_zone(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # the library builds naive local datetimes
    time.tzset()
    try:
        GooglePlayFake(server).add(Review("gp:tz", BASE_TIME))
        (m,) = connector(server).poll([QUERY], None).mentions
    finally:
        monkeypatch.undo()
        time.tzset()
    assert m.created_at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_poll__pagination_uses_continuation_token_up_to_max_pages(server: FakeServer) -> None:
    GooglePlayFake(server).add(*reviews(7))
    batch = connector(server, page_size=2, max_pages=3).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["gp:6", "gp:5", "gp:4", "gp:3", "gp:2",
                                                       "gp:1"]
    assert batch.requests == 3
    assert [parse_request(r)[2] for r in server.hits(PATH)] == [None, "Cp2", "Cp4"]


def test_poll__second_poll_with_cursor_yields_only_new(server: FakeServer) -> None:
    fake = GooglePlayFake(server)
    fake.add(*reviews(5))
    conn = connector(server, page_size=2)
    first = conn.poll([QUERY], None)
    again = conn.poll([QUERY], first.next_cursor)
    assert again.mentions == () and again.requests == 1
    fake.add(*reviews(3, start=10))
    third = conn.poll([QUERY], again.next_cursor)
    assert [m.external_id for m in third.mentions] == ["gp:12", "gp:11", "gp:10"]
    assert third.requests == 2  # stops at the watermark on page 2
    assert conn.poll([QUERY], third.next_cursor).mentions == ()


def test_poll__review_in_the_same_second_as_the_watermark_is_new(server: FakeServer) -> None:
    fake = GooglePlayFake(server)
    fake.add(Review("gp:a", BASE_TIME))
    conn = connector(server)
    first = conn.poll([QUERY], None)
    fake.add(Review("gp:b", BASE_TIME))
    second = conn.poll([QUERY], first.next_cursor)
    assert [m.external_id for m in second.mentions] == ["gp:b"]
    assert json.loads(second.next_cursor or "")["apps"][f"{APP_ID}:en:us"]["ids"] == [
        "gp:a", "gp:b"]
    assert conn.poll([QUERY], second.next_cursor).mentions == ()


def test_poll__malformed_reviews_dropped_rest_kept(server: FakeServer) -> None:
    GooglePlayFake(server).add(Review("gp:ok", BASE_TIME + 5), Review("gp:stars", BASE_TIME + 4,
                               stars=9), Review("gp:empty", BASE_TIME + 3, text=""))
    batch = connector(server).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["gp:ok"]
    assert batch.dropped == {"bad_rating": 1, "empty_review": 1}


def test_poll__app_without_reviews_or_unknown_is_empty(server: FakeServer) -> None:
    GooglePlayFake(server).add(app_id="com.acme.quiet")
    conn = connector(server, apps=[{"id": "com.acme.quiet", "brand": "acme"}])
    batch = conn.poll([SourceQuery("acme", "com.acme.unknown")], None)
    assert batch.mentions == () and batch.requests == 2


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (Response(503, "<html>Service Unavailable</html>"), SourceError, "HTTP 503"),
        (Response(500, "oops"), SourceError, "HTTP 500"),
        (Response(401, "denied"), SourceAuthError, "HTTP 401"),
        (Response(403, "denied"), SourceAuthError, "HTTP 403"),
        (Response(200, "<html>consent page</html>"), SourceError, "prefix"),
        (Response(200, ")]}'\n\n[[\"wrb.fr\",\"oCPfdb\",\"[[[\""), SourceError, "malformed"),
        (Response(200, envelope(None)[:-10]), SourceError, "malformed"),
        (Response(200, envelope([]).replace("\n\n", "\n", 1)), SourceError, "prefix"),
    ],
)
def test_poll__errors_the_library_would_swallow_raise(
    server: FakeServer, response: Response, error: type[Exception], message: str
) -> None:
    server.route("POST", PATH, response)
    with pytest.raises(error, match=message):
        connector(server).poll([QUERY], None)


def test_poll__429_raises_rate_limited_with_retry_after(server: FakeServer) -> None:
    server.route("POST", PATH, Response(429, "slow", {"Retry-After": "90"}))
    with pytest.raises(RateLimited) as info:
        connector(server).poll([QUERY], None)
    assert info.value.retry_after == 90
    assert len(server.hits(PATH)) == 1  # no library retries hammering a rate-limited API


def test_poll__play_gateway_error_is_rate_limited(server: FakeServer) -> None:
    body = ")]}'\n\n[[\"er\",null,null,null,null,429,null,null,null,5],[\"e\",4,null,null,31," \
           "\"com.google.play.gateway.proto.PlayGatewayError\"]]"
    server.route("POST", PATH, Response(200, body))
    with pytest.raises(RateLimited) as info:
        connector(server, retry_after=123).poll([QUERY], None)
    assert info.value.retry_after == 123


def test_poll__timeout_raises_source_error(server: FakeServer) -> None:
    server.route("POST", PATH, Response(200, envelope([]), delay=1.5))
    with pytest.raises(SourceError, match=r"no answer within 0\.3s"):
        connector(server, timeout=0.3).poll([QUERY], None)


def test_load__import_does_not_disable_tls_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n.startswith("google_play_scraper")]:
        monkeypatch.delitem(sys.modules, name)  # force the library's import-time code to run
    sentinel = ssl.create_default_context
    monkeypatch.setattr(ssl, "_create_default_https_context", sentinel)
    conn = GooglePlayConnector.from_settings({})
    assert "google_play_scraper.utils.request" in sys.modules  # it really was imported again
    assert ssl._create_default_https_context is sentinel
    assert conn.scraper.reviews.__module__ == "google_play_scraper.features.reviews"


def test_poll__tls_context_unchanged_after_build_and_poll(server: FakeServer) -> None:
    before = ssl._create_default_https_context
    GooglePlayFake(server).add(*reviews(2))
    connector(server).poll([QUERY], None)
    assert ssl._create_default_https_context is before
    assert before is not ssl._create_unverified_context


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"apps": [{"id": "not an id", "brand": "acme"}]}, "sources.googleplay.apps[0].id"),
        ({"apps": [{"id": APP_ID, "brand": "acme", "lang": "english"}]},
         "sources.googleplay.apps[0].lang"),
        ({"page_size": 0}, "sources.googleplay.page_size"),
        ({"base_url": "play.google.com"}, "sources.googleplay.base_url"),
        ({"token": "x"}, "sources.googleplay.token"),
    ],
)
def test_from_settings__bad_keys_name_the_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        GooglePlayConnector.from_settings(options)
    assert info.value.key == key
