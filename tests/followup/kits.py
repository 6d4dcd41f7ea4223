"""Per platform: the customer's mention as its connector stored it, and more watched targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from connectors.replies.base import ReplyTarget
from connectors.replies.watch import ReviewState, Watched
from monitor.models import Author, Mention
from tests.fakes import publish_trustpilot, publish_x
from tests.fakes.publish import Kit

# the review as the platform's fake holds it before the customer changes it
ORIGINAL = {
    "googleplay": ReviewState("Parcel never arrived", None, 1),
    "appstore": ReviewState("Crashes on launch since the update", "Crashes", 1),
    "trustpilot": ReviewState("Third late parcel", "Late again", 1),
}
REVIEWS = tuple(ORIGINAL)


def original(kit: Kit) -> ReviewState:
    return ORIGINAL.get(kit.name) or ReviewState(f"@parcelly about {kit.target.external_id}")


def mention(kit: Kit, *, minutes_ago: int = 60) -> Mention:
    """The mention we answer, as the platform's connector would have stored it."""
    t, known = kit.target, original(kit)
    extra = dict(t.extra)
    if kit.name == "x":
        extra["conversation_id"] = t.external_id
    return Mention(source=t.source, external_id=t.external_id, text=known.text,
                   title=known.title, rating=known.rating,
                   created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
                   author=Author(handle=t.author_handle), url=t.url or
                   f"https://example.test/{t.source}/{t.external_id}",
                   kind="review" if kit.name in REVIEWS else "post", extra=extra,
                   brand="parcelly" if kit.name in REVIEWS else None)


def more_targets(kit: Kit, n: int) -> list[tuple[ReplyTarget, ReviewState]]:
    """`n` further targets the platform's fake knows (to watch many cases at once), each with
    its content as stored."""
    out: list[tuple[ReplyTarget, ReviewState]] = []
    for i in range(n):
        if kit.name == "x":
            tid = str(int(publish_x.TARGET) + 100 + i)
            kit.fake.posts.add(tid)  # type: ignore[attr-defined]
            out.append((replace(kit.target, external_id=tid), ReviewState(f"post {i}")))
        elif kit.name == "reddit":
            out.append((replace(kit.target, external_id=f"t3_2zz{i:03d}"),
                        ReviewState(f"post {i}")))
        elif kit.name == "googleplay":
            rid = f"gp:AOqpTOH-fake-review-1{i:03d}"
            kit.fake.add_review(rid, f"review {i}", stars=2)  # type: ignore[attr-defined]
            out.append((replace(kit.target, external_id=rid), ReviewState(f"review {i}", None, 2)))
        elif kit.name == "appstore":
            rid = f"00000020-5d9f-8d01-0000-0000001{i:05d}"
            kit.fake.reviews.add(rid)  # type: ignore[attr-defined]
            kit.fake.attributes[rid] = {  # type: ignore[attr-defined]
                "rating": 2, "title": f"t{i}", "body": f"review {i}",
                "createdDate": "2026-11-20T10:00:00Z"}
            out.append((replace(kit.target, external_id=rid),
                        ReviewState(f"review {i}", f"t{i}", 2)))
        else:
            rid = f"64f0c0ffee0123456789{i:04d}"
            kit.fake.reviews[rid] = {  # type: ignore[attr-defined]
                "id": rid, "stars": 2, "title": f"t{i}", "text": f"review {i}",
                "createdAt": "2026-11-20T10:00:00Z",
                "businessUnit": {"id": publish_trustpilot.UNIT}}
            out.append((replace(kit.target, external_id=rid),
                        ReviewState(f"review {i}", f"t{i}", 2)))
    return out


def watched(kit: Kit, target: ReplyTarget, *, ref: str, reply_ids: tuple[str, ...],
            replied_at: datetime, known: ReviewState | None = None,
            seen_id: str | None = None) -> Watched:
    if kit.name == "x":
        target = replace(target, extra={**target.extra, "conversation_id": target.external_id})
    return Watched(ref=ref, target=target, reply_ids=reply_ids, replied_at=replied_at,
                   seen_id=seen_id, known=known or original(kit))
