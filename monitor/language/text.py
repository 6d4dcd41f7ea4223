"""What a language detector is shown of a mention: its words, without handles, links and emoji."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

# Platform noise that carries no language: links, @handles, #hashtags, a retweet marker.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+|^\s*RT\b:?", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_KEEP = {"'", "’", "-"}
# Unicode character names start with their script ("CJK UNIFIED IDEOGRAPH-6700"); these
# names are the scripts' own spelling, with Han called CJK.
_SCRIPT_ALIASES = {"CJK": "HAN"}


def words_only(text: str) -> str:
    """The text as a detector should see it: links, handles, hashtags, digits, emoji and
    symbols removed, whitespace collapsed; styled letters made plain (NFKC: "𝗵𝗼𝘄" -> "how",
    full-width -> ASCII). Brand names stay (they are words)."""
    text = _NOISE.sub(" ", unicodedata.normalize("NFKC", text))
    out = [ch if unicodedata.category(ch)[0] in "LM" or ch in _KEEP else " " for ch in text]
    return _SPACES.sub(" ", "".join(out)).strip()


def scripts(text: str) -> Counter[str]:
    """How many letters of each script the text has ("LATIN", "HAN", "HIRAGANA", …)."""
    found: Counter[str] = Counter()
    for ch in text:
        script = _script(ch)
        if script:
            found[script] += 1
    return found


@functools.lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    """The script of a letter; "" for anything else (looked up once per character)."""
    if unicodedata.category(ch)[0] != "L":
        return ""
    first = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first)
