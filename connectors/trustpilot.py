"""Trustpilot reviews of business units through the official API, newest first, paged."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, ConfigDict, Field

from connectors.dates import parse_iso
from connectors.http import json_page, raise_for_response, send
from connectors.marks import advance_mark
from connectors.options import SourceOptions, validate_settings
from connectors.targeted import TargetConnector, TargetNotFound, TargetResult
from monitor.errors import NotConfigured
from monitor.models import Author, Mention, SourceQuery

logger = logging.getLogger(__name__)

NAME = "trustpilot"
KEY_ENV = "TRUSTPILOT_API_KEY"
SITE = "https://www.trustpilot.com"


class BusinessUnit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9]+$")
    brand: str = Field(min_length=1)


class Settings(SourceOptions):
    base_url: str = Field("https://api.trustpilot.com", pattern=r"^https?://")
    business_units: list[BusinessUnit] = Field(default_factory=list)
    per_page: int = Field(100, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=100)


class TrustpilotConnector(TargetConnector[BusinessUnit]):
    """GET {base_url}/v1/business-units/{id}/reviews?orderBy=createdat.desc&perPage=&page=.

    The API key goes in the `apikey` header, never in the URL, so it cannot leak into logs,
    proxies or error messages. Cursor (JSON): {"units": {"<id>": {"at": iso, "ids": [...]}}},
    the newest review time seen and the ids created at that time; paging stops below it.
    """

    name: ClassVar[str] = NAME
    settings_model = Settings
    marks_key = "units"
    what = "business unit"
    expected = "a business unit id (letters and digits)"
    settings: Settings

    def __init__(self, settings: Settings, *, api_key: str,
                 session: requests.Session | None = None) -> None:
        super().__init__(settings, session=session)
        self.session.headers["apikey"] = api_key

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
    ) -> TrustpilotConnector:
        settings = validate_settings(Settings, options, NAME)
        key = (environ.get(KEY_ENV) or "").strip()
        if not key:
            raise NotConfigured(f"{KEY_ENV} is not set (a Trustpilot API key is required)")
        return cls(settings, api_key=key)

    def configured(self) -> list[BusinessUnit]:
        return self.settings.business_units

    def build(self, query: SourceQuery) -> BusinessUnit:
        return BusinessUnit(id=query.query.strip(), brand=query.brand)

    def key(self, target: BusinessUnit) -> str:
        return target.id

    def poll_target(self, unit: BusinessUnit, mark: dict[str, Any], dropped: Counter[str]
                    ) -> TargetResult:
        since = parse_iso(mark.get("at"))
        seen = set(mark.get("ids") or ())
        out: list[Mention] = []
        page = 0
        while page < self.settings.max_pages:
            page += 1
            body = self._fetch(unit, page)
            reached = False
            for item in body["reviews"]:
                try:
                    mention = _to_mention(item, unit)
                except ValueError as exc:
                    dropped[str(exc)] += 1
                    logger.warning("trustpilot: dropped a review of %s: %s", unit.id, exc,
                                   extra={"source": NAME, "business_unit": unit.id})
                    continue
                if since and (mention.created_at < since or mention.external_id in seen):
                    reached = True  # newest first: the rest was returned before
                    continue
                out.append(mention)
            if reached or not body["reviews"] or not _has_next(body):
                break
        logger.debug("trustpilot: %s: %d new reviews in %d requests", unit.id, len(out), page,
                     extra={"source": NAME, "business_unit": unit.id})
        return TargetResult(out, advance_mark(mark, out) if out else None, page)

    def _fetch(self, unit: BusinessUnit, page: int) -> dict[str, Any]:
        url = f"{self.settings.base_url.rstrip('/')}/v1/business-units/{unit.id}/reviews"
        params = {"perPage": str(self.settings.per_page), "page": str(page),
                  "orderBy": "createdat.desc"}
        resp = send(self.session, "GET", url, source=NAME, timeout=self.settings.timeout,
                    what=f"business unit {unit.id}", params=params)
        if resp.status_code == 404:
            raise TargetNotFound(NAME, f"business unit {unit.id} not found (HTTP 404)")
        raise_for_response(NAME, resp)
        return json_page(resp, source=NAME, what=f"business unit {unit.id} page {page}",
                         expect=("reviews", list))


def _has_next(body: Mapping[str, Any]) -> bool:
    links = body.get("links")
    return isinstance(links, list) and any(
        isinstance(link, dict) and link.get("rel") == "next-page" for link in links)


def _to_mention(item: Any, unit: BusinessUnit) -> Mention:
    """One review object -> Mention; ValueError(reason) for a malformed one."""
    if not isinstance(item, dict):
        raise ValueError("not_an_object")
    review_id = item.get("id")
    if not isinstance(review_id, str) or not review_id:
        raise ValueError("missing_id")
    stars = item.get("stars")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValueError("bad_rating")
    created = parse_iso(item.get("createdAt"))
    if created is None:
        raise ValueError("bad_date")
    title, text, consumer = item.get("title"), item.get("text"), item.get("consumer")
    title = title if isinstance(title, str) else None
    text = text if isinstance(text, str) else ""
    if not (title or text):
        raise ValueError("empty_review")
    consumer = consumer if isinstance(consumer, dict) else {}
    name = consumer.get("displayName") or "Trustpilot user"
    consumer_id = consumer.get("id") if isinstance(consumer.get("id"), str) else None
    return Mention(
        source=NAME,
        external_id=review_id,
        text=text,
        title=title or None,
        created_at=created,
        author=Author(handle=str(name), name=str(name), id=consumer_id,
                      url=f"{SITE}/users/{consumer_id}" if consumer_id else None),
        url=f"{SITE}/reviews/{review_id}",
        lang=item.get("language") if isinstance(item.get("language"), str) else None,
        rating=stars,
        brand=unit.brand,
        kind="review",
        extra={
            "business_unit": unit.id,
            "location": consumer.get("displayLocation"),
            "verified": bool(item.get("isVerified")),
            "company_replied": bool(item.get("companyReply")),
        },
    )
