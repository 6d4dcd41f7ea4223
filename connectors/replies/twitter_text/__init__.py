"""X's own length count: a port of twitter-text 3's parseTweet running the official regexes."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# twitter-text is JavaScript: it counts, indexes and matches in UTF-16 code units. The port
# does the same — each text is turned into a string of code units (an astral character becomes
# its two surrogates) — so the official regexes run unchanged and every index means what it
# means there. Public functions take and return ordinary Python strings and code-point indices.

DEFAULT_PROTOCOL = "https://"
MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_DOMAIN_LABEL_LENGTH = 63
_PUNYCODE_SEPARATORS = re.compile("[\x2e\u3002\uff0e\uff61]")  # as punycode.js splits labels
_NON_ASCII = re.compile("[^\x20-\x7e]")
# Case-insensitive matching differs in one place: Python folds these four letters onto ASCII
# ones (ſ~s, K~k, İ/ı~i), JavaScript's non-unicode /i does not. Before the /i regexes run they
# become letters that no regex names and that sit in the same ranges (ĸ, ℩), as JS sees them.
_JS_CASE = str.maketrans({"\u017f": "\u0138", "\u0130": "\u0138", "\u0131": "\u0138",
                          "\u212a": "\u2129"})


@dataclass(frozen=True, slots=True)
class ParsedTweet:
    """parseTweet's answer; ranges are inclusive UTF-16 indices, as in twitter-text."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_end: int
    display_range_end: int


@dataclass(frozen=True, slots=True)
class _Data:
    config: dict[str, Any]
    extract_url: re.Pattern[str]
    valid_ascii_domain: re.Pattern[str]
    invalid_preceding: re.Pattern[str]
    valid_tco_url: re.Pattern[str]
    invalid_chars: re.Pattern[str]
    emoji: re.Pattern[str]


@cache
def _data() -> _Data:
    raw = json.loads((Path(__file__).with_name("data.json")).read_text(encoding="utf-8"))

    def rx(name: str) -> re.Pattern[str]:
        spec = raw["regexes"][name]
        return re.compile(spec["source"], re.IGNORECASE if "i" in spec["flags"] else 0)

    return _Data(raw["config"], rx("extractUrl"), rx("validAsciiDomain"),
                 rx("invalidUrlWithoutProtocolPrecedingChars"), rx("validTcoUrl"),
                 rx("invalidChars"), rx("emoji"))


def _units(text: str) -> str:
    """`text` as a string of UTF-16 code units (what a JavaScript string is)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(map(chr, memoryview(data).cast("H")))


def _text(units: str) -> str:
    """Back from code units to characters (surrogate pairs joined)."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _punycode_label(label: str) -> str:
    """punycode.js toASCII of one label: non-ASCII parts become xn--…, the rest is kept."""
    parts = _PUNYCODE_SEPARATORS.sub(".", _text(label)).split(".")
    return ".".join("xn--" + p.encode("punycode").decode("ascii") if _NON_ASCII.search(p) else p
                    for p in parts)


def _idna_to_ascii(domain: str) -> str | None:
    """twitter-text's lib/idna toAscii: None when a label is empty or too long once encoded."""
    data = _data()
    if domain[:4] == "xn--" and not data.valid_ascii_domain.search(domain):
        return None  # a punycode domain cannot hold non-ASCII characters
    for label in domain.split("."):
        try:
            encoded = _punycode_label(label)
        except (UnicodeError, ValueError):
            return None
        if not 1 <= len(encoded) <= MAX_DOMAIN_LABEL_LENGTH:
            return None
    return domain


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    encoded = _idna_to_ascii(domain)
    if not encoded:
        return False
    return len(protocol) + len(url) + len(encoded) - len(domain) <= MAX_URL_LENGTH


def _url_entities(units: str) -> list[tuple[str, int, int]]:
    """extractUrlsWithIndices (URLs without a protocol included): (url, start, end) in units."""
    if "." not in units:
        return []
    data = _data()
    urls: list[tuple[str, int, int]] = []
    units = units.translate(_JS_CASE)  # same length: indices are kept
    for match in data.extract_url.finditer(units):
        before, url, protocol, domain, path = (match.group(i) or "" for i in (2, 3, 4, 5, 7))
        end = match.end()
        start = end - len(url)
        if not _is_valid_url(url, protocol or DEFAULT_PROTOCOL, domain):
            continue
        if not protocol:
            if data.invalid_preceding.search(before):
                continue
            found: list[list[Any]] = []
            ascii_end = 0
            for ascii_match in data.valid_ascii_domain.finditer(domain):
                ascii_domain = ascii_match.group(0)
                ascii_start = domain.index(ascii_domain, ascii_end)
                ascii_end = ascii_start + len(ascii_domain)
                found.append([ascii_domain, start + ascii_start, start + ascii_end])
            if not found:
                continue  # no ASCII-only domain: the whole candidate is skipped
            if path:  # the last domain found carries the path and query
                found[-1][0] = url.replace(domain, found[-1][0], 1)
                found[-1][2] = end
            urls += [(u, s, e) for u, s, e in found]
        else:
            tco = data.valid_tco_url.search(url)
            if tco:  # a t.co link takes no further path characters
                slug = tco.group(1)
                if slug and len(slug) > MAX_TCO_SLUG_LENGTH:
                    continue
                url = tco.group(0)
                end = start + len(url)
            urls.append((url, start, end))
    return urls


def _is_surrogate_pair(units: str, i: int) -> bool:
    return (i < len(units) - 1 and 0xD800 <= ord(units[i]) <= 0xDBFF
            and 0xDC00 <= ord(units[i + 1]) <= 0xDFFF)


@cache
def _weights() -> tuple[int, ...]:
    """getCharacterWeight for every UTF-16 code unit (the config's ranges, else the default)."""
    config = _data().config
    table = [int(config["defaultWeight"])] * 0x10000
    for r in reversed(config["ranges"]):  # the first matching range wins, as in the JS loop
        table[r["start"]:r["end"] + 1] = [int(r["weight"])] * (r["end"] + 1 - r["start"])
    return tuple(table)


@cache
def _emoji_units() -> frozenset[str]:
    """Every code unit the emoji regex names (escaped, literal or in a class range): a
    superset of the units a match can start with."""
    source = _data().emoji.pattern
    tokens = re.findall(r"\\u[0-9a-fA-F]{4}|.", source)
    units = [chr(int(t[2:], 16)) if len(t) == 6 else t for t in tokens]
    found = set(units)
    for i in range(1, len(units) - 1):
        if tokens[i] == "-" and len(units[i - 1]) == len(units[i + 1]) == 1 \
                and units[i - 1] < units[i + 1]:
            found.update(map(chr, range(ord(units[i - 1]), ord(units[i + 1]) + 1)))
    return frozenset(found)


def _emoji_entities(units: str) -> list[tuple[int, int]]:
    """twemoji-parser's matches as (start, length): the leftmost match at each position, as
    a global regex scan finds them, but the regex is only tried where a match can start (the
    3,000-alternative pattern is slow to try at every letter)."""
    pattern, starts = _data().emoji, _emoji_units()
    out: list[tuple[int, int]] = []
    i, size = 0, len(units)
    while i < size:
        if units[i] in starts and (m := pattern.match(units, i)) and m.end() > i:
            out.append((i, m.end() - i))
            i = m.end()
        else:
            i += 1
    return out


@cache
def _invalid_units() -> frozenset[str]:
    """The code units twitter-text's invalidChars class matches."""
    pattern = _data().invalid_chars
    return frozenset(c for c in map(chr, range(0x10000)) if pattern.fullmatch(c))


def parse_tweet(text: str) -> ParsedTweet:
    """twitter-text's parseTweet with its default (v3) configuration: each URL counts 23,
    an emoji sequence 2, code points in the light ranges 1, everything else 2."""
    data = _data()
    config = data.config
    scale = int(config["scale"])
    limit = int(config["maxWeightedTweetLength"])
    url_weight = int(config["transformedURLLength"]) * scale
    emoji_weight = int(config["defaultWeight"])
    weights = _weights()
    raw_units = _units(text)
    units = _units(unicodedata.normalize("NFC", text))
    jumps = {start: (len(url), url_weight) for url, start, _ in _url_entities(units)}
    if config.get("emojiParsingEnabled"):
        for start, length in _emoji_entities(units):
            jumps.setdefault(start, (length, emoji_weight))  # a URL wins
    invalid = _invalid_units()
    weighted, valid_display, valid = 0, 0, True
    i, size = 0, len(units)
    while i < size:
        jump = jumps.get(i)
        if jump is not None:
            weighted += jump[1]
            i += jump[0] - 1
        else:
            if _is_surrogate_pair(units, i):
                i += 1
            weighted += weights[ord(units[i])]
        if valid:  # one code unit per step is tested, as in twitter-text
            valid = units[i] not in invalid
        if valid and weighted <= limit * scale:
            valid_display = i
        i += 1
    length = weighted // scale
    return ParsedTweet(
        weighted_length=length, valid=valid and 0 < length <= limit,
        permillage=length * 1000 // limit,
        valid_range_end=valid_display + len(raw_units) - len(units),
        display_range_end=max(len(raw_units) - 1, 0))


def weighted_length(text: str) -> int:
    """The length X counts for `text` (at most 280 in a post)."""
    return parse_tweet(text).weighted_length


def max_length() -> int:
    """X's limit on the weighted length of a post, from the official configuration."""
    return int(_data().config["maxWeightedTweetLength"])


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point offsets in `text` of every URL X links, with or without
    a protocol (`parcelly.de/hilfe`), trailing punctuation excluded — as twitter-text finds them."""
    units = _units(text)
    # code-point offset of each code-unit offset (a surrogate pair counts at its first unit)
    offsets, cp = [], 0
    for i in range(len(units) + 1):
        offsets.append(cp)
        if i < len(units) and not (0xDC00 <= ord(units[i]) <= 0xDFFF and i > 0
                                   and 0xD800 <= ord(units[i - 1]) <= 0xDBFF):
            cp += 1
    return [(offsets[s], offsets[e]) for _, s, e in _url_entities(units)]
