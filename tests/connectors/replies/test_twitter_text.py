"""X's length count (twitter-text v3 port) against the official conformance cases we reproduce."""

from __future__ import annotations

import pytest

from connectors.replies import twitter_text as tt

ZWJ = "\u200d"
FAMILY = ZWJ.join(["\U0001f468", "\U0001f469", "\U0001f467", "\U0001f466"])  # 11 UTF-16 units
CJK_160 = "故人西辞黄鹤楼，烟花三月下扬州。" * 10
KANA = "あいうえおかきくけこ"
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
PUNCT = ("This is a tweet with general punctuation characters: "
         + "".join(chr(c) for c in range(0x2000, 0x200E)) + " "
         + " ".join(chr(c) for c in range(0x2010, 0x2017)) + "  \u2017 "  # two spaces, as there
         + " ".join(chr(c) for c in range(0x2018, 0x2020)) + " "
         + " ".join(chr(c) for c in range(0x2032, 0x2038)))

# (description, text, weightedLength, valid, validRangeEnd) from twitter-text's conformance
# suite (validate.yml: WeightedTweetsWithDiscountedEmojiCounterTest and
# UnicodeDirectionalMarkerCounterTest), rebuilt here from the cases' descriptions.
CONFORMANCE = [
    ("Regular Tweet with url", "Hi http://test.co", 26, True, 16),
    ("Just url", "http://test.co", 23, True, 13),
    ("Long tweet, overflow at char index 280", "285 chars-" + "xxxxxxxxxx-" * 25,
     285, False, 279),
    ("Long tweet with url in the middle",
     "285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24, 299, False, 283),
    ("Long tweet with url at the end",
     "xxxxxxxxxx-" * 24 + " http://www.twitter.com/jack ", 289, False, 264),
    ("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240, True, 299),
    ("160 CJK char, overflow at char index 140", CJK_160, 320, False, 139),
    ("160 emoji char, overflow at char index 140", "\U0001f637" * 160, 320, False, 279),
    ("3 latin char + 160 CJK char", "the" + CJK_160, 323, False, 140),
    ("'Á' is normalized into 1 char", "A\u0301B", 2, True, 2),
    ("שּׁ is normalized into 3 chars", "A\ufb2c", 4, True, 1),
    ("282 chars with a normalized character within valid range but outside 280",
     "282 chars-" + "xxxxxxxxxx-" * 24 + "xxxxxA\u0301x", 281, False, 280),
    ("Handle General Punctuation Characters", PUNCT, 112, True, 111),
    ("Handle a 64 character domain without protocol", "randomurl" * 7 + "s.com",
     68, True, 67),
    ("> 63 punycode encoded chars in the host",
     KANA * 12 + " http://" + KANA * 5 + "あいう.com", 358, False, 143),
    ("< 63 punycode encoded chars in the host",
     KANA * 12 + " http://" + KANA * 5 + "あい.com", 264, True, 183),
    ("140 family emoji", FAMILY * 140, 280, True, 1539),
    ("Unicode 10.0 emoji", f"Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; "
     f"{ENGLAND}", 34, True, 47),
    ("Unicode 9.0 emoji", "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe",
     29, True, 30),
    ("Handle invalid characters", "ABC\u202a\uffffABC\ufffe", 12, False, 3),
    ("Directional characters are valid",
     "\u2066\u202ahttp://foobar.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646/\u202c\u2069",
     31, True, 25),
]


@pytest.mark.parametrize(("text", "weighted", "valid", "valid_end"),
                         [c[1:] for c in CONFORMANCE], ids=[c[0] for c in CONFORMANCE])
def test_parse_tweet__matches_the_official_conformance_case(
        text: str, weighted: int, valid: bool, valid_end: int) -> None:
    parsed = tt.parse_tweet(text)
    assert (parsed.weighted_length, parsed.valid, parsed.valid_range_end) == \
        (weighted, valid, valid_end)


@pytest.mark.parametrize(("text", "expected"), [
    ("parcelly.de/hilfe", 23),  # a ccTLD the old hand-made list did not know
    ("Sorry! Details: parcelly.de/hilfe", 16 + 23),
    ("mail help@parcelly.com", 22),  # an e-mail address is not a link
    ("see parcelly.com/track.", 4 + 23 + 1),  # trailing punctuation stays text
    ("foo.barbaz and x.y", 18),  # not TLDs: plain text
    ("https://t.co/abc123 ok", 23 + 3),
    ("ok \U0001f525", 5), ("東京", 4), ("é", 1),
    ("\U0001f9d1\U0001f3fd\u200d\U0001f4bb", 2),  # one emoji ZWJ sequence counts 2
])
def test_weighted_length__counts_as_x_counts(text: str, expected: int) -> None:
    assert tt.weighted_length(text) == expected


def test_url_spans__are_code_point_offsets_of_each_link() -> None:
    text = "\U0001f525 see parcelly.de/hilfe, or https://example.com/a."
    spans = tt.url_spans(text)
    assert [text[s:e] for s, e in spans] == ["parcelly.de/hilfe", "https://example.com/a"]


def test_max_length__is_the_official_limit() -> None:
    assert tt.max_length() == 280
