"""Platform rules for a reply: length limits (X's weighted count), markdown and @-mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.registry import source_title

X_URL_LENGTH = 23  # X counts every URL as 23 characters, whatever its real length

# Code points X counts as 1 (twitter-text v3 config); every other one counts as 2.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
# Emoji modifiers that twitter-text folds into the emoji they follow.
_X_FREE = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0x1F3FB, 0x1F400))

# URLs as X links them: with a scheme, or a bare domain with a common TLD ("parcelly.com/track").
_URL = re.compile(
    r"(?<![@\w.])(?:https?://[^\s<>\"]+|(?:[a-z0-9-]+\.)+(?:com|co|org|net|io|uk|app|dev|me|ly)"
    r"(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?)]'\""
# An @-mention (not an e-mail address) and a Reddit user link.
_AT_MENTION = re.compile(r"(?<![\w@.])@(\w{1,30})")
_REDDIT_USER = re.compile(r"(?<![\w/])/?u/([\w-]{3,20})", re.IGNORECASE)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>^])")


@dataclass(frozen=True, slots=True)
class Platform:
    """Where a reply is posted and how it is measured there."""

    name: str
    limit: int
    weighted: bool = False  # X's counting: URLs 23, wide characters 2
    markdown: bool = False  # Reddit: public text interpolated into the reply is escaped
    address: str = "name"  # how the author is greeted: "handle" (@x), "user" (u/x), "name"


PLATFORMS: dict[str, Platform] = {
    "x": Platform(source_title("x"), 280, weighted=True, address="handle"),
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
    """(start, end) of each URL in `text`, trailing punctuation excluded."""
    spans = []
    for m in _URL.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in _TRAILING_PUNCT:
            end -= 1
        spans.append((start, end))
    return spans


def _char_weight(ch: str) -> int:
    cp = ord(ch)
    if cp in _X_FREE:
        return 0
    return 1 if any(lo <= cp <= hi for lo, hi in _X_LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """Length as X counts it: each URL 23, CJK and emoji 2, everything else 1."""
    total, pos = 0, 0
    for start, end in urls(text):
        total += sum(_char_weight(c) for c in text[pos:start]) + X_URL_LENGTH
        pos = end
    return total + sum(_char_weight(c) for c in text[pos:])


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
    while words:
        candidate = " ".join(words).rstrip(" ,;:-–—") + "…" + tail
        if fits(candidate, platform):
            return candidate
        words.pop()
        while words and len(words) - 1 in protected:
            words.pop()  # a URL followed by "…" would break it: drop it whole
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
