"""A loopback Android Publisher API (reviews get/list/reply) and Google OAuth token endpoint."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.replies.base import ReplyTarget
from tests.fakes.publish import Kit, PublishFake
from tests.fakes.server import FakeServer, Request, Response

APP = "com.parcelly.app"
REVIEW = "gp:AOqpTOH-fake-review-0001"
TOKEN = "ya29.fake-google-access-token"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth signs for Google's endpoint
BASE = f"/androidpublisher/v3/applications/{APP}/reviews"


@cache
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_file(tmp_path: Path, token_uri: str) -> Path:
    """A service-account JSON key in Google's shape, with a fresh RSA key."""
    pem = private_key().private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
    path = tmp_path / "play-key.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "parcelly-play",
        "private_key_id": "fake0key0id", "private_key": pem,
        "client_email": "replies@parcelly-play.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": token_uri,
    }))
    return path


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global", "reason": status}]}}


class GooglePlayPublishFake(PublishFake):
    """Reviews live in `reviews`; a reply REPLACES the review's developer comment, as on Play.
    The token endpoint checks the service account's signed assertion and its scope."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.reviews: dict[str, dict[str, Any]] = {REVIEW: {
            "reviewId": REVIEW, "authorName": "Gareth Jones",
            "comments": [{"userComment": {"text": "Parcel never arrived", "starRating": 1,
                                          "lastModified": {"seconds": "1795000000"}}}]}}
        server.route("POST", "/token", self._token)
        server.route("GET", f"{BASE}/*", self._get)
        server.route("GET", BASE, self._list)
        server.route("POST", f"{BASE}/*", self._reply)

    def _token(self, req: Request) -> Response:
        form = req.form()
        try:
            claims = jwt.decode(form.get("assertion", ""), private_key().public_key(),
                                algorithms=["RS256"], audience=AUDIENCE)
        except jwt.InvalidTokenError as exc:
            return Response(400, {"error": "invalid_grant", "error_description": str(exc)})
        if self.revoked:
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "Invalid JWT Signature."})
        if SCOPE not in claims.get("scope", "").split():
            return Response(400, {"error": "invalid_scope"})
        return Response(200, {"access_token": TOKEN, "expires_in": 3599,
                              "token_type": "Bearer"})

    def _auth(self, req: Request, *, write: bool) -> Response | None:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, _error(401, "Request had invalid authentication credentials.",
                                        "UNAUTHENTICATED"))
        if write and not self.writable:
            return Response(403, _error(403, "The current user has insufficient permissions "
                                        "to perform the requested operation.",
                                        "PERMISSION_DENIED"))
        if self.limited is not None:
            return Response(429, _error(429, "Quota exceeded.", "RESOURCE_EXHAUSTED"),
                            {"retry-after": str(int(self.limited))})
        return None

    def _review(self, req: Request) -> tuple[str, dict[str, Any] | None]:
        review_id = unquote(req.path[len(BASE) + 1:].removesuffix(":reply"))
        gone = review_id in self.deleted
        return review_id, None if gone else self.reviews.get(review_id)

    def _get(self, req: Request) -> Response:
        if (denied := self._auth(req, write=False)) is not None:
            return denied
        _, review = self._review(req)
        if review is None:
            return Response(404, _error(404, "Review not found.", "NOT_FOUND"))
        return Response(200, review)

    def _list(self, req: Request) -> Response:
        """The reviews, `maxResults` a page, paged with `token` (Play's tokenPagination)."""
        if (denied := self._auth(req, write=not self.writable)) is not None:
            return denied
        reviews = [r for r in self.reviews.values() if r["reviewId"] not in self.deleted]
        size = int(req.arg("maxResults") or 100)
        start = int(req.arg("token") or 0)
        body: dict[str, Any] = {"reviews": reviews[start:start + size]}
        if start + size < len(reviews):
            body["tokenPagination"] = {"nextPageToken": str(start + size)}
        return Response(200, body)

    def customer_says(self, target_id: str, text: str, *, stars: int | None = None,
                      author: str = "Gareth Jones") -> str:
        """The customer edits their review: new text (and stars), modified now."""
        review = self.reviews[target_id]
        user = next(c["userComment"] for c in review["comments"] if "userComment" in c)
        user.update(text=text, lastModified={"seconds": str(int(time.time())), "nanos": 0})
        if stars is not None:
            user["starRating"] = stars
        return target_id

    def add_review(self, review_id: str, text: str, *, stars: int = 3) -> None:
        self.reviews[review_id] = {"reviewId": review_id, "authorName": "Someone", "comments": [
            {"userComment": {"text": text, "starRating": stars,
                             "lastModified": {"seconds": "1795000000"}}}]}

    def _reply(self, req: Request) -> Response:
        if (denied := self._auth(req, write=True)) is not None:
            return denied
        review_id, review = self._review(req)
        if review is None or not req.path.endswith(":reply"):
            return Response(404, _error(404, "Review not found.", "NOT_FOUND"))
        text = req.json().get("replyText", "")
        stamp = {"seconds": str(int(time.time())), "nanos": 0}
        review["comments"] = [c for c in review["comments"] if "developerComment" not in c]
        review["comments"].append({"developerComment": {"text": text, "lastModified": stamp}})
        self.store(review_id, {"text": text}, replace=True)
        return self.answer(Response(200, {"result": {"replyText": text, "lastEdited": stamp}}))


def kit(server: FakeServer, tmp_path: Path) -> Kit:
    fake = GooglePlayPublishFake(server)
    path = key_file(tmp_path, f"{fake.url}/token")
    return Kit(name="googleplay", fake=fake,
               options={"root_url": f"{fake.url}/", "timeout": 2, "apps": [APP]},
               env={"GOOGLE_PLAY_SERVICE_ACCOUNT": str(path)},
               target=ReplyTarget(source="googleplay", external_id=REVIEW,
                                  author_handle="Gareth Jones", extra={"app_id": APP}),
               secrets=[TOKEN, private_key().private_bytes(
                   serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                   serialization.NoEncryption()).decode().splitlines()[1]],
               refusals={"review_removed"}, write_access="Reply to reviews",
               deleted_reason="review_removed", replaces=True)
