"""A loopback Trustpilot API: business-unit reviews, apikey header, page/perPage, links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.trustpilot import TrustpilotConnector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer, Request, Response

UNIT_ID = "5d2f8a1e0b9c7a0001a1b2c3"
API_KEY = "tp-test-key-7f3a9c"
_PATH = re.compile(r"^/v1/business-units/(\w+)/reviews$")
_FAULT = {"fault": {"faultstring": "Invalid ApiKey",
                    "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}}


def review(review_id: str, created: str, *, stars: int = 1, title: str | None = "Never arrived",
           text: str = "Ordered two weeks ago, still waiting and nobody answers my emails.",
           name: str = "Lee Carter", language: str = "en") -> dict[str, Any]:
    """A review object in the API's shape (consumer, businessUnit, links ...)."""
    api = "https://api.trustpilot.com/v1"
    return {
        "links": [{"href": f"{api}/reviews/{review_id}", "method": "GET", "rel": "reviews"}],
        "id": review_id,
        "consumer": {"links": [{"href": f"{api}/consumers/c{review_id}", "method": "GET",
                                "rel": "consumers"}],
                     "id": f"c{review_id}", "displayName": name, "displayLocation": "Leeds, GB",
                     "numberOfReviews": 3},
        "businessUnit": {"links": [], "id": UNIT_ID, "identifyingName": "acme.example",
                         "displayName": "Acme"},
        "location": None,
        "stars": stars,
        "title": title,
        "text": text,
        "language": language,
        "createdAt": created,
        "experiencedAt": created,
        "updatedAt": None,
        "companyReply": None,
        "isVerified": True,
        "numberOfLikes": 0,
        "status": "active",
        "reportData": None,
        "complianceLabels": [],
        "countsTowardsTrustScore": True,
        "reviewVerificationLevel": "invited",
    }


class TrustpilotFake:
    """Serves reviews per business unit, newest first, honouring page/perPage and the key."""

    def __init__(self, server: FakeServer, *, api_key: str = API_KEY) -> None:
        self.server = server
        self.api_key = api_key
        self.reviews: dict[str, list[dict[str, Any]]] = {}
        server.route("GET", "/v1/business-units/*", self._serve)

    def add(self, *reviews: dict[str, Any], unit_id: str = UNIT_ID) -> None:
        self.reviews.setdefault(unit_id, []).extend(reviews)
        self.reviews[unit_id].sort(key=lambda r: r["createdAt"], reverse=True)

    def _serve(self, req: Request) -> Response:
        if req.headers.get("apikey") != self.api_key and req.arg("apikey") != self.api_key:
            return Response(401, _FAULT)
        m = _PATH.match(req.path)
        if not m or m.group(1) not in self.reviews:
            return Response(404, {"message": "Not found", "errorCode": 1000})
        items = self.reviews[m.group(1)]
        page, per_page = int(req.arg("page", "1") or 1), int(req.arg("perPage", "20") or 20)
        assert req.arg("orderBy") == "createdat.desc", "the connector must ask newest first"
        chunk = items[(page - 1) * per_page: page * per_page]
        base = f"https://api.trustpilot.com{req.path}?perPage={per_page}&orderBy=createdat.desc"
        links = []
        if page > 1:
            links.append({"href": f"{base}&page={page - 1}", "method": "GET", "rel": "prev-page"})
        if page * per_page < len(items):
            links.append({"href": f"{base}&page={page + 1}", "method": "GET", "rel": "next-page"})
        return Response(200, {"links": links, "reviews": chunk})

    def requests(self) -> list[Request]:
        return [r for r in self.server.requests if _PATH.match(r.path)]


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """Contract-test hook: a connector pointed at `fake_server`, loaded with three reviews."""
    fake = TrustpilotFake(fake_server)
    fake.add(review("r1", "2026-11-19T08:00:00.000Z"),
             review("r2", "2026-11-20T09:30:00.000Z", stars=5, title="Lovely"),
             review("r3", "2026-11-21T10:45:12.000Z", stars=2, title=None))
    connector = TrustpilotConnector.from_settings(
        {"base_url": fake_server.url, "timeout": 2}, environ={"TRUSTPILOT_API_KEY": API_KEY})
    return connector, [SourceQuery(brand="acme", query=UNIT_ID)]
