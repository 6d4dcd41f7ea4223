"""App Store: a customer review response through the App Store Connect API (ES256 JWT)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import jwt
import requests

from connectors.http import make_session
from connectors.replies.base import PublishedReply, Publisher, ReplyTarget
from connectors.replies.http import (
    error_detail,
    parse_time,
    same_text,
    send,
    short,
    status_error,
)
from connectors.replies.options import AppStoreOptions, validate_options
from monitor.errors import (
    ConfigError,
    NotConfigured,
    PublishError,
    PublishRejected,
    PublishUnavailable,
)

logger = logging.getLogger(__name__)

NAME = "appstore"
ENV = ("ASC_KEY_ID", "ASC_ISSUER_ID", "ASC_PRIVATE_KEY")
CREDENTIALS = ", ".join(ENV)
WRITE_ACCESS = ("an App Store Connect API key with the Admin, App Manager or Customer Support "
                "role (Users and Access > Integrations)")
TOKEN_LIFETIME = 15 * 60  # Apple accepts at most 20 minutes
SKEW = timedelta(minutes=5)
JSON_API = {"Content-Type": "application/json"}


class AppStorePublisher(Publisher):
    """Creates `customerReviewResponses` for the review id we stored. Apple keeps one response
    per review (a new one replaces it) and publishes it after a short review."""

    name: ClassVar[str] = NAME
    limit: ClassVar[int] = 5_970  # Apple's limit for a developer response

    def __init__(self, *, options: AppStoreOptions, key_id: str, issuer_id: str,
                 private_key: str, session: requests.Session | None = None) -> None:
        self.options = options
        self.base = options.base_url.rstrip("/")
        self.key_id, self.issuer_id, self._key = key_id, issuer_id, private_key
        self.session = session or make_session(timeout=options.timeout)
        self._token: tuple[str, float] | None = None
        self._bearer()  # a key that cannot sign fails at startup, not at the first reply

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> AppStorePublisher:
        settings = validate_options(AppStoreOptions, options, NAME)
        values = {k: environ.get(k) or "" for k in ENV}
        if missing := [k for k, v in values.items() if not v]:
            raise NotConfigured(f"appstore: {', '.join(missing)} not set (an App Store "
                                "Connect API key: key id, issuer id, path of the .p8 file)")
        try:
            pem = Path(values["ASC_PRIVATE_KEY"]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the .p8 key file ({exc.strerror})",
                              key="ASC_PRIVATE_KEY") from exc
        return cls(options=settings, key_id=values["ASC_KEY_ID"],
                   issuer_id=values["ASC_ISSUER_ID"], private_key=pem)

    def close(self) -> None:
        self.session.close()

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        body = {"data": {"type": "customerReviewResponses",
                         "attributes": {"responseBody": text},
                         "relationships": {"review": {"data": {
                             "type": "customerReviews", "id": target.external_id}}}}}
        resp = self._request("POST", "/v1/customerReviewResponses", json=body)
        if resp.status_code == 404:
            raise PublishRejected(NAME, "review_removed", "the review is gone (HTTP 404: "
                                  f"{short(error_detail(resp))})")
        if resp.status_code == 409:
            raise PublishRejected(NAME, "duplicate", "Apple refused the response (HTTP 409: "
                                  f"{short(error_detail(resp))})")
        data = self._data(resp)
        if not data or not data.get("id"):
            raise PublishUnavailable(NAME, "Apple answered without the response's id; it may "
                                     "have been posted")
        return _published(data)

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """The review's response, when it is ours: the same text, or changed since `since`."""
        resp = self._request("GET", f"/v1/customerReviews/{target.external_id}/response")
        if resp.status_code == 404:
            return None  # no such review, or no response to it
        data = self._data(resp)
        if not data:
            return None
        attributes = data.get("attributes") or {}
        at = parse_time(attributes.get("lastModifiedDate"))
        if same_text(attributes.get("responseBody"), text) or (at and at >= since - SKEW):
            return _published(data)
        return None

    def review(self, review_id: str) -> dict[str, Any] | None:
        """The customer review `review_id` (JSON:API `data`: rating, title, body, createdDate
        …) as Apple has it now; None when it is gone. Read by the follow-up watcher."""
        resp = self._request("GET", f"/v1/customerReviews/{review_id}")
        return None if resp.status_code == 404 else self._data(resp)

    def check(self) -> list[str]:
        """Reads one review of an app with the key (the listed apps, else the first one)."""
        try:
            apps = list(self.options.apps)
            if not apps:
                listed = self._data_list(self._request("GET", "/v1/apps", params={"limit": 1}))
                apps = [str(a["id"]) for a in listed[:1] if isinstance(a, dict) and "id" in a]
            for app in apps:
                self._data_list(self._request("GET", f"/v1/apps/{app}/customerReviews",
                                              params={"limit": 1}))
        except PublishError as exc:
            return [str(exc)]
        return []

    def _bearer(self) -> str:
        now = time.time()
        if self._token is None or self._token[1] - now < 60:
            try:
                token = jwt.encode({"iss": self.issuer_id, "iat": int(now),
                                    "exp": int(now) + TOKEN_LIFETIME, "aud": "appstoreconnect-v1"},
                                   self._key, algorithm="ES256",
                                   headers={"kid": self.key_id, "typ": "JWT"})
            except (ValueError, TypeError, jwt.PyJWTError) as exc:
                raise ConfigError("not an App Store Connect .p8 private key (ES256)",
                                  key="ASC_PRIVATE_KEY") from exc
            self._token = (token, now + TOKEN_LIFETIME)
        return self._token[0]

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._bearer()}", **JSON_API}
        resp = send(self.session, method, f"{self.base}{path}", source=NAME,
                    timeout=self.options.timeout, headers=headers, **kwargs)
        if resp.status_code >= 400 and resp.status_code not in (404, 409):
            raise status_error(NAME, resp.status_code, resp.headers, error_detail(resp),
                               credentials=CREDENTIALS, write_access=WRITE_ACCESS)
        return resp

    @staticmethod
    def _json(resp: requests.Response) -> dict[str, Any]:
        if resp.status_code >= 400:
            raise status_error(NAME, resp.status_code, resp.headers, error_detail(resp),
                               credentials=CREDENTIALS, write_access=WRITE_ACCESS)
        try:
            body = resp.json()
        except ValueError as exc:
            raise PublishUnavailable(NAME, "Apple answered with something that is not JSON")\
                from exc
        return body if isinstance(body, dict) else {}

    def _data(self, resp: requests.Response) -> dict[str, Any] | None:
        data = self._json(resp).get("data")
        return data if isinstance(data, dict) else None

    def _data_list(self, resp: requests.Response) -> list[Any]:
        data = self._json(resp).get("data")
        return data if isinstance(data, list) else []


def _published(data: Mapping[str, Any]) -> PublishedReply:
    attributes = data.get("attributes") or {}
    return PublishedReply(platform_id=str(data["id"]), url=None,
                          at=parse_time(attributes.get("lastModifiedDate")))
