"""How text and terms are cut into words: boundaries, term regexes and prefilter anchors.

Decisions (documented for admins in rules/README.md):
- A word is a run of Unicode letters, digits and '_' (Python's `\\w`), so Cyrillic, Greek and
  accented words work like English ones. Matching is case-insensitive unless `case:` is used.
- A term matches on word boundaries: `eth` does not match inside `something`.
- `#`, `@` and `.` are not word characters, so the plain term `parcelly` matches `#parcelly`,
  `@parcelly` and `parcelly.com`; the terms `#parcelly` / `@parcelly` match only the hashtag /
  the handle; a domain term `parcelly.com` matches any text or URL containing that domain
  (`https://www.parcelly.com/track`), but not `parcelly.community`.
- Scripts written without spaces (Chinese, Japanese, Korean, Thai) have no word boundaries:
  their terms match anywhere. Terms made only of symbols (emoji) match anywhere too.
- A phrase's words must appear in order, separated only by spaces or punctuation.
- Curly apostrophes and quotes count as straight ones.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

WORD_RE = re.compile(r"\w+")
_NO_SPACE_SCRIPT = re.compile(
    "[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_SEPARATOR = r"[\W_]+"
# Same-length replacements only, so offsets into the normalised text are offsets into the original.
_NORMALISE = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "＃": "#", "＠": "@"})


def normalise(text: str) -> str:
    """The text terms are matched against; same length as `text`, so spans carry over."""
    return text.translate(_NORMALISE)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _bounded(ch: str) -> bool:
    """Whether a term starting/ending with `ch` needs a word boundary on that side."""
    return _is_word_char(ch) and not _NO_SPACE_SCRIPT.match(ch)


def _word_pattern(word: str) -> str:
    if word.endswith("*"):
        return re.escape(normalise(word[:-1])) + r"\w*"
    return re.escape(normalise(word))


def term_pattern(words: tuple[str, ...]) -> str:
    """The regex source of a term or phrase (without flags)."""
    first, last = words[0], words[-1]
    left = ""
    if _bounded(first[0]) or (first[0] in "@#" and len(first) > 1):
        left = r"(?<!\w)"
    right = ""
    if not last.endswith("*") and _bounded(last[-1]):
        right = r"(?!\w)"
    return left + _SEPARATOR.join(_word_pattern(w) for w in words) + right


def compile_term(words: tuple[str, ...], *, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(term_pattern(words), flags)


AnchorKind = Literal["word", "prefix", "substr"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A cheap necessary condition for a term to match: the lower-cased text has this whole
    word (`word`), a word starting with it (`prefix`), or contains it anywhere (`substr`)."""

    kind: AnchorKind
    key: str


def anchor_of(words: tuple[str, ...]) -> Anchor:
    """The prefilter anchor of a term: its first run of word characters."""
    first = words[0]
    stem = first[:-1] if first.endswith("*") else first
    stem = normalise(stem).lower()
    m = WORD_RE.search(stem)
    if m is None:
        return Anchor("substr", stem)
    run = m.group()
    if _NO_SPACE_SCRIPT.search(run):
        return Anchor("substr", run)
    if first.endswith("*") and m.end() == len(stem):
        return Anchor("prefix", run)
    return Anchor("word", run)


class WordIndex:
    """Word positions of one text, to measure NEAR distances from character spans."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        self.starts = [m.start() for m in WORD_RE.finditer(text)]

    def first_word(self, start: int) -> int:
        """Index of the first word starting at or after `start`."""
        return bisect_left(self.starts, start)

    def last_word(self, end: int) -> int:
        """Index of the last word starting before `end`."""
        return bisect_left(self.starts, end) - 1

    def gap(self, a: tuple[int, int], b: tuple[int, int]) -> int:
        """Words strictly between span `a` and a later span `b` (negative if they overlap)."""
        return self.first_word(b[0]) - self.last_word(a[1]) - 1
