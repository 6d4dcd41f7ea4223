"""A loopback App Store Connect API: customerReviewResponses, a review's response, apps."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from connectors.replies.base import ReplyTarget
from tests.fakes.publish import Kit, PublishFake, now_iso
from tests.fakes.server import FakeServer, Request, Response

APP = "1404176564"
REVIEW = "00000020-5d9f-8d01-0000-000000a1b2c3"
KEY_ID = "2X9R4HXF34"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"


@cache
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def p8(tmp_path: Path) -> Path:
    path = tmp_path / f"AuthKey_{KEY_ID}.p8"
    path.write_bytes(private_key().private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return path


def _errors(status: int, code: str, title: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "f0e1d2c3", "status": str(status), "code": code, "title": title,
                        "detail": detail}]}


class AppStorePublishFake(PublishFake):
    """Reviews of APP; one response per review (a new one replaces it, as Apple documents).
    Every call checks the ES256 token: signature, kid, issuer, audience, lifetime."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.reviews: set[str] = {REVIEW}
        self.responses: dict[str, dict[str, Any]] = {}
        self.attributes: dict[str, dict[str, Any]] = {REVIEW: {
            "rating": 1, "title": "Crashes", "body": "Crashes on launch since the update",
            "reviewerNickname": "Kev", "createdDate": "2026-11-20T10:00:00-08:00",
            "territory": "USA"}}
        self.ids = itertools.count(1)
        server.route("POST", "/v1/customerReviewResponses", self._respond)
        server.route("GET", "/v1/customerReviews/*", self._response)
        server.route("GET", "/v1/apps", self._apps)
        server.route("GET", f"/v1/apps/{APP}/customerReviews", self._reviews)

    def _auth(self, req: Request, *, write: bool) -> Response | None:
        token = req.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, private_key().public_key(), algorithms=["ES256"],
                                audience="appstoreconnect-v1", issuer=ISSUER)
            valid = header.get("kid") == KEY_ID and claims["exp"] - claims["iat"] <= 1200
        except (jwt.InvalidTokenError, KeyError):
            valid = False
        if self.revoked or not valid:
            return Response(401, _errors(401, "NOT_AUTHORIZED", "Authentication credentials "
                                         "are missing or invalid.", "Provide a properly "
                                         "configured and signed bearer token, and make sure "
                                         "that it has not expired."))
        if write and not self.writable:
            return Response(403, _errors(403, "FORBIDDEN_ERROR", "This request is forbidden "
                                         "for security reasons", "The API key in use does not "
                                         "allow this request"))
        if self.limited is not None:
            return Response(429, _errors(429, "RATE_LIMIT_EXCEEDED", "The request rate limit "
                                         "has been reached.", "We've received too many "
                                         "requests for this API."),
                            {"retry-after": str(int(self.limited))})
        return None

    def _respond(self, req: Request) -> Response:
        if (denied := self._auth(req, write=True)) is not None:
            return denied
        data = req.json()["data"]
        review = data["relationships"]["review"]["data"]["id"]
        if review not in self.reviews or review in self.deleted:
            return Response(404, _errors(404, "NOT_FOUND", "The specified resource does not "
                                         "exist", f"There is no resource of type "
                                         f"'customerReviews' with id '{review}'"))
        text = data["attributes"]["responseBody"]
        item = {"type": "customerReviewResponses", "id": f"resp-{next(self.ids)}",
                "attributes": {"responseBody": text, "lastModifiedDate": now_iso(),
                               "state": "PENDING_PUBLISH"}}
        self.responses[review] = item
        self.store(review, {"text": text}, replace=True)
        return self.answer(Response(201, {"data": item}))

    def _response(self, req: Request) -> Response:
        if (denied := self._auth(req, write=False)) is not None:
            return denied
        parts = req.path.strip("/").split("/")  # v1 customerReviews <id> [response]
        review = parts[2] if (len(parts) == 4 and parts[3] == "response") or len(parts) == 3 \
            else ""
        if review not in self.reviews or review in self.deleted:
            return Response(404, _errors(404, "NOT_FOUND", "The specified resource does not "
                                         "exist", "There is no resource of type "
                                         "'customerReviews' with this id"))
        if len(parts) == 3:  # the review itself
            return Response(200, {"data": {"type": "customerReviews", "id": review,
                                           "attributes": self.attributes[review]}})
        return Response(200, {"data": self.responses.get(review)})

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "Kev") -> str:
        """The customer edits their review: new body (and rating); its date moves to now."""
        attributes = self.attributes[target_id]
        attributes.update(body=text, createdDate=now_iso())
        if stars is not None:
            attributes["rating"] = stars
        return target_id

    def _apps(self, req: Request) -> Response:
        if (denied := self._auth(req, write=False)) is not None:
            return denied
        return Response(200, {"data": [{"type": "apps", "id": APP}]})

    def _reviews(self, req: Request) -> Response:
        if (denied := self._auth(req, write=True)) is not None:  # role-gated, like replies
            return denied
        return Response(200, {"data": [{"type": "customerReviews", "id": REVIEW}]})


def kit(server: FakeServer, tmp_path: Path) -> Kit:
    fake = AppStorePublishFake(server)
    return Kit(name="appstore", fake=fake, options={"base_url": fake.url, "timeout": 2},
               env={"ASC_KEY_ID": KEY_ID, "ASC_ISSUER_ID": ISSUER,
                    "ASC_PRIVATE_KEY": str(p8(tmp_path))},
               target=ReplyTarget(source="appstore", external_id=REVIEW, author_handle="Kev",
                                  extra={"app_id": APP}),
               secrets=[private_key().private_bytes(
                   serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                   serialization.NoEncryption()).decode().splitlines()[1]],
               refusals={"review_removed"}, write_access="Customer Support",
               deleted_reason="review_removed", replaces=True)
