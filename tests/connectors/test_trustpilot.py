"""TrustpilotConnector against a loopback fake of the official business-unit reviews API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from connectors import registry
from connectors.trustpilot import TrustpilotConnector
from monitor.errors import ConfigError, NotConfigured, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.connectors.fakes_trustpilot import API_KEY, UNIT_ID, TrustpilotFake, review
from tests.fakes.server import FakeServer, Response

QUERY = SourceQuery(brand="acme", query=UNIT_ID)
ENV = {"TRUSTPILOT_API_KEY": API_KEY}



def connector(server: FakeServer, **options: object) -> TrustpilotConnector:
    return TrustpilotConnector.from_settings({"base_url": server.url, "timeout": 1, **options},
                                             environ=ENV)


def day(n: int) -> str:
    return f"2026-11-{n:02d}T10:00:00.000Z"


def test_registry__trustpilot_is_registered() -> None:
    assert registry.load("trustpilot") is TrustpilotConnector
    assert TrustpilotConnector.keyword_source is False


def test_poll__maps_review_fields_and_sends_key_in_header(server: FakeServer) -> None:
    TrustpilotFake(server).add(review("abc123", "2026-11-20T09:30:15.250Z", stars=2,
                                      title="Slow", text="Took a month.", name="Ravi K"))
    batch = connector(server).poll([QUERY], None)
    (m,) = batch.mentions
    assert (m.source, m.external_id, m.kind, m.brand, m.lang) == (
        "trustpilot", "abc123", "review", "acme", "en")
    assert (m.title, m.text, m.rating) == ("Slow", "Took a month.", 2)
    assert m.author.handle == "Ravi K" and m.author.id == "cabc123"
    assert m.created_at == datetime(2026, 11, 20, 9, 30, 15, 250000, tzinfo=UTC)
    assert m.url == "https://www.trustpilot.com/reviews/abc123"
    assert m.extra["business_unit"] == UNIT_ID and m.extra["verified"] is True
    (req,) = server.requests
    assert req.headers["apikey"] == API_KEY and "apikey" not in req.query
    assert req.query["perPage"] == ["100"] and req.query["orderBy"] == ["createdat.desc"]


def test_from_settings__missing_key_is_not_configured() -> None:
    with pytest.raises(NotConfigured, match="TRUSTPILOT_API_KEY"):
        TrustpilotConnector.from_settings({}, environ={})
    with pytest.raises(NotConfigured):
        TrustpilotConnector.from_settings({}, environ={"TRUSTPILOT_API_KEY": "  "})


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"business_units": [{"id": "acme.example/x", "brand": "acme"}]},
         "sources.trustpilot.business_units[0].id"),
        ({"business_units": [{"id": UNIT_ID}]}, "sources.trustpilot.business_units[0].brand"),
        ({"per_page": 500}, "sources.trustpilot.per_page"),
        ({"apikey": "x"}, "sources.trustpilot.apikey"),
    ],
)
def test_from_settings__bad_keys_name_the_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrustpilotConnector.from_settings(options, environ=ENV)
    assert info.value.key == key


def test_poll__pages_by_number_until_no_next_page(server: FakeServer) -> None:
    TrustpilotFake(server).add(*(review(f"r{i}", day(i)) for i in range(1, 6)))
    batch = connector(server, per_page=2, max_pages=10).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["r5", "r4", "r3", "r2", "r1"]
    assert batch.requests == 3
    assert [r.query["page"] for r in server.requests] == [["1"], ["2"], ["3"]]


def test_poll__max_pages_caps_one_poll(server: FakeServer) -> None:
    TrustpilotFake(server).add(*(review(f"r{i}", day(i)) for i in range(1, 6)))
    batch = connector(server, per_page=2, max_pages=2).poll([QUERY], None)
    assert len(batch.mentions) == 4 and batch.requests == 2


def test_poll__second_poll_with_cursor_yields_only_new(server: FakeServer) -> None:
    fake = TrustpilotFake(server)
    fake.add(*(review(f"r{i}", day(i)) for i in range(1, 6)))
    conn = connector(server, per_page=2)
    first = conn.poll([QUERY], None)
    again = conn.poll([QUERY], first.next_cursor)
    assert again.mentions == () and again.requests == 1
    fake.add(review("n1", day(10)), review("n2", day(10)), review("n3", day(11)))
    third = conn.poll([QUERY], again.next_cursor)
    assert sorted(m.external_id for m in third.mentions) == ["n1", "n2", "n3"]
    assert third.requests == 2
    assert conn.poll([QUERY], third.next_cursor).mentions == ()


def test_poll__malformed_reviews_dropped_rest_kept(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    bad_stars = review("bad1", day(4), stars=0)
    bad_date = review("bad2", day(3))
    bad_date["createdAt"] = "yesterday"
    no_id = review("bad3", day(2))
    del no_id["id"]
    TrustpilotFake(server).add(review("ok", day(5)), bad_stars, bad_date, no_id)
    with caplog.at_level(logging.WARNING, logger="connectors.trustpilot"):
        batch = connector(server).poll([QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["ok"]
    assert batch.dropped == {"bad_rating": 1, "bad_date": 1, "missing_id": 1}
    assert "bad_date" in caplog.text


def test_poll__unknown_business_unit_is_skipped(server: FakeServer) -> None:
    TrustpilotFake(server).add(review("ok", day(5)))
    batch = connector(server).poll([SourceQuery("x", "ffff0000ffff0000ffff0000"), QUERY], None)
    assert [m.external_id for m in batch.mentions] == ["ok"]
    assert batch.dropped == {"business_unit_not_found": 1}


def test_poll__wrong_key_is_auth_error_without_leaking_key(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    TrustpilotFake(server, api_key="the-right-one").add(review("ok", day(5)))
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceAuthError) as info:
        connector(server).poll([QUERY], None)
    assert "HTTP 401" in str(info.value)
    assert API_KEY not in str(info.value) and API_KEY not in caplog.text


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (Response(403, {"fault": {"faultstring": "Forbidden"}}), SourceAuthError),
        (Response(500, {"message": "Internal error"}), SourceError),
        (Response(502, "<html>Bad gateway</html>", {"Content-Type": "text/html"}), SourceError),
        (Response(200, b'{"reviews": [{"id": '), SourceError),
        (Response(200, {"links": []}), SourceError),
    ],
)
def test_poll__http_and_payload_failures_raise(
    server: FakeServer, response: Response, error: type[Exception]
) -> None:
    server.route("GET", "/v1/business-units/*", response)
    with pytest.raises(error):
        connector(server).poll([QUERY], None)


def test_poll__429_raises_rate_limited_with_retry_after(server: FakeServer) -> None:
    server.route("GET", "/v1/business-units/*", Response(
        429, {"fault": {"faultstring": "Rate limit quota violation"}}, {"Retry-After": "30"}))
    with pytest.raises(RateLimited) as info:
        connector(server).poll([QUERY], None)
    assert info.value.retry_after == 30


def test_poll__timeout_raises_source_error(server: FakeServer) -> None:
    server.route("GET", "/v1/business-units/*", Response(200, {"reviews": []}, delay=1.5))
    with pytest.raises(SourceError, match=r"no answer within 0\.3s"):
        connector(server, timeout=0.3).poll([QUERY], None)


def test_poll__config_unit_and_rules_unit_both_polled(server: FakeServer) -> None:
    fake = TrustpilotFake(server)
    fake.add(review("a", day(1)))
    fake.add(review("b", day(2)), unit_id="aaaa1111bbbb2222cccc3333")
    conn = connector(server, business_units=[{"id": "aaaa1111bbbb2222cccc3333", "brand": "globex"}])
    batch = conn.poll([QUERY], None)
    assert {(m.external_id, m.brand) for m in batch.mentions} == {("a", "acme"), ("b", "globex")}
