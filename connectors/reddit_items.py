"""Reddit listing children (t3 submissions, t1 comments): sort keys, watermarks, Mentions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NamedTuple

from monitor.models import Author, Mention

logger = logging.getLogger(__name__)

NAME = "reddit"
WEB = "https://www.reddit.com"  # links shown to people always use the public site
GONE = {"[removed]": "removed", "[deleted]": "deleted"}


class Watermark(NamedTuple):
    """The newest item seen in one stream: its created_utc and fullname."""

    t: float
    id: str


def key_of(child: Any) -> tuple[float, int, str] | None:
    """Sort key (created_utc, base-36 id, fullname) of a listing child; None if malformed."""
    try:
        data = child["data"]
        name = data.get("name") or f"{child['kind']}_{data['id']}"
        return float(data["created_utc"]), int(name.partition("_")[2], 36), name
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def newer(child: Any, mark: Watermark) -> bool:
    """True if `child` sorts after the watermark (an unreadable child counts as new, so it
    reaches `to_mention` and is dropped there with its reason)."""
    key = key_of(child)
    if key is None:
        return True
    try:
        return key[:2] > (mark.t, int(mark.id.partition("_")[2], 36))
    except ValueError:
        return key[0] > mark.t


def to_mention(child: Any) -> tuple[Mention | None, str, str | None]:
    """(mention, fullname, drop reason) for one listing child (t3 submission or t1 comment)."""
    kind = child.get("kind") if isinstance(child, dict) else None
    data = child.get("data") if isinstance(child, dict) else None
    if kind not in ("t3", "t1") or not isinstance(data, dict):
        return None, "", "malformed item"
    key = key_of(child)
    if not data.get("id") and not data.get("name"):
        return None, "", "missing id"
    if key is None:
        return None, str(data.get("name") or data.get("id")), "bad date"
    name = key[2]
    body = data.get("selftext" if kind == "t3" else "body") or ""
    if body.strip() in GONE:
        logger.debug("reddit: skipping %s %s", GONE[body.strip()], name, extra={"source": NAME})
        return None, name, GONE[body.strip()]
    handle = data.get("author") or "[deleted]"
    author = Author(handle=handle) if handle == "[deleted]" else Author(
        handle=handle, id=data.get("author_fullname"), url=f"{WEB}/user/{handle}")
    link36 = str(data.get("link_id") or "").partition("_")[2]
    # older /comments listings leave out a comment's permalink; rebuild it from its post
    permalink = data.get("permalink") or (f"/comments/{link36}/_/{name[3:]}/"
                                          if kind == "t1" and link36 else f"/comments/{name[3:]}/")
    extra: dict[str, Any] = {"subreddit": data.get("subreddit"), "score": data.get("score"),
                             "permalink": permalink}
    if kind == "t3":
        text = body or ("" if data.get("is_self") else str(data.get("url") or ""))
        extra.update(num_comments=data.get("num_comments"), over_18=data.get("over_18"))
    else:
        text = body
        extra.update(link_id=data.get("link_id"), link_title=data.get("link_title"))
    mention = Mention(
        source=NAME, external_id=name, text=text,
        title=(data.get("title") or None) if kind == "t3" else None,
        created_at=datetime.fromtimestamp(key[0], tz=UTC), author=author,
        url=WEB + permalink if permalink.startswith("/") else permalink,
        kind="post" if kind == "t3" else "comment",
        parent_id=data.get("parent_id") if kind == "t1" else None, extra=extra,
    )
    return mention, name, None
