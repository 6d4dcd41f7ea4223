"""Platform rules for a reply: length limits (X's official count), markdown and @-mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.registry import source_title
from connectors.replies import twitter_text

# An @-mention (not an e-mail address) and a Reddit user link.
_AT_MENTION = re.compile(r"(?<![\w@.])@(\w{1,30})")
_REDDIT_USER = re.compile(r"(?<![\w/])/?u/([\w-]{3,20})", re.IGNORECASE)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>^])")


@dataclass(frozen=True, slots=True)
class Platform:
    """Where a reply is posted and how it is measured there."""

    name: str
    limit: int
    weighted: bool = False  # X's counting (twitter-text): URLs 23, wide characters 2
    markdown: bool = False  # Reddit: public text interpolated into the reply is escaped
    address: str = "name"  # how the author is greeted: "handle" (@x), "user" (u/x), "name"


PLATFORMS: dict[str, Platform] = {
    "x": Platform(source_title("x"), twitter_text.max_length(), weighted=True, address="handle"),
    "reddit": Platform(source_title("reddit"), 10_000, markdown=True, address="user"),
    "appstore": Platform(source_title("appstore"), 5_970),  # developer response limit
    "googleplay": Platform(source_title("googleplay"), 350),  # reply-to-review limit
    # Trustpilot documents no hard limit for company replies; we keep them readable.
    "trustpilot": Platform(source_title("trustpilot"), 2_000),
    "rss": Platform(source_title("rss"), 2_000),
}
DEFAULT_PLATFORM = Platform("Reply", 2_000)


def platform_for(source: str) -> Platform:
    return PLATFORMS.get(source, DEFAULT_PLATFORM)


def urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL in `text` as X finds them (twitter-text: with or without a
    scheme, official TLD list), trailing punctuation excluded."""
    return twitter_text.url_spans(text)


def weighted_length(text: str) -> int:
    """Length as X counts it (official twitter-text v3 rules): each URL 23, an emoji 2, CJK 2,
    most other characters 1."""
    return twitter_text.weighted_length(text)


def length(text: str, platform: Platform) -> int:
    return weighted_length(text) if platform.weighted else len(text)


def fits(text: str, platform: Platform) -> bool:
    return length(text, platform) <= platform.limit


def truncate(text: str, platform: Platform) -> str:
    """Cut at a word boundary so `text` fits, ending with "…"; a URL is never cut in half, and a
    link at the very end is kept (it is usually the answer)."""
    if fits(text, platform):
        return text
    tail = ""
    spans = urls(text)
    if spans and not text[spans[-1][1]:].strip():
        start = spans[-1][0]
        text, tail = text[:start].rstrip(), " " + text[start:].strip()
    words = text.split(" ")
    protected = {i for i, w in enumerate(words) if urls(w)}

    def candidate(kept: int) -> str:
        return " ".join(words[:kept]).rstrip(" ,;:-–—") + "…" + tail

    # the longest prefix of words that fits; a prefix never ends with a URL followed by "…"
    # (that would break it), except the whole text. Found by bisection: X's count runs the
    # official regexes, too slow to try every word of a long answer.
    sizes = [k for k in range(1, len(words)) if k - 1 not in protected] + [len(words)]
    low, high, best = 0, len(sizes) - 1, None
    while low <= high:
        mid = (low + high) // 2
        if fits(candidate(sizes[mid]), platform):
            best, low = sizes[mid], mid + 1
        else:
            high = mid - 1
    if best is not None:
        return candidate(best)
    return tail.strip() if fits(tail.strip(), platform) else ""


def escape_markdown(value: str) -> str:
    """Backslash-escape Reddit markdown so public text (names like `__init__`) stays literal."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def other_mentions(text: str, *, keep: str | None, platform: Platform) -> list[str]:
    """The @handles (and Reddit u/names) in `text` that are not the author's, in order."""
    keep_l = (keep or "").lower()
    found = [f"@{h}" for h in _AT_MENTION.findall(text) if h.lower() != keep_l]
    if platform.address == "user":
        found += [f"u/{h}" for h in _REDDIT_USER.findall(text) if h.lower() != keep_l]
    return list(dict.fromkeys(found))


def neutralise_mentions(text: str, *, keep: str | None, platform: Platform) -> str:
    """Remove the ping from every @handle (and Reddit u/name) except the author's own: the
    name stays readable but nobody else is notified."""
    keep_l = (keep or "").lower()

    def at(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1).lower() == keep_l else m.group(1)

    text = _AT_MENTION.sub(at, text)
    if platform.address == "user":
        text = _REDDIT_USER.sub(lambda m: m.group(0) if m.group(1).lower() == keep_l
                                else m.group(1), text)
    return text
