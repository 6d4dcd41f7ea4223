"""AppStoreConnector against a loopback fake of Apple's customer-reviews RSS (JSON)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import registry
from connectors.appstore import AppStoreConnector
from monitor.errors import ConfigError, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.connectors.fakes_appstore import APP_ID, AppStoreFake, feed, review
from tests.fakes.server import FakeServer, Response

FIXTURES = Path(__file__).parent / "fixtures"
QUERY = SourceQuery(brand="acme", query=APP_ID, params={"country": "us"})



def connector(server: FakeServer, **options: object) -> AppStoreConnector:
    return AppStoreConnector.from_settings({"base_url": server.url, "timeout": 1, **options})


def route_json(server: FakeServer, country: str, app_id: str, body: object) -> None:
    path = f"/{country}/rss/customerreviews/page=1/id={app_id}/sortby=mostrecent/json"
    server.route("GET", path, Response(200, body))


def test_registry__appstore_is_registered() -> None:
    assert registry.load("appstore") is AppStoreConnector
    assert AppStoreConnector.keyword_source is False


def test_poll__maps_review_fields(server: FakeServer) -> None:
    fake = AppStoreFake(server)
    fake.add(review(7001, rating=1, title="Crash", content="It crashes.", author="kim",
                    version="4.2.1", updated="2026-11-20T08:15:00-07:00"))
    batch = connector(server).poll([QUERY], None)
    (m,) = batch.mentions
    assert (m.source, m.external_id, m.kind, m.brand) == ("appstore", "7001", "review", "acme")
    assert (m.title, m.text, m.rating) == ("Crash", "It crashes.", 1)
    assert m.author.handle == "kim" and m.author.id == "7008"
    assert m.created_at == datetime(2026, 11, 20, 15, 15, tzinfo=UTC)
    assert m.extra["version"] == "4.2.1" and m.extra["country"] == "us"
    assert m.url == f"https://apps.apple.com/us/app/id{APP_ID}?see-all=reviews"
    assert batch.requests == 1


def test_poll__legacy_feed_skips_app_info_entry_and_drops_bad_rating(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    route_json(server, "gb", "900000002",
               json.loads((FIXTURES / "appstore_legacy_page.json").read_text()))
    conn = connector(server, apps=[{"id": "900000002", "country": "gb", "brand": "acme"}])
    with caplog.at_level(logging.WARNING, logger="connectors.appstore"):
        batch = conn.poll([], None)
    assert [m.external_id for m in batch.mentions] == ["1100000003", "1100000002"]
    assert batch.dropped == {"bad_rating": 1}
    assert "bad_rating" in caplog.text
    # no per-review date in legacy feeds: the feed's `updated` stands in, and says so
    first = batch.mentions[0]
    assert first.created_at == datetime(2026, 11, 18, 14, 17, 49, tzinfo=UTC)
    assert first.extra["date_estimated"] is True


def test_poll__empty_feed_without_entry_key(server: FakeServer) -> None:
    AppStoreFake(server)  # no reviews: Apple answers 200 with no `entry` at all
    batch = connector(server).poll([QUERY], None)
    assert batch.mentions == () and batch.requests == 1
    assert json.loads(batch.next_cursor or "{}") == {"apps": {}}


def test_poll__single_entry_object_not_list(server: FakeServer) -> None:
    route_json(server, "us", APP_ID, feed(review(42, rating=3)))
    batch = connector(server).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["42"]


def test_poll__pagination_follows_pages_up_to_max_pages(server: FakeServer) -> None:
    fake = AppStoreFake(server, page_size=2)
    fake.add(*(review(100 + i) for i in range(7)))  # 4 pages of 2
    batch = connector(server, max_pages=3).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["106", "105", "104", "103", "102", "101"]
    assert batch.requests == 3


def test_poll__stops_at_last_page_link(server: FakeServer) -> None:
    fake = AppStoreFake(server, page_size=2)
    fake.add(*(review(100 + i) for i in range(3)))  # 2 pages; `last` link says page=2
    batch = connector(server, max_pages=10).poll([QUERY], None)
    assert len(batch.mentions) == 3 and batch.requests == 2


def test_poll__second_poll_with_cursor_yields_only_new(server: FakeServer) -> None:
    fake = AppStoreFake(server, page_size=2)
    fake.add(*(review(100 + i) for i in range(5)))
    conn = connector(server)
    first = conn.poll([QUERY], None)
    again = conn.poll([QUERY], first.next_cursor)
    assert again.mentions == () and again.requests == 1  # stops on the first page
    fake.add(review(200), review(201))
    third = conn.poll([QUERY], again.next_cursor)
    assert [m.external_id for m in third.mentions] == ["201", "200"]
    assert third.requests == 2  # the new page, then the watermark on page 2
    assert conn.poll([QUERY], third.next_cursor).mentions == ()


def test_poll__config_and_query_targets_each_get_their_brand(server: FakeServer) -> None:
    fake = AppStoreFake(server)
    fake.add(review(1), app_id="111")
    fake.add(review(2), app_id="222", country="de")
    conn = connector(server, apps=[{"id": "111", "brand": "acme"}])
    batch = conn.poll([SourceQuery("globex", "222", {"country": "de"})], None)
    assert {(m.external_id, m.brand) for m in batch.mentions} == {("1", "acme"), ("2", "globex")}


def test_poll__unknown_app_is_skipped_not_fatal(server: FakeServer) -> None:
    fake = AppStoreFake(server)
    fake.add(review(1))
    server.route("GET", "/us/rss/customerreviews/page=1/id=404404/sortby=mostrecent/json",
                      Response(404, "not found"))
    batch = connector(server).poll([SourceQuery("x", "404404"), QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["1"]
    assert batch.dropped == {"app_not_found": 1}


def test_poll__one_failing_app_does_not_stop_the_others(server: FakeServer) -> None:
    fake = AppStoreFake(server)
    fake.add(review(1))
    server.route("GET", "/us/rss/customerreviews/page=1/id=500500/sortby=mostrecent/json",
                 Response(503, "busy"))
    batch = connector(server).poll([SourceQuery("x", "500500"), QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["1"]
    assert batch.dropped == {"app_failed": 1}
    marks = json.loads(batch.next_cursor or "")["apps"]
    assert "500500:us" not in marks and f"{APP_ID}:us" in marks  # the failed app is retried


def test_poll__a_rate_limit_on_one_app_fails_the_whole_poll(server: FakeServer) -> None:
    fake = AppStoreFake(server)
    fake.add(review(1))
    server.route("GET", "/us/rss/customerreviews/page=1/id=429429/sortby=mostrecent/json",
                 Response(429, "slow down", {"Retry-After": "60"}))
    with pytest.raises(RateLimited):
        connector(server).poll([SourceQuery("x", "429429"), QUERY], None)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (Response(401, {"error": "unauthorized"}), SourceAuthError),
        (Response(403, "forbidden"), SourceAuthError),
        (Response(503, "busy"), SourceError),
        (Response(200, b'{"feed": {"entry": [', {"Content-Type": "text/javascript"}), SourceError),
        (Response(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}), SourceError),
        (Response(200, {"not_a_feed": True}), SourceError),
    ],
)
def test_poll__http_and_payload_failures_raise(
    server: FakeServer, response: Response, error: type[Exception]
) -> None:
    server.route("GET", "/us/rss/*", response)
    with pytest.raises(error):
        connector(server).poll([QUERY], None)


def test_poll__429_raises_rate_limited_with_retry_after(server: FakeServer) -> None:
    server.route("GET", "/us/rss/*", Response(429, "slow down", {"Retry-After": "120"}))
    with pytest.raises(RateLimited) as info:
        connector(server).poll([QUERY], None)
    assert info.value.retry_after == 120


def test_poll__timeout_raises_source_error(server: FakeServer) -> None:
    server.route("GET", "/us/rss/*", Response(200, feed(None), delay=1.5))
    conn = connector(server, timeout=0.3)
    with pytest.raises(SourceError, match=r"no answer within 0\.3s"):
        conn.poll([QUERY], None)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"apps": [{"id": "abc", "brand": "acme"}]}, "sources.appstore.apps[0].id"),
        ({"apps": [{"id": "1"}]}, "sources.appstore.apps[0].brand"),
        ({"max_pages": 11}, "sources.appstore.max_pages"),
        ({"timeout": 0}, "sources.appstore.timeout"),
        ({"app": []}, "sources.appstore.app"),
    ],
)
def test_from_settings__bad_keys_name_the_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        AppStoreConnector.from_settings(options)
    assert info.value.key == key


def test_poll__unreadable_cursor_starts_afresh(server: FakeServer) -> None:
    AppStoreFake(server).add(review(9))
    batch = connector(server).poll([QUERY], "not json")
    assert [m.external_id for m in batch.mentions] == ["9"]


def test_poll__404_past_the_first_page_ends_paging_and_keeps_results(server: FakeServer) -> None:
    body = feed([review(i) for i in (12, 11)], last=5)  # claims more pages than it serves
    route_json(server, "us", APP_ID, body)
    batch = connector(server).poll([QUERY], None)  # page 2: no route -> 404
    assert [m.external_id for m in batch.mentions] == ["12", "11"]
    assert batch.requests == 2 and batch.dropped == {}


def test_poll__invalid_rules_targets_are_ignored_with_a_warning(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    AppStoreFake(server).add(review(3))
    bad = [SourceQuery("acme", "com.acme.app"), SourceQuery("acme", APP_ID, {"country": "usa"})]
    batch = connector(server).poll([*bad, QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["3"] and batch.requests == 1
    assert caplog.text.count("ignoring app") == 2
