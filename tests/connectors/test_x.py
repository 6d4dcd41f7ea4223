"""XConnector against a loopback X API v2, driven through tweepy's real Client code path."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest

from connectors.x import XConnector
from monitor.errors import ConfigError, NotConfigured, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.connectors.fakes_reddit import ConnectProxy
from tests.connectors.fakes_x import ENV, ID0, SEARCH, XFake, connector, tweet, user
from tests.fakes.server import FakeServer, Request, Response

ACME = [SourceQuery(brand="acme", query="acme -is:retweet lang:en")]



@pytest.fixture
def fake(fake_server: FakeServer) -> XFake:
    return XFake(fake_server)


def _ids(batch) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(m.external_id) - ID0 for m in batch.mentions]


def test_from_settings__missing_token_is_not_configured() -> None:
    with pytest.raises(NotConfigured, match="X_BEARER_TOKEN is not set"):
        XConnector.from_settings({}, environ={})


@pytest.mark.parametrize(("options", "key"), [
    ({"max_pages": 0}, "sources.x.max_pages"),
    ({"max_results": 500}, "sources.x.max_results"),
    ({"base_url": "api.x.com"}, "sources.x.base_url"),
    ({"bearer_token": "never-in-config"}, "sources.x.bearer_token"),
])
def test_from_settings__bad_option_names_its_key(options: dict, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        XConnector.from_settings(options, environ=ENV)
    assert err.value.key == key


def test_poll__first_poll_maps_tweets_and_authors(fake: XFake) -> None:
    fake.users.append(user("6002", username="brandfan", name="Fan", followers=98000,
                           verified=True))
    fake.tweets += [tweet(1), tweet(2, author="6002", lang="de",
                                    created="2026-11-20T09:30:15.000Z")]
    batch = connector(fake).poll(ACME, None)
    first, second = batch.mentions
    assert _ids(batch) == [1, 2]
    assert first.url == f"https://x.com/pat_q/status/{ID0 + 1}"
    assert first.created_at == datetime.fromtimestamp(1_795_000_001, tz=UTC)
    assert (first.author.handle, first.author.followers, first.author.verified) == (
        "pat_q", 1200, False)
    assert second.created_at == datetime(2026, 11, 20, 9, 30, 15, tzinfo=UTC)
    assert (second.author.name, second.author.followers, second.author.verified) == (
        "Fan", 98000, True)
    assert second.lang == "de" and second.text == "my acme router died again"
    assert second.extra["conversation_id"] == str(ID0 + 2)
    assert second.extra["metrics"]["like_count"] == 2
    req = fake.searches()[0]
    assert req.headers["authorization"] == "Bearer fake-bearer-token-xyz"
    assert "Tweepy" in req.headers["user-agent"]  # the request went through tweepy's code
    assert req.arg("query") == "acme -is:retweet lang:en" and req.arg("max_results") == "100"
    assert req.arg("expansions") == "author_id"
    assert req.arg("user.fields") == "username,name,public_metrics,verified"
    assert set((req.arg("tweet.fields") or "").split(",")) == {
        "created_at", "lang", "conversation_id", "referenced_tweets", "public_metrics",
        "author_id"}
    assert batch.requests == 1


def test_poll__replies_quotes_and_retweets_are_flagged(fake: XFake) -> None:
    fake.tweets += [tweet(1, refs=[("replied_to", "777")]), tweet(2, refs=[("quoted", "778")]),
                    tweet(3, refs=[("retweeted", "779")])]
    reply, quote, retweet = connector(fake).poll(ACME, None).mentions
    assert (reply.kind, reply.parent_id, reply.extra["conversation_id"]) == ("reply", "777",
                                                                             "777")
    assert quote.is_quote and not quote.is_retweet and quote.parent_id is None
    assert retweet.is_retweet and retweet.kind == "post"


def test_poll__second_poll_with_cursor_yields_nothing_new(fake: XFake) -> None:
    fake.tweets += [tweet(1), tweet(2)]
    c = connector(fake)
    first = c.poll(ACME, None)
    second = c.poll(ACME, first.next_cursor)
    fake.tweets.append(tweet(3))
    third = c.poll(ACME, second.next_cursor)
    assert json.loads(first.next_cursor or "") == {ACME[0].query: str(ID0 + 2)}
    assert fake.searches()[1].arg("since_id") == str(ID0 + 2)
    assert second.mentions == () and second.next_cursor == first.next_cursor
    assert _ids(third) == [3]


def test_poll__paginates_and_takes_since_id_from_the_first_page(fake: XFake) -> None:
    fake.tweets += [tweet(n) for n in range(1, 251)]
    c = connector(fake)
    batch = c.poll(ACME, None)
    pages = fake.searches()
    assert len(batch.mentions) == 250 and batch.requests == 3
    assert [p.arg("next_token") is None for p in pages] == [True, False, False]
    assert json.loads(batch.next_cursor or "")[ACME[0].query] == str(ID0 + 250)
    assert c.poll(ACME, batch.next_cursor).mentions == ()


def test_poll__stops_at_max_pages_and_says_so(fake: XFake,
                                               caplog: pytest.LogCaptureFixture) -> None:
    fake.tweets += [tweet(n) for n in range(1, 31)]
    batch = connector(fake, max_pages=2, max_results=10).poll(ACME, None)
    assert _ids(batch) == list(range(11, 31)) and batch.requests == 2
    assert "more than 2 pages new" in caplog.text


def test_poll__stops_paginating_when_the_rate_limit_budget_is_spent(
        fake_server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    fake = XFake(fake_server, remaining=2)
    fake.tweets += [tweet(n) for n in range(1, 51)]
    batch = connector(fake, max_results=10).poll(ACME, None)
    assert batch.requests == 2 and len(batch.mentions) == 20
    assert "rate-limit budget used up" in caplog.text


def test_poll__empty_result_keeps_the_cursor(fake: XFake) -> None:
    c = connector(fake)
    fake.tweets.append(tweet(1))
    first = c.poll(ACME, None)
    empty = c.poll(ACME, first.next_cursor)
    assert empty.mentions == () and empty.dropped == {}
    assert empty.next_cursor == first.next_cursor
    assert connector(fake).poll([SourceQuery(brand="zed", query="zed")], None).mentions == ()


def test_poll__partial_errors_are_logged_and_data_kept(
        fake: XFake, caplog: pytest.LogCaptureFixture) -> None:
    fake.tweets += [tweet(1), tweet(2)]
    fake.errors = [{"parameter": "entities.mentions.username", "resource_id": "gone_user",
                    "value": "gone_user", "detail": "User has been suspended: [gone_user].",
                    "title": "Forbidden", "resource_type": "user",
                    "type": "https://api.twitter.com/2/problems/resource-not-found"}]
    with caplog.at_level(logging.WARNING, logger="connectors.x"):
        batch = connector(fake).poll(ACME, None)
    assert _ids(batch) == [1, 2]
    lines = [r for r in caplog.records if r.name == "connectors.x"]
    assert len(lines) == 1 and "suspended" in lines[0].getMessage()


def test_poll__errors_only_200_is_an_empty_batch(fake: XFake,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    fake.server.route("GET", SEARCH, Response(200, {"errors": [{
        "detail": "Could not find the thing.", "title": "Not Found Error",
        "type": "https://api.twitter.com/2/problems/resource-not-found"}]}))
    batch = connector(fake).poll(ACME, None)
    assert batch.mentions == () and "Could not find the thing." in caplog.text


def test_poll__malformed_tweets_are_dropped_and_counted(
        fake: XFake, caplog: pytest.LogCaptureFixture) -> None:
    no_id = tweet(5)
    del no_id["id"]
    no_date = tweet(6)
    no_date["created_at"] = "last tuesday"
    page = {"data": [tweet(7), no_id, no_date, tweet(4)], "meta": {
        "newest_id": str(ID0 + 7), "oldest_id": str(ID0 + 4), "result_count": 4},
        "includes": {"users": [user()]}}
    fake.server.route("GET", SEARCH, Response(200, page))
    batch = connector(fake).poll(ACME, None)
    assert _ids(batch) == [4, 7]
    assert batch.dropped == {"missing id": 1, "bad date": 1}
    assert "dropped a tweet (bad date)" in caplog.text


def test_poll__author_missing_from_includes_still_gives_a_link(fake: XFake) -> None:
    fake.tweets.append(tweet(1, author="9999"))
    (mention,) = connector(fake).poll(ACME, None).mentions
    assert mention.author.handle == "9999" and mention.author.followers is None
    assert mention.url == f"https://x.com/i/web/status/{ID0 + 1}"


def test_poll__listing_that_ignores_since_id_repeats_nothing(fake: XFake) -> None:
    fake.tweets += [tweet(1), tweet(2)]
    c = connector(fake)
    first = c.poll(ACME, None)
    page = {"data": [tweet(3), tweet(2), tweet(1)], "meta": {"newest_id": str(ID0 + 3),
                                                             "result_count": 3}}
    fake.server.route("GET", SEARCH, Response(200, page))
    assert _ids(c.poll(ACME, first.next_cursor)) == [3]


def test_poll__same_tweet_for_two_queries_is_returned_once(fake: XFake) -> None:
    fake.tweets.append(tweet(1, text="acme and widgetco both broke"))
    queries = [SourceQuery(brand="acme", query="acme"), SourceQuery(brand="w", query="widgetco")]
    batch = connector(fake).poll(queries, None)
    assert _ids(batch) == [1] and batch.requests == 2
    assert set(json.loads(batch.next_cursor or "")) == {"acme", "widgetco"}


def test_poll__401_is_an_auth_error_with_a_clear_line(fake: XFake) -> None:
    c = XConnector.from_settings({"base_url": fake.url}, environ={"X_BEARER_TOKEN": "wrong"})
    with pytest.raises(SourceAuthError, match="HTTP 401 X_BEARER_TOKEN rejected"):
        c.poll(ACME, None)


def test_poll__403_is_an_auth_error_with_the_reason(fake: XFake) -> None:
    fake.server.route("GET", SEARCH, Response(403, {
        "title": "Client Forbidden", "reason": "client-not-enrolled",
        "detail": "This app is not attached to a project with search access.",
        "type": "https://api.twitter.com/2/problems/client-forbidden"}))
    with pytest.raises(SourceAuthError, match=r"403.*not attached to a project"):
        connector(fake).poll(ACME, None)


def test_poll__429_waits_until_the_reset_header(fake: XFake) -> None:
    reset = int(time.time()) + 600
    fake.server.route("GET", SEARCH, Response(429, {"title": "Too Many Requests",
                                                    "detail": "Too Many Requests"}, {
        "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}))
    with pytest.raises(RateLimited) as err:
        connector(fake).poll(ACME, None)
    assert 590 <= (err.value.retry_after or 0) <= 601


def test_poll__429_with_retry_after(fake: XFake) -> None:
    fake.server.route("GET", SEARCH, Response(429, {"title": "Too Many Requests"},
                                              {"Retry-After": "17"}))
    with pytest.raises(RateLimited) as err:
        connector(fake).poll(ACME, None)
    assert err.value.retry_after == 17


def test_poll__429_on_a_later_page_returns_nothing_half_done(fake: XFake) -> None:
    fake.tweets += [tweet(n) for n in range(1, 31)]
    first_page = fake._search

    def second_page_limited(req: Request) -> Response:
        if req.arg("next_token"):
            return Response(429, {"title": "Too Many Requests"}, {"Retry-After": "5"})
        return first_page(req)

    fake.server.route("GET", SEARCH, second_page_limited)
    with pytest.raises(RateLimited):
        connector(fake, max_results=10).poll(ACME, None)


@pytest.mark.parametrize(("status", "body"), [
    (503, {"title": "Service Unavailable", "detail": "Service Unavailable"}),
    (400, {"errors": [{"message": "There were errors processing your request: bad operator"}],
           "title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request"}),
])
def test_poll__server_and_request_errors_are_source_errors(fake: XFake, status: int,
                                                           body: dict) -> None:
    fake.server.route("GET", SEARCH, Response(status, body))
    with pytest.raises(SourceError, match=f"HTTP {status}") as err:
        connector(fake).poll(ACME, None)
    assert not isinstance(err.value, SourceAuthError | RateLimited)


def test_poll__malformed_json_is_a_source_error(fake: XFake) -> None:
    fake.server.route("GET", SEARCH, Response(200, b'{"data": [{"id": "1",'))
    with pytest.raises(SourceError, match=r"malformed JSON from .*/2/tweets/search/recent"):
        connector(fake).poll(ACME, None)


def test_poll__timeout_is_a_source_error(fake: XFake) -> None:
    fake.server.route("GET", SEARCH, Response(200, {"meta": {"result_count": 0}}, delay=1.0))
    with pytest.raises(SourceError, match="ReadTimeout"):
        connector(fake, timeout=0.2).poll(ACME, None)


def test_poll__http_proxy_is_honoured(fake_server: FakeServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = XFake(fake_server)  # the proxy answers for the unreachable host below
    fake.tweets.append(tweet(1))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTP_PROXY", fake_server.url)
    c = XConnector.from_settings({"base_url": "http://api.x.invalid"}, environ=ENV)
    assert _ids(c.poll(ACME, None)) == [1]
    assert fake.searches()[0].headers["host"] == "api.x.invalid"


def test_poll__refused_old_since_id_searches_without_it(fake: XFake,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    fake.tweets += [tweet(1), tweet(2), tweet(3)]
    answer = fake._search

    def strict(req: Request) -> Response:
        if req.arg("since_id"):
            return Response(400, {"errors": [{"parameters": {"since_id": [req.arg("since_id")]},
                                              "message": "Invalid 'since_id': too old."}],
                                  "title": "Invalid Request", "detail": "One or more "
                                  "parameters to your request was invalid.",
                                  "type": "https://api.twitter.com/2/problems/invalid-request"})
        return answer(req)

    fake.server.route("GET", SEARCH, strict)
    cursor = json.dumps({ACME[0].query: str(ID0 + 2)})
    batch = connector(fake).poll(ACME, cursor)
    assert _ids(batch) == [3]  # 1 and 2 were returned before the cursor was saved
    assert [r.arg("since_id") for r in fake.searches()] == [str(ID0 + 2), None]
    assert "refused" in caplog.text


def test_poll__missing_created_at_comes_from_the_snowflake_id(fake: XFake) -> None:
    tid = "2123717989487349906"  # a snowflake minted for 2026-11-20T10:00:00.123Z
    bare = {"id": tid, "text": "acme", "edit_history_tweet_ids": [tid]}
    fake.server.route("GET", SEARCH, Response(200, {"data": [bare], "meta": {
        "newest_id": bare["id"], "oldest_id": bare["id"], "result_count": 1}}))
    (mention,) = connector(fake).poll(ACME, None).mentions
    assert mention.created_at == datetime(2026, 11, 20, 10, 0, 0, 123000, tzinfo=UTC)


# connectors.http, which the X client needs most (tweepy has no timeout or base URL of its own)

def test_make_session__ssl_cert_file_is_the_ca_bundle_unless_requests_has_one() -> None:
    from connectors.http import make_session

    assert make_session(environ={"SSL_CERT_FILE": "/etc/ca.pem"}).verify == "/etc/ca.pem"
    env = {"SSL_CERT_FILE": "/etc/ca.pem", "REQUESTS_CA_BUNDLE": "/etc/other.pem"}
    assert make_session(environ=env).verify is True  # requests reads REQUESTS_CA_BUNDLE itself
    assert make_session(environ={}).trust_env is True


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "30"}, 30.0),
    ({"Retry-After": "Thu, 01 Jan 1970 00:02:00 GMT"}, 60.0),
    ({"x-rate-limit-reset": "160"}, 100.0),  # X: epoch seconds
    ({"x-ratelimit-reset": "45"}, 45.0),  # Reddit: seconds from now
    ({"Retry-After": "soon"}, 7.0),
    ({}, 7.0),
])
def test_retry_after__reads_the_header_each_api_uses(headers: dict, expected: float) -> None:
    from connectors.http import retry_after

    assert retry_after(headers, default=7.0, now=60.0) == expected


def test_poll__cursor_keeps_only_the_current_queries(fake: XFake) -> None:
    fake.tweets.append(tweet(1))
    cursor = json.dumps({"retired brand": str(ID0 + 9), ACME[0].query: str(ID0)})
    batch = connector(fake).poll(ACME, cursor)
    assert json.loads(batch.next_cursor or "") == {ACME[0].query: str(ID0 + 1)}


def test_poll__debug_logs_never_show_the_bearer_token(fake: XFake,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    fake.tweets.append(tweet(1))
    with caplog.at_level(logging.DEBUG):
        connector(fake).poll(ACME, None)
    assert "Making API request" in caplog.text  # tweepy did log its request headers
    assert ENV["X_BEARER_TOKEN"] not in caplog.text and "Bearer ***" in caplog.text


def test_poll__https_proxy_is_used_for_the_default_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(SourceError, match="request failed: ProxyError"):
            XConnector.from_settings({}, environ=ENV).poll(ACME, None)
    assert [line.split()[:2] for line in proxy.lines] == [["CONNECT", "api.twitter.com:443"]]


def test_poll__page_without_meta_still_advances_the_cursor(fake: XFake) -> None:
    page = {"data": [tweet(2), tweet(1)], "includes": {"users": [user()]}}
    fake.server.route("GET", SEARCH, Response(200, page))
    c = connector(fake)
    first = c.poll(ACME, None)
    assert json.loads(first.next_cursor or "") == {ACME[0].query: str(ID0 + 2)}
    assert c.poll(ACME, first.next_cursor).mentions == ()
