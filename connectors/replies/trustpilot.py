"""Trustpilot: the company reply to a review (business-user API), through requests."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

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
from connectors.replies.options import TrustpilotOptions, validate_options
from monitor.errors import (
    NotConfigured,
    PublishAuthError,
    PublishError,
    PublishRejected,
    PublishUnavailable,
)

logger = logging.getLogger(__name__)

NAME = "trustpilot"
PASSWORD_ENV = ("TRUSTPILOT_API_KEY", "TRUSTPILOT_API_SECRET", "TRUSTPILOT_USERNAME",
                "TRUSTPILOT_PASSWORD")
TOKEN_ENV = "TRUSTPILOT_ACCESS_TOKEN"
TOKEN_PATH = "/v1/oauth/oauth-business-users-for-applications/accesstoken"
WRITE_ACCESS = ("a business user of this business unit whose API application may reply to "
                "reviews (Trustpilot Business > Integrations > API)")
SKEW = timedelta(minutes=5)


class TrustpilotPublisher(Publisher):
    """Replies with `POST /v1/private/reviews/{id}/reply` as a business user: a password
    grant with the API key and secret (TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET,
    TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD), or a ready TRUSTPILOT_ACCESS_TOKEN. A review has
    one company reply; replying again replaces it."""

    name: ClassVar[str] = NAME
    limit: ClassVar[int] = 2_000  # kept readable; Trustpilot documents no hard limit

    def __init__(self, *, options: TrustpilotOptions, api_key: str | None,
                 grant: Mapping[str, str] | None = None, access_token: str | None = None,
                 session: requests.Session | None = None) -> None:
        self.options = options
        self.base = options.base_url.rstrip("/")
        self.session = session or make_session(timeout=options.timeout)
        if api_key:
            self.session.headers["apikey"] = api_key  # a header, never in a URL or a message
        self._grant = dict(grant or {})
        self._token: tuple[str, float] | None = (access_token, float("inf")) if access_token \
            else None
        self.credentials = ", ".join(PASSWORD_ENV) if grant else TOKEN_ENV

    @classmethod
    def from_settings(cls, options: Mapping[str, Any], *, environ: Mapping[str, str]
                      ) -> TrustpilotPublisher:
        settings = validate_options(TrustpilotOptions, options, NAME)
        values = {k: environ.get(k) or "" for k in PASSWORD_ENV}
        if all(values.values()):
            return cls(options=settings, api_key=values["TRUSTPILOT_API_KEY"], grant={
                "key": values["TRUSTPILOT_API_KEY"], "secret": values["TRUSTPILOT_API_SECRET"],
                "username": values["TRUSTPILOT_USERNAME"],
                "password": values["TRUSTPILOT_PASSWORD"]})
        if environ.get(TOKEN_ENV):
            return cls(options=settings, api_key=values["TRUSTPILOT_API_KEY"] or None,
                       access_token=environ[TOKEN_ENV])
        missing = [k for k, v in values.items() if not v]
        raise NotConfigured(f"trustpilot: {', '.join(missing)} not set (a business user's "
                            f"password grant), nor {TOKEN_ENV}")

    def close(self) -> None:
        self.session.close()

    def publish(self, target: ReplyTarget, text: str) -> PublishedReply:
        body: dict[str, Any] = {"message": text}
        if self.options.author_business_user_id:
            body["authorBusinessUserId"] = self.options.author_business_user_id
        resp = self._request("POST", f"/v1/private/reviews/{target.external_id}/reply",
                             json=body, private=True)
        if resp.status_code == 404:
            raise PublishRejected(NAME, "review_removed", "the review is gone (HTTP 404: "
                                  f"{short(error_detail(resp))})")
        if resp.status_code == 409:
            raise PublishRejected(NAME, "duplicate", "Trustpilot refused the reply (HTTP 409: "
                                  f"{short(error_detail(resp))})")
        return PublishedReply(platform_id=target.external_id, url=target.url, at=None)

    def find(self, target: ReplyTarget, *, text: str, since: datetime) -> PublishedReply | None:
        """The review's company reply, when it is ours: the same text, or written since
        `since`."""
        resp = self._request("GET", f"/v1/reviews/{target.external_id}", private=False)
        if resp.status_code in (404, 409):
            return None
        try:
            review = resp.json()
        except ValueError:
            review = None
        reply = review.get("companyReply") if isinstance(review, dict) else None
        if not isinstance(reply, dict) or not reply.get("text"):
            return None
        at = parse_time(reply.get("updatedAt")) or parse_time(reply.get("createdAt"))
        if same_text(reply.get("text"), text) or (at and at >= since - SKEW):
            return PublishedReply(platform_id=target.external_id, url=target.url, at=at)
        return None

    def review(self, review_id: str) -> dict[str, Any] | None:
        """The public review `review_id` (stars, title, text, createdAt, updatedAt …) as
        Trustpilot has it now; None when it is gone. Read by the follow-up watcher."""
        resp = self._request("GET", f"/v1/reviews/{review_id}", private=False)
        if resp.status_code in (404, 409):
            return None
        try:
            review = resp.json()
        except ValueError as exc:
            raise PublishUnavailable(NAME, "Trustpilot answered with something that is not "
                                     "JSON") from exc
        return review if isinstance(review, dict) else None

    def check(self) -> list[str]:
        """The business user's token grant, then one read per listed business unit."""
        try:
            self._bearer()
            for unit in self.options.business_units:
                resp = self._request("GET", f"/v1/private/business-units/{unit}/reviews",
                                     params={"perPage": 1}, private=True)
                if resp.status_code == 404:
                    return [f"trustpilot: business unit {unit} not found for this user"]
        except PublishError as exc:
            return [str(exc)]
        return []

    def _bearer(self) -> str:
        if self._token is None or self._token[1] - time.time() < 60:
            if not self._grant:
                raise PublishAuthError(NAME, f"the access token expired; renew {TOKEN_ENV}",
                                       missing=TOKEN_ENV)
            resp = send(self.session, "POST", f"{self.base}{TOKEN_PATH}", source=NAME,
                        timeout=self.options.timeout,
                        auth=(self._grant["key"], self._grant["secret"]),
                        data={"grant_type": "password", "username": self._grant["username"],
                              "password": self._grant["password"]})
            if resp.status_code >= 400:
                raise status_error(NAME, 401 if resp.status_code == 400 else resp.status_code,
                                   resp.headers, error_detail(resp),
                                   credentials=self.credentials, write_access=WRITE_ACCESS)
            try:
                body = resp.json()
                token, lifetime = str(body["access_token"]), float(body.get("expires_in", 0))
            except (ValueError, KeyError, TypeError) as exc:
                raise PublishAuthError(NAME, "the token answer holds no access_token",
                                       missing=self.credentials) from exc
            self._token = (token, time.time() + (lifetime or 3600))
        return self._token[0]

    def _request(self, method: str, path: str, *, private: bool, **kwargs: Any
                 ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._bearer()}"} if private else {}
        resp = send(self.session, method, f"{self.base}{path}", source=NAME,
                    timeout=self.options.timeout, headers=headers, **kwargs)
        if resp.status_code >= 400 and resp.status_code not in (404, 409):
            raise status_error(NAME, resp.status_code, resp.headers, error_detail(resp),
                               credentials=self.credentials, write_access=WRITE_ACCESS)
        return resp
