"""RedditConnector against a loopback Reddit, driven through the real praw/prawcore stack."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from connectors.reddit import RedditConnector
from monitor.errors import ConfigError, NotConfigured, RateLimited, SourceAuthError, SourceError
from monitor.models import SourceQuery
from tests.conftest import Sleeps
from tests.connectors.fakes_reddit import (
    ENV,
    SEARCH,
    T0,
    ConnectProxy,
    RedditFake,
    comment,
    connector,
    listing,
    submission,
)
from tests.fakes.server import FakeServer, Response

ACME = [SourceQuery(brand="acme", query="acme")]
CLOSE = {"Connection": "close"}  # what a server says to prawcore's token requests



@pytest.fixture
def fake(fake_server: FakeServer) -> RedditFake:
    return RedditFake(fake_server)


def _ids(batch) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.external_id for m in batch.mentions]


def test_from_settings__missing_credentials_is_not_configured() -> None:
    with pytest.raises(NotConfigured, match="REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"):
        RedditConnector.from_settings({}, environ={"REDDIT_CLIENT_ID": "only-the-id"})


@pytest.mark.parametrize(("options", "key"), [
    ({"subreddits": ["ok_name", "no spaces!"]}, "sources.reddit.subreddits"),
    ({"subreddits": "widgets"}, "sources.reddit.subreddits"),
    ({"max_items": 0}, "sources.reddit.max_items"),
    ({"oauth_url": "ftp://x"}, "sources.reddit.oauth_url"),
    ({"subredits": ["typo"]}, "sources.reddit.subredits"),
])
def test_from_settings__bad_option_names_its_key(options: dict, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        RedditConnector.from_settings(options, environ=ENV)
    assert err.value.key == key


def test_from_settings__nothing_to_watch_is_not_configured() -> None:
    with pytest.raises(NotConfigured, match="nothing to watch"):
        RedditConnector.from_settings({"search": False}, environ=ENV)


def test_from_settings__subreddit_prefixes_are_normalised() -> None:
    c = RedditConnector.from_settings({"subreddits": ["r/Widgets", "/r/gadgets/", "Widgets"]},
                                      environ=ENV)
    assert c.settings.subreddits == ["Widgets", "gadgets"]


def test_poll__first_poll_maps_submissions_and_comments(fake: RedditFake) -> None:
    fake.posts += [submission(101), submission(102, title="Acme is great", selftext="",
                                                is_self=False, url="https://example.net/a")]
    fake.comments.append(comment(2001, link=101))
    c = connector(fake, subreddits=["widgets"])
    batch = c.poll(ACME, None)

    assert _ids(batch) == ["t3_2t", "t3_2u", "t1_1jl"]  # oldest first
    post, link, reply = batch.mentions
    assert post.url == "https://www.reddit.com/r/widgets/comments/2t/post_2t/"
    assert (post.title, post.text, post.kind) == ("Acme router keeps dropping wifi",
                                                  "Third time this week, anyone else?", "post")
    assert post.created_at == datetime.fromtimestamp(T0 + 101, tz=UTC)
    assert post.author.handle == "pat_q" and (post.author.url or "").endswith("/user/pat_q")
    assert post.extra["subreddit"] == "widgets" and post.extra["score"] == 3
    assert link.text == "https://example.net/a"  # a link post's body is its URL
    assert (reply.kind, reply.parent_id, reply.title) == ("comment", "t3_2t", None)
    assert reply.text == "Same here with my Acme router."
    search = fake.server.hits(SEARCH)[0]
    assert (search.arg("q"), search.arg("sort"), search.arg("limit")) == ("acme", "new", "100")
    assert (search.arg("restrict_sr"), search.arg("syntax")) == ("False", "lucene")
    assert batch.requests == len(fake.server.requests) == 4  # token + search + new + comments


def test_poll__second_poll_with_cursor_yields_nothing_new(fake: RedditFake) -> None:
    fake.posts += [submission(n) for n in (101, 102)]
    fake.comments.append(comment(2001))
    c = connector(fake, subreddits=["widgets"])
    first = c.poll(ACME, None)
    second = c.poll(ACME, first.next_cursor)
    assert len(first.mentions) == 3
    assert second.mentions == ()
    assert second.requests == 3  # one page per stream; the token is reused


def test_poll__new_items_after_the_cursor_are_returned_once(fake: RedditFake) -> None:
    fake.posts.append(submission(101))
    c = connector(fake, subreddits=["widgets"], comments=False)
    first = c.poll(ACME, None)
    fake.posts += [submission(102), submission(103)]
    second = c.poll(ACME, first.next_cursor)
    third = c.poll(ACME, second.next_cursor)
    assert _ids(second) == ["t3_2u", "t3_2v"]
    assert third.mentions == ()


def test_poll__same_post_in_search_and_subreddit_is_returned_once(fake: RedditFake) -> None:
    fake.posts.append(submission(101))
    batch = connector(fake, subreddits=["widgets"], comments=False).poll(ACME, None)
    assert _ids(batch) == ["t3_2t"]


def test_poll__first_poll_paginates_with_after_up_to_max_items(fake: RedditFake) -> None:
    fake.posts += [submission(n) for n in range(1, 131)]
    c = connector(fake, search=False, subreddits=["widgets"], comments=False, max_items=120)
    batch = c.poll([], None)
    pages = fake.server.hits("/r/widgets/new")
    assert len(batch.mentions) == 120
    assert [p.arg("after") for p in pages] == [None, "t3_v"]  # after the 100th newest (31)
    assert _ids(batch)[-1] == "t3_3m"  # the newest (130) is in


def test_poll__burst_bigger_than_a_page_walks_forward_with_before(fake: RedditFake) -> None:
    fake.posts.append(submission(10))
    c = connector(fake, search=False, subreddits=["widgets"], comments=False, max_items=3)
    first = c.poll([], None)
    fake.posts += [submission(n) for n in range(11, 16)]  # 5 new, cap 3
    second = c.poll([], first.next_cursor)
    third = c.poll([], second.next_cursor)
    fourth = c.poll([], third.next_cursor)
    assert _ids(second) == ["t3_b", "t3_c", "t3_d"]  # the 3 next to the watermark: no gap
    assert _ids(third) == ["t3_e", "t3_f"]
    assert fourth.mentions == ()
    assert "t3_a" in [r.arg("before") for r in fake.server.hits("/r/widgets/new")]


def test_poll__removed_watermark_post_falls_back_to_newest_first(fake: RedditFake) -> None:
    fake.posts += [submission(10), submission(11)]
    c = connector(fake, search=False, subreddits=["widgets"], comments=False, max_items=2)
    first = c.poll([], None)
    fake.posts.pop()  # the watermark post (t3_b) was removed by the moderators
    fake.posts += [submission(n) for n in (12, 13, 14)]
    second = c.poll([], first.next_cursor)
    assert _ids(second) == ["t3_d", "t3_e"]  # capped, newest first; still nothing repeated
    assert c.poll([], second.next_cursor).mentions == ()


def test_poll__overlapping_listing_returns_nothing_twice(fake: RedditFake) -> None:
    pages = [listing([submission(3), submission(2), submission(1)]),
             listing([submission(4), submission(3), submission(2)])]
    fake.server.route("GET", "/r/widgets/new", lambda req: Response(200, pages[0]))
    c = connector(fake, search=False, subreddits=["widgets"], comments=False)
    first = c.poll([], None)
    pages.pop(0)  # the listing ignores `before` and repeats old items around the new one
    second = c.poll([], first.next_cursor)
    assert _ids(first) == ["t3_1", "t3_2", "t3_3"]
    assert _ids(second) == ["t3_4"]


def test_poll__empty_listing_gives_an_empty_batch_and_a_usable_cursor(fake: RedditFake) -> None:
    c = connector(fake, subreddits=["widgets"])
    empty = c.poll(ACME, None)
    fake.comments.append(comment(2001))
    later = c.poll(ACME, empty.next_cursor)
    assert empty.mentions == () and empty.dropped == {}
    assert _ids(later) == ["t1_1jl"]


def test_poll__deleted_author_and_removed_bodies(fake: RedditFake) -> None:
    fake.posts += [submission(101, author=None), submission(102, selftext="[removed]")]
    fake.comments += [comment(2001, author=None, body="[deleted]"), comment(2002, author=None)]
    batch = connector(fake, subreddits=["widgets"]).poll(ACME, None)
    assert _ids(batch) == ["t3_2t", "t1_1jm"]
    assert {m.author.handle for m in batch.mentions} == {"[deleted]"}
    assert batch.mentions[0].author.url is None
    assert batch.dropped == {"removed": 1, "deleted": 1}


def test_poll__malformed_items_are_dropped_and_counted(
        fake: RedditFake, caplog: pytest.LogCaptureFixture) -> None:
    no_id = submission(5)
    del no_id["data"]["id"], no_id["data"]["name"]
    bad_date = submission(6, created=T0)
    bad_date["data"]["created_utc"] = "yesterday"
    fake.server.route("GET", "/r/widgets/new", Response(200, listing(
        [submission(7), no_id, bad_date, "not-an-object", submission(4)])))
    c = connector(fake, search=False, subreddits=["widgets"], comments=False)
    with caplog.at_level(logging.WARNING, logger="connectors.reddit"):
        batch = c.poll([], None)
    assert _ids(batch) == ["t3_4", "t3_7"]
    assert batch.dropped == {"missing id": 1, "bad date": 1, "malformed item": 1}
    assert caplog.text.count("dropped a malformed item") == 3 and "(bad date)" in caplog.text


def test_poll__malformed_json_page_is_a_source_error(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(200, b'{"kind": "Listing", "data": {'))
    with pytest.raises(SourceError, match="malformed JSON from /r/all/search/"):
        connector(fake).poll(ACME, None)


def test_poll__page_that_is_not_a_listing_is_a_source_error(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(200, {"kind": "t3", "data": {}}))
    with pytest.raises(SourceError, match="malformed listing page"):
        connector(fake).poll(ACME, None)


def test_poll__invalid_token_is_an_auth_error(fake: RedditFake) -> None:
    fake.server.route("POST", "/api/v1/access_token", Response(200, {
        "access_token": "stale", "token_type": "bearer", "expires_in": 3600, "scope": "*"},
        CLOSE))
    with pytest.raises(SourceAuthError, match="401"):
        connector(fake).poll(ACME, None)
    assert len(fake.server.hits("/api/v1/access_token")) == 3  # prawcore re-fetched it twice


def test_poll__401_without_www_authenticate_is_still_an_auth_error(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(401, {"message": "Unauthorized", "error": 401}))
    with pytest.raises(SourceAuthError, match="HTTP 401"):
        connector(fake).poll(ACME, None)


def test_poll__rejected_client_credentials_are_an_auth_error(fake: RedditFake) -> None:
    fake.server.route("POST", "/api/v1/access_token",
                      Response(401, {"message": "Unauthorized", "error": 401}, CLOSE))
    with pytest.raises(SourceAuthError, match="401"):
        connector(fake).poll(ACME, None)


def test_poll__token_error_payload_is_an_auth_error(fake: RedditFake) -> None:
    fake.server.route("POST", "/api/v1/access_token", Response(200, {"error": "invalid_grant"},
                                                                     CLOSE))
    with pytest.raises(SourceAuthError, match="invalid_grant"):
        connector(fake).poll(ACME, None)


def test_poll__403_on_a_private_subreddit_is_an_auth_error(fake: RedditFake) -> None:
    fake.server.route("GET", "/r/secret/new", Response(403, {"message": "Forbidden",
                                                             "error": 403}))
    with pytest.raises(SourceAuthError, match=r"403.*/r/secret/new"):
        connector(fake, search=False, subreddits=["secret"]).poll([], None)


def test_poll__429_with_retry_after_is_rate_limited(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(429, {"message": "Too Many Requests",
                                                       "error": 429}, {"Retry-After": "42"}))
    with pytest.raises(RateLimited) as err:
        connector(fake).poll(ACME, None)
    assert err.value.retry_after == 42


def test_poll__429_with_ratelimit_reset_is_rate_limited(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(429, {"message": "Too Many Requests"}, {
        "x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "321"}))
    with pytest.raises(RateLimited) as err:
        connector(fake).poll(ACME, None)
    assert err.value.retry_after == 321


def test_poll__spent_budget_stops_before_the_next_request(fake_server: FakeServer) -> None:
    fake = RedditFake(fake_server, ratelimit=("0", "600", "120"))
    with pytest.raises(RateLimited) as err:
        connector(fake, subreddits=["widgets"]).poll(ACME, None)
    assert 119 <= (err.value.retry_after or 0) <= 120
    assert len(fake.api_requests()) == 1


def test_poll__spent_budget_is_forgotten_once_the_window_reset(
        fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = RedditFake(fake_server, ratelimit=("0", "600", "120"))
    fake.posts.append(submission(101))
    c = connector(fake, subreddits=["widgets"], comments=False)
    with pytest.raises(RateLimited):
        c.poll(ACME, None)
    fake.ratelimit = ("599", "1", "600")
    monkeypatch.setattr(c.session, "last_at", c.session.last_at - 121)  # two minutes later
    assert _ids(c.poll(ACME, None)) == ["t3_2t"]


def test_poll__comment_without_permalink_links_through_its_post(fake: RedditFake) -> None:
    old = comment(2001, link=101)
    del old["data"]["permalink"]
    fake.comments.append(old)
    (mention,) = connector(fake, search=False, subreddits=["widgets"]).poll([], None).mentions
    assert mention.url == "https://www.reddit.com/comments/2t/_/1jl/"


def test_poll__server_error_is_a_source_error_after_prawcore_retries(
        fake: RedditFake, instant_sleep: Sleeps) -> None:
    fake.server.route("GET", SEARCH, Response(503, b"<html>upstream down</html>"))
    with pytest.raises(SourceError, match="HTTP 503") as err:
        connector(fake).poll(ACME, None)
    assert not isinstance(err.value, SourceAuthError | RateLimited)
    assert len(fake.server.hits(SEARCH)) == 3 and len(instant_sleep) >= 2


def test_poll__timeout_is_a_source_error(fake: RedditFake) -> None:
    fake.server.route("GET", SEARCH, Response(200, listing([]), delay=1.5))
    with pytest.raises(SourceError, match="ReadTimeout"):
        connector(fake, timeout=0.2).poll(ACME, None)


def test_poll__unreadable_cursor_starts_fresh(fake: RedditFake,
                                              caplog: pytest.LogCaptureFixture) -> None:
    fake.posts.append(submission(101))
    batch = connector(fake).poll(ACME, "{not json")
    assert _ids(batch) == ["t3_2t"]
    assert "unreadable cursor" in caplog.text
    assert json.loads(batch.next_cursor or "")["streams"]["search:acme"][1] == "t3_2t"


def test_poll__password_grant_when_username_is_set(fake: RedditFake) -> None:
    env = {**ENV, "REDDIT_USERNAME": "brandbot", "REDDIT_PASSWORD": "hunter2"}
    c = RedditConnector.from_settings({"oauth_url": fake.url, "reddit_url": fake.url},
                                      environ=env)
    c.poll(ACME, None)
    token = fake.server.hits("/api/v1/access_token")[0]
    assert token.form()["grant_type"] == "password" and token.form()["username"] == "brandbot"
    assert "brandbot" in fake.server.hits(SEARCH)[0].headers["user-agent"]


def test_poll__http_proxy_is_honoured(fake_server: FakeServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = RedditFake(fake_server)  # the proxy answers for the unreachable host below
    fake.posts.append(submission(101))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTP_PROXY", fake_server.url)
    c = RedditConnector.from_settings({"oauth_url": "http://oauth.reddit.invalid",
                                       "reddit_url": "http://www.reddit.invalid"}, environ=ENV)
    batch = c.poll(ACME, None)
    assert _ids(batch) == ["t3_2t"]
    assert fake_server.hits(SEARCH)[0].headers["host"] == "oauth.reddit.invalid"
    assert fake_server.hits("/api/v1/access_token")[0].headers["host"] == "www.reddit.invalid"


def test_poll__cursor_keeps_only_the_current_streams(fake: RedditFake) -> None:
    fake.posts.append(submission(101))
    first = connector(fake, subreddits=["widgets"], comments=False).poll(ACME, None)
    again = connector(fake, comments=False).poll(ACME, first.next_cursor)
    assert set(json.loads(first.next_cursor or "")["streams"]) == {"search:acme", "new:widgets"}
    assert set(json.loads(again.next_cursor or "")["streams"]) == {"search:acme"}
    assert again.mentions == ()


def test_poll__https_proxy_is_used_for_https_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        c = RedditConnector.from_settings({"reddit_url": "https://www.reddit.invalid"},
                                          environ=ENV)
        with pytest.raises(SourceError, match="request failed: ProxyError"):
            c.poll(ACME, None)
    assert proxy.lines[0].startswith("CONNECT www.reddit.invalid:443 ")
