"""FeedConnector against loopback feeds in RSS 2.0, Atom and JSON Feed 1.1, parsed by feedparser."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors import registry
from connectors.rss import FeedConnector, html_to_text
from monitor.errors import ConfigError, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.connectors.fakes_rss import FIXTURES, FeedFake
from tests.fakes.server import FakeServer, Response


def connector(**options: object) -> FeedConnector:
    return FeedConnector.from_settings({"timeout": 1, **options})


def q(url: str, brand: str = "acme") -> SourceQuery:
    return SourceQuery(brand=brand, query=url)


def rss(items: list[tuple[str, int]]) -> str:
    """A minimal RSS 2.0 document; items are (guid, day of November 2026)."""
    body = "".join(
        f"<item><title>Acme item {guid}</title><link>https://news.example/{guid}</link>"
        f"<guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{d:02d} Nov 2026 10:00:00 GMT</pubDate><description>about Acme</description>"
        "</item>" for guid, d in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>N</title>{body}</channel>" \
        "</rss>"


def test_registry__rss_is_registered() -> None:
    assert registry.load("rss") is FeedConnector
    assert FeedConnector.keyword_source is False


def test_poll__rss2_fields_html_to_text_and_dates(server: FakeServer) -> None:
    feed = FeedFake.fixture(server, "/gadgets.xml", "rss_rss2.xml")
    before = datetime.now(UTC)
    batch = connector().poll([q(feed.url)], None)
    review, outage, undated = batch.mentions
    assert review.external_id == "https://gadgets.example/2026/11/acme-phone-5-review"
    assert review.title == "Acme Phone 5 review: great screen, terrible battery"
    assert review.text == ("The Acme Phone 5 has the best screen we have tested this year.\n\n"
                           "Battery life, though, is \"poor\" & charging is slow.\n\n"
                           "Screen: 9/10\n\nBattery: 4/10")
    assert review.created_at == datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    assert (review.author.name, review.kind, review.brand, review.lang) == (
        "Morgan Blake", "article", "acme", "en-gb")
    # a guid that is not a URL is only unique within its feed: the id is scoped to the feed
    assert outage.external_id.startswith("rss:") and len(outage.external_id) <= 128
    assert outage.text == "Customers of Acme reported failed card payments for two hours."
    assert outage.url == "https://gadgets.example/2026/11/acme-outage"
    # no guid, link or date: id from title+date, dated when first seen
    assert undated.extra["date_estimated"] is True and undated.created_at >= before
    assert all(m.created_at.tzinfo is UTC for m in batch.mentions)
    assert batch.requests == 1


def test_poll__atom_entries(server: FakeServer) -> None:
    feed = FeedFake.fixture(server, "/acme.atom", "rss_atom.xml",
                            content_type="application/atom+xml")
    first, second = connector().poll([q(feed.url)], None).mentions
    assert first.external_id == "tag:forum.example,2026:post-9913"
    assert first.text == "Since 3.2 the Acme app says sync error 17.\nAnyone else?"
    assert first.created_at == datetime(2026, 11, 21, 9, 40, tzinfo=UTC)  # published, not updated
    assert (first.author.handle, first.url) == ("quietfox", "https://forum.example/t/9913")
    assert second.title == "How do I export my Acme data?"
    assert second.created_at == datetime(2026, 11, 20, 22, 10, tzinfo=UTC)  # updated fallback


def test_poll__json_feed(server: FakeServer) -> None:
    feed = FeedFake.fixture(server, "/feed.json", "rss_jsonfeed.json")
    first, second = connector().poll([q(feed.url)], None).mentions
    assert first.title == "Acme raises prices again"
    assert first.text == "Acme's new pricing starts in December."
    assert first.created_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert (first.author.name, first.lang) == ("Rene Ortiz", "en")
    assert first.external_id.startswith("rss:")  # "2026-11-21-acme-pricing" is feed-local
    assert (second.text, second.title, second.author.name) == (
        "Acme support answered in four minutes. Impressive.", None, "Blog Team")


def test_poll__second_poll_is_conditional_and_yields_nothing(server: FakeServer) -> None:
    feed = FeedFake.fixture(server, "/gadgets.xml", "rss_rss2.xml")
    conn = connector()
    first = conn.poll([q(feed.url)], None)
    second = conn.poll([q(feed.url)], first.next_cursor)
    assert second.mentions == ()
    assert feed.hits()[1].headers["if-none-match"] == feed.etag
    assert feed.hits()[1].headers["if-modified-since"] == "Sat, 21 Nov 2026 09:00:00 GMT"
    assert second.next_cursor == first.next_cursor  # a 304 keeps everything


def test_poll__without_validators_seen_ids_prevent_repeats(server: FakeServer) -> None:
    feed = FeedFake.fixture(server, "/gadgets.xml", "rss_rss2.xml", conditional=False)
    conn = connector()
    first = conn.poll([q(feed.url)], None)
    second = conn.poll([q(feed.url)], first.next_cursor)
    assert len(first.mentions) == 3 and second.mentions == ()
    assert "if-none-match" not in feed.hits()[1].headers


def test_poll__feed_reposting_old_items_does_not_repeat_them(server: FakeServer) -> None:
    feed = FeedFake(server, "/news.xml", rss([("a", 3), ("b", 2), ("c", 1)]), conditional=False)
    conn = connector()
    first = conn.poll([q(feed.url)], None)
    feed.body = rss([("d", 4), ("a", 3)]).encode()  # b and c fall off the feed
    second = conn.poll([q(feed.url)], first.next_cursor)
    feed.body = rss([("e", 5), ("c", 1), ("b", 2), ("a", 3)]).encode()  # ... and come back
    third = conn.poll([q(feed.url)], second.next_cursor)
    assert [m.title for m in second.mentions] == ["Acme item d"]
    assert [m.title for m in third.mentions] == ["Acme item e"]


def test_poll__items_forgotten_beyond_remember_stay_seen_by_date(server: FakeServer) -> None:
    feed = FeedFake(server, "/news.xml", rss([(f"i{d}", d) for d in range(1, 13)]),
                    conditional=False)
    conn = connector(remember=10)
    first = conn.poll([q(feed.url)], None)
    state = json.loads(first.next_cursor or "")["feeds"][feed.url]
    assert len(state["seen"]) == 10
    assert state["horizon"] == int(datetime(2026, 11, 2, 10, tzinfo=UTC).timestamp())
    feed.body = rss([("new", 20), ("i1", 1), ("i2", 2)]).encode()  # ids no longer remembered
    assert [m.title for m in conn.poll([q(feed.url)], first.next_cursor).mentions] == [
        "Acme item new"]


def test_poll__one_failing_feed_does_not_stop_the_others(server: FakeServer) -> None:
    good = FeedFake(server, "/good.xml", rss([("a", 1)]))
    server.route("GET", "/bad.xml", Response(503, "down"))
    batch = connector().poll([q(server.url + "/bad.xml"), q(good.url)], None)
    assert [m.title for m in batch.mentions] == ["Acme item a"]
    assert batch.dropped == {"feed_failed": 1} and batch.requests == 2
    assert server.url + "/bad.xml" not in json.loads(batch.next_cursor or "")["feeds"]


def test_poll__missing_feed_is_skipped(server: FakeServer) -> None:
    good = FeedFake(server, "/good.xml", rss([("a", 1)]))
    batch = connector().poll([q(server.url + "/gone.xml"), q(good.url)], None)
    assert len(batch.mentions) == 1 and batch.dropped == {"feed_not_found": 1}


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (Response(401, "login required"), SourceAuthError),
        (Response(500, "oops"), SourceError),
        (Response(200, b"\x00\x01<<<", {"Content-Type": "application/rss+xml"}), SourceError),
        (Response(200, "<html><body>Sign in</body></html>", {"Content-Type": "text/html"}),
         SourceError),
        (Response(200, b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
                  {"Content-Type": "application/feed+json"}), SourceError),
        (Response(200, {"hello": "world"}), SourceError),
    ],
)
def test_poll__whole_poll_failures_raise(
    server: FakeServer, response: Response, error: type[Exception]
) -> None:
    server.route("GET", "/feed", response)
    with pytest.raises(error):
        connector().poll([q(server.url + "/feed")], None)


def test_poll__429_raises_rate_limited_with_retry_after(server: FakeServer) -> None:
    server.route("GET", "/feed", Response(429, "slow down", {"Retry-After": "45"}))
    with pytest.raises(RateLimited) as info:
        connector().poll([q(server.url + "/feed")], None)
    assert info.value.retry_after == 45


def test_poll__timeout_raises_source_error(server: FakeServer) -> None:
    server.route("GET", "/slow.xml", Response(200, rss([]), delay=1.5))
    with pytest.raises(SourceError, match=r"no answer within 0\.3s"):
        connector(timeout=0.3).poll([q(server.url + "/slow.xml")], None)


def test_poll__body_naming_a_local_file_is_not_read(server: FakeServer, tmp_path: Path) -> None:
    local = tmp_path / "local.xml"
    local.write_bytes((FIXTURES / "rss_rss2.xml").read_bytes())
    server.route("GET", "/feed", Response(200, str(local), {"Content-Type": "text/plain"}))
    with pytest.raises(SourceError, match="not a feed"):
        connector().poll([q(server.url + "/feed")], None)


def test_poll__config_feeds_carry_their_brand(server: FakeServer) -> None:
    feed = FeedFake(server, "/n.xml", rss([("a", 1)]))
    batch = connector(feeds=[{"url": feed.url, "brand": "globex"}]).poll([], None)
    assert [m.brand for m in batch.mentions] == ["globex"]
    assert batch.mentions[0].created_at - datetime(2026, 11, 1, tzinfo=UTC) == timedelta(hours=10)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"feeds": [{"url": "ftp://x.example/feed", "brand": "acme"}]}, "sources.rss.feeds[0].url"),
        ({"feeds": [{"url": "https://x.example/feed"}]}, "sources.rss.feeds[0].brand"),
        ({"remember": 1}, "sources.rss.remember"),
        ({"feed": []}, "sources.rss.feed"),
    ],
)
def test_from_settings__bad_keys_name_the_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        FeedConnector.from_settings(options)
    assert info.value.key == key


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>a &amp; b</p><p>c</p>", "a & b\n\nc"),
        ("line<br>break<br/>again<script/> end", "line\nbreak\nagain end"),
        ("<style>p{}</style><script>x()</script>  spaced   out ", "spaced out"),
        ("<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"),
        ("plain &lt;not a tag&gt; &#8364;5", "plain <not a tag> €5"),
    ],
)
def test_html_to_text__visible_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_poll__http_proxy_from_environment_is_used(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    FeedFake(server, "/proxied.xml", rss([("p", 1)]))
    monkeypatch.setenv("HTTP_PROXY", server.url)  # the fake plays the proxy for feeds.example
    batch = connector().poll([q("http://feeds.example/proxied.xml")], None)
    assert [m.title for m in batch.mentions] == ["Acme item p"]
    assert server.requests[0].headers["host"] == "feeds.example"


def test_poll__malformed_json_feed_items_dropped_rest_kept(server: FakeServer) -> None:
    doc = {"version": "https://jsonfeed.org/version/1", "title": "t", "items": [
        42, {"id": "x1", "title": 7, "content_html": ["not", "text"]},
        {"id": "https://j.example/ok", "content_text": "fine", "date_published": "2026-11-02"}]}
    server.route("GET", "/j.json", Response(200, doc, {"Content-Type": "application/json"}))
    batch = connector().poll([q(server.url + "/j.json")], None)
    assert [m.external_id for m in batch.mentions] == ["https://j.example/ok"]
    assert batch.mentions[0].created_at == datetime(2026, 11, 2, tzinfo=UTC)
    assert batch.dropped == {"empty_item": 2}
