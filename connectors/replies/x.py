"""X: our reply to a post (`in_reply_to_tweet_id`) as the brand's account, through tweepy."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
import tweepy

from connectors.http import make_session
from connectors.replies import twitter_text
from connectors.replies.base import PublishedReply, Publisher, ReplyTarget
from connectors.replies.http import parse_time, short, status_error, transport_error
from connectors.replies.options import XOptions, validate_options
from connectors.x import TWEEPY_HOST  # importing it also masks tokens in tweepy's debug logs
from monitor.errors import (
    NotConfigured,
    PublishAuthError,
    PublishError,
    PublishRejected,
    PublishUnavailable,
)

logger = logging.getLogger(__name__)

NAME = "x"
OAUTH1_ENV = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
OAUTH2_ENV = "X_USER_TOKEN"
WRITE_ACCESS = ("'Read and write' app permissions (then regenerate X_ACCESS_TOKEN and "
                "X_ACCESS_TOKEN_SECRET) or an OAuth 2.0 user token with the tweet.write scope")
SKEW = timedelta(minutes=5)  # our clock vs X's when comparing with `since`
# X's 403 texts for replies it refuses for good (its `detail`), lower-cased substrings
REFUSALS = (
    ("duplicate content", "duplicate"),
    ("deleted or not visible", "target_deleted"),
    ("not allowed because you have not been mentioned", "locked"),
    ("reply to this conversation is not allowed", "locked"),
)


class XPublisher(Publisher):
    """Posts with `POST /2/tweets` as the user whose tokens are in the environment: OAuth 1.0a
    (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET) or an OAuth 2.0 user
    token (X_USER_TOKEN, scopes tweet.read tweet.write users.read)."""

    name: ClassVar[str] = NAME
    limit: ClassVar[int] = twitter_text.max_length()

    def __init__(self, *, options: XOptions, client: tweepy.Client, user_auth: bool,
                 credentials: str) -> None:
        self.options = options
        self.session = make_session(timeout=options.timeout,
                                    rewrite={TWEEPY_HOST: options.base_url})
        self.client = client
        self.client.session = self.session  # every request still goes through tweepy's code
        self.user_auth = user_auth
        self.credentials = credentials  # the env var names, for messages
        self._me: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> XPublisher:
        settings = validate_options(XOptions, options, NAME)
        oauth1 = {k: environ.get(k) or "" for k in OAUTH1_ENV}
        if all(oauth1.values()):
            client = tweepy.Client(
                consumer_key=oauth1["X_API_KEY"], consumer_secret=oauth1["X_API_SECRET"],
                access_token=oauth1["X_ACCESS_TOKEN"],
                access_token_secret=oauth1["X_ACCESS_TOKEN_SECRET"],
                return_type=requests.Response, wait_on_rate_limit=False)
            return cls(options=settings, client=client, user_auth=True,
                       credentials=", ".join(OAUTH1_ENV))
        if environ.get(OAUTH2_ENV):
            client = tweepy.Client(bearer_token=environ[OAUTH2_ENV],
                                   return_type=requests.Response, wait_on_rate_limit=False)
            return cls(options=settings, client=client, user_auth=False, credentials=OAUTH2_ENV)
        missing = [k for k, v in oauth1.items() if not v]
        if len(missing) < len(OAUTH1_ENV):
            raise NotConfigured(f"x: {', '.join(missing)} not set (OAuth 1.0a user context "
                                f"needs all of {', '.join(OAUTH1_ENV)})")
        raise NotConfigured(f"x: set {', '.join(OAUTH1_ENV)} (OAuth 1.0a user context) or "
                            f"{OAUTH2_ENV} (OAuth 2.0 user token with tweet.write) to post "
                            "replies")

    def close(self) -> None:
        self.session.close()

    def length(self, text: str) -> int:
        return twitter_text.weighted_length(text)

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        resp = self._call(self.client.create_tweet, text=text,
                          in_reply_to_tweet_id=target.external_id, user_auth=self.user_auth)
        data = _json(resp).get("data")
        if not isinstance(data, dict) or not str(data.get("id") or "").isdigit():
            raise PublishUnavailable(NAME, "X answered without the new post's id; the reply "
                                     "may have been posted")
        return PublishedReply(platform_id=str(data["id"]), url=self._url(str(data["id"])),
                              at=parse_time(data.get("created_at")))

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """Our replies to `target` among our own posts since `since` (newest first)."""
        me = self._whoami()
        start = (since - SKEW).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        token: str | None = None
        for _ in range(self.options.find_pages):
            params: dict[str, Any] = {"start_time": start, "max_results": 100,
                                      "tweet_fields": ["referenced_tweets", "created_at"]}
            if token:
                params["pagination_token"] = token
            body = _json(self._call(self.client.get_users_tweets, me["id"],
                                    user_auth=self.user_auth, **params))
            for post in body.get("data") or []:
                refs = post.get("referenced_tweets") or [] if isinstance(post, dict) else []
                if any(isinstance(r, dict) and r.get("type") == "replied_to"
                       and str(r.get("id")) == target.external_id for r in refs):
                    return PublishedReply(platform_id=str(post["id"]),
                                          url=self._url(str(post["id"])),
                                          at=parse_time(post.get("created_at")))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return None

    def check(self) -> list[str]:
        try:
            resp = self._call(self.client.get_me, user_auth=self.user_auth)
        except PublishError as exc:
            return [str(exc)]
        self._me = (_json(resp).get("data") or None) if resp.ok else None
        level = resp.headers.get("x-access-level", "")
        if self.user_auth and level and "write" not in level:
            return [f"x: the access token is '{level}' only; the account needs {WRITE_ACCESS}"]
        return []

    def _whoami(self) -> dict[str, Any]:
        if self._me is None:
            data = _json(self._call(self.client.get_me, user_auth=self.user_auth)).get("data")
            if not isinstance(data, dict) or not data.get("id"):
                raise PublishUnavailable(NAME, "users/me answered without our user id")
            self._me = data
        return self._me

    def _url(self, post_id: str) -> str:
        handle = (self._me or {}).get("username")
        return (f"https://x.com/{handle}/status/{post_id}" if handle
                else f"https://x.com/i/web/status/{post_id}")

    def call_json(self, method: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """`method` of the tweepy client (a read: search, lookup), its JSON body as a dict;
        failures as PublishError subclasses (the follow-up watcher shares the client)."""
        return _json(self._call(method, *args, **kwargs))

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            response: requests.Response = method(*args, **kwargs)
            return response
        except tweepy.HTTPException as exc:
            raise _map_http(exc, self.credentials) from exc
        except requests.RequestException as exc:
            raise transport_error(NAME, exc, timeout=self.options.timeout) from exc


def _map_http(exc: tweepy.HTTPException, credentials: str) -> PublishError:
    response = exc.response
    detail = short(exc.api_messages[0] if exc.api_messages else response.reason)
    lower = detail.lower()
    if response.status_code in (400, 403):
        for needle, reason in REFUSALS:
            if needle in lower:
                return PublishRejected(NAME, reason, f"X refused the reply: {detail}")
    if response.status_code == 403 and "permission" in lower:
        return PublishAuthError(NAME, f"HTTP 403 {detail}; the account needs {WRITE_ACCESS}",
                                missing=WRITE_ACCESS)
    if response.status_code == 400 and "text" in lower and "long" in lower:
        return PublishRejected(NAME, "too_long", f"X refused the reply: {detail}")
    return status_error(NAME, response.status_code, response.headers, detail,
                        credentials=credentials, write_access=WRITE_ACCESS)


def _json(resp: requests.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError as exc:
        raise PublishUnavailable(NAME, "X answered with something that is not JSON") from exc
    return body if isinstance(body, dict) else {}
