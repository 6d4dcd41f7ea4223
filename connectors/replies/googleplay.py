"""Google Play: the developer reply to a review (`reviews.reply`), through the official client."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.http import retry_after
from connectors.replies.base import PublishedReply, Publisher, ReplyTarget
from connectors.replies.http import same_text, short, status_error, transport_error
from connectors.replies.options import GooglePlayOptions, validate_options
from monitor.errors import (
    ConfigError,
    NotConfigured,
    PublishAuthError,
    PublishError,
    PublishRejected,
)

logger = logging.getLogger(__name__)

NAME = "googleplay"
KEY_ENV = "GOOGLE_PLAY_SERVICE_ACCOUNT"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
WRITE_ACCESS = ("the 'Reply to reviews' permission for the service account in Play Console "
                "(Users and permissions), with the Google Play Android Developer API enabled")
SKEW = timedelta(minutes=5)


class GooglePlayPublisher(Publisher):
    """Replies with `reviews.reply` as the service account whose JSON key file is named by
    GOOGLE_PLAY_SERVICE_ACCOUNT. Play keeps one developer reply per review: replying again
    replaces it, so a repeated reply never shows twice."""

    name: ClassVar[str] = NAME
    limit: ClassVar[int] = 350  # Play's limit for a reply to a review

    def __init__(self, *, options: GooglePlayOptions, key: Mapping[str, Any]) -> None:
        self.options = options
        info = dict(key)
        if options.token_uri:
            info["token_uri"] = options.token_uri
        try:
            self.credentials = service_account.Credentials.from_service_account_info(
                info, scopes=[SCOPE])
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"not a service-account key ({short(exc)})", key=KEY_ENV) from exc
        # the official client on httplib2: every request bounded by `timeout`, HTTPS_PROXY
        # honoured (httplib2 reads it), never retried (num_retries=0)
        self.http = google_auth_httplib2.AuthorizedHttp(
            self.credentials, http=httplib2.Http(timeout=options.timeout))
        self.service = build("androidpublisher", "v3", http=self.http, static_discovery=True,
                             cache_discovery=False,
                             client_options={"api_endpoint": options.root_url})

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> GooglePlayPublisher:
        settings = validate_options(GooglePlayOptions, options, NAME)
        path = environ.get(KEY_ENV)
        if not path:
            raise NotConfigured(f"googleplay: {KEY_ENV} is not set (the path of a service "
                                "account's JSON key, see deploy/ACCOUNTS.md)")
        try:
            key = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the key file ({exc.strerror})", key=KEY_ENV) from exc
        except ValueError as exc:
            raise ConfigError("the key file is not JSON", key=KEY_ENV) from exc
        if not isinstance(key, dict) or key.get("type") != "service_account":
            raise ConfigError("the key file is not a service-account key", key=KEY_ENV)
        return cls(options=settings, key=key)

    def close(self) -> None:
        self.service.close()

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        app = _app(target)
        body = self.execute(self.service.reviews().reply(
            packageName=app, reviewId=target.external_id, body={"replyText": text}))
        result = body.get("result")
        result = result if isinstance(result, dict) else {}
        return PublishedReply(platform_id=target.external_id, url=target.url,
                              at=play_time(result.get("lastEdited")) or datetime.now(UTC))

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """The review's developer reply, when it is ours: the same text, or written since
        `since` (a reply is replaced, not added: an older one by a colleague is not ours)."""
        try:
            review = self.execute(self.service.reviews().get(
                packageName=_app(target), reviewId=target.external_id))
        except PublishRejected:
            return None  # the review is gone: nothing of ours is there
        for comment in review.get("comments") or []:
            reply = comment.get("developerComment") if isinstance(comment, dict) else None
            if not isinstance(reply, dict):
                continue
            at = play_time(reply.get("lastModified"))
            if same_text(reply.get("text"), text) or (at is not None and at >= since - SKEW):
                return PublishedReply(platform_id=target.external_id, url=target.url, at=at)
        return None

    def check(self) -> list[str]:
        """A token for the androidpublisher scope, then one review read per listed app (the
        API has no dry run for a reply; Play grants review permissions per app)."""
        try:
            self.credentials.refresh(google_auth_httplib2.Request(
                httplib2.Http(timeout=self.options.timeout)))
            for app in self.options.apps:
                self.execute(self.service.reviews().list(packageName=app, maxResults=1))
        except PublishError as exc:
            return [str(exc)]
        except google.auth.exceptions.GoogleAuthError as exc:
            return [str(_auth_error(exc))]
        return []

    def execute(self, request: Any) -> dict[str, Any]:
        try:
            body = request.execute(num_retries=0)
        except HttpError as exc:
            raise _http_error(exc) from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise _auth_error(exc) from exc
        except (OSError, httplib2.HttpLib2Error) as exc:  # TimeoutError is an OSError
            raise transport_error(NAME, exc, timeout=self.options.timeout) from exc
        return body if isinstance(body, dict) else {}


def _app(target: ReplyTarget) -> str:
    app = target.extra.get("app_id")
    if not isinstance(app, str) or not app:
        raise PublishRejected(NAME, "other", "the review has no app id (extra.app_id)")
    return app


def play_time(value: Any) -> datetime | None:
    """Play's Timestamp {"seconds": "…", "nanos": n} as an aware datetime."""
    if not isinstance(value, dict):
        return None
    try:
        seconds: Any = value.get("seconds")
        nanos: Any = value.get("nanos") or 0
        return datetime.fromtimestamp(int(seconds) + int(nanos) / 1e9, UTC)
    except (TypeError, ValueError):
        return None


def _auth_error(exc: google.auth.exceptions.GoogleAuthError) -> PublishError:
    if isinstance(exc, google.auth.exceptions.TransportError):
        return transport_error(NAME, exc, timeout=0)
    # RefreshError's first argument is the token endpoint's answer (no key material)
    said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
    return PublishAuthError(NAME, f"the service-account key was refused ({short(said)}); check "
                            f"{KEY_ENV}", missing=KEY_ENV)


def _http_error(exc: HttpError) -> PublishError:
    status = int(exc.resp.status)
    detail = short(exc._get_reason() if hasattr(exc, "_get_reason") else exc.reason)
    if status == 404:
        return PublishRejected(NAME, "review_removed", f"the review is gone (HTTP 404: {detail})")
    if status == 400 and ("long" in detail.lower() or "length" in detail.lower()):
        return PublishRejected(NAME, "too_long", f"Play refused the reply: {detail}")
    headers = {k: str(v) for k, v in dict(exc.resp).items()}
    if status == 429:
        headers.setdefault("retry-after", str(retry_after(headers)))
    return status_error(NAME, status, headers, detail, credentials=KEY_ENV,
                        write_access=WRITE_ACCESS)
