"""A loopback Trustpilot API: business-user token grant, review reply, public review."""

from __future__ import annotations

import base64
from typing import Any

from connectors.replies.base import ReplyTarget
from connectors.replies.trustpilot import TOKEN_PATH
from tests.fakes.publish import Kit, PublishFake, now_iso
from tests.fakes.server import FakeServer, Request, Response

UNIT = "5a1b2c3d4e5f60718293a4b5"
REVIEW = "64f0c0ffee0123456789abcd"
TOKEN = "fake-trustpilot-business-token"
ENV = {"TRUSTPILOT_API_KEY": "fake-tp-api-key-1a2b", "TRUSTPILOT_API_SECRET": "fake-tp-secret-3c4d",
       "TRUSTPILOT_USERNAME": "care@parcelly.example", "TRUSTPILOT_PASSWORD": "fake-tp-pass-5e6f"}


class TrustpilotPublishFake(PublishFake):
    """Reviews of UNIT; a review has one company reply (a new one replaces it)."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.reviews: dict[str, dict[str, Any]] = {REVIEW: {
            "id": REVIEW, "stars": 1, "title": "Late again", "text": "Third late parcel",
            "createdAt": "2026-11-20T10:00:00Z", "businessUnit": {"id": UNIT}}}
        server.route("POST", TOKEN_PATH, self._token)
        server.route("POST", "/v1/private/reviews/*", self._reply)
        server.route("GET", "/v1/reviews/*", self._review)
        server.route("GET", f"/v1/private/business-units/{UNIT}/reviews", self._list)

    def _token(self, req: Request) -> Response:
        basic = base64.b64encode(
            f"{ENV['TRUSTPILOT_API_KEY']}:{ENV['TRUSTPILOT_API_SECRET']}".encode()).decode()
        form = req.form()
        if (self.revoked or req.headers.get("authorization") != f"Basic {basic}"
                or form.get("grant_type") != "password"
                or form.get("password") != ENV["TRUSTPILOT_PASSWORD"]):
            return Response(401, {"fault": {"faultstring": "Invalid credentials"},
                                  "message": "Invalid credentials"})
        return Response(200, {"access_token": TOKEN, "refresh_token": "fake-refresh",
                              "expires_in": "359999", "token_type": "BearerToken"})

    def _auth(self, req: Request) -> Response | None:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"message": "Unauthorized"})
        if not self.writable:
            return Response(403, {"message": "Forbidden: the business user has no access to "
                                             "this business unit"})
        if self.limited is not None:
            return Response(429, {"message": "Too Many Requests"},
                            {"retry-after": str(int(self.limited))})
        return None

    def _reply(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        parts = req.path.strip("/").split("/")  # v1 private reviews <id> reply
        review = self.reviews.get(parts[3]) if len(parts) == 5 and parts[4] == "reply" else None
        if review is None or review["id"] in self.deleted:
            return Response(404, {"message": "Review not found"})
        text = req.json().get("message", "")
        review["companyReply"] = {"text": text, "authorBusinessUserId": "b-user-1",
                                  "authorBusinessUserName": "Parcelly Care",
                                  "createdAt": now_iso(), "updatedAt": None}
        self.store(review["id"], {"text": text}, replace=True)
        return self.answer(Response(201, b""))

    def _review(self, req: Request) -> Response:
        if req.headers.get("apikey") != ENV["TRUSTPILOT_API_KEY"]:
            return Response(401, {"message": "Invalid apikey"})
        if self.limited is not None:
            return Response(429, {"message": "Too Many Requests"},
                            {"retry-after": str(int(self.limited))})
        review = self.reviews.get(req.path.rsplit("/", 1)[-1])
        if review is None or review["id"] in self.deleted:
            return Response(404, {"message": "Review not found"})
        return Response(200, review)

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "Sam") -> str:
        """The consumer updates their review: new text (and stars), `updatedAt` now."""
        review = self.reviews[target_id]
        review.update(text=text, updatedAt=now_iso())
        if stars is not None:
            review["stars"] = stars
        return target_id

    def _list(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        return Response(200, {"reviews": list(self.reviews.values())[:1], "links": []})


def kit(server: FakeServer) -> Kit:
    fake = TrustpilotPublishFake(server)
    return Kit(name="trustpilot", fake=fake,
               options={"base_url": fake.url, "timeout": 2, "business_units": [UNIT]},
               env=dict(ENV),
               target=ReplyTarget(source="trustpilot", external_id=REVIEW, author_handle="Sam",
                                  extra={"business_unit": UNIT}),
               secrets=[ENV["TRUSTPILOT_API_SECRET"], ENV["TRUSTPILOT_PASSWORD"],
                        ENV["TRUSTPILOT_API_KEY"], TOKEN],
               refusals={"review_removed"}, write_access="business user",
               deleted_reason="review_removed", replaces=True)
