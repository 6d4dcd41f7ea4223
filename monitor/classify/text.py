"""Text normalisation shared by training and inference: handles, links, emoji, whitespace."""

from __future__ import annotations

import html
import re
import unicodedata

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:ly|gl|co|com|io)/\S*", re.I)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_SPACE = re.compile(r"\s+")
_REPEAT = re.compile(r"(\S)\1{3,}")  # "sooooo" -> "sooo", "!!!!!!" -> "!!!"
_UNIT = re.compile(r"\w+(?:'\w+)*|[^\w\s]+")

# Emoji the uncased BERT vocabulary does not know become words it does; unicode names are
# long and literal ("FACE WITH ROLLING EYES"), so the commonest carry a shorter gloss.
_EMOJI_GLOSS = {
    "🙄": "eye roll", "😡": "angry", "🤬": "furious", "😠": "angry", "😤": "fuming",
    "😭": "crying", "😢": "sad", "😞": "disappointed", "😩": "weary", "😫": "tired",
    "🤦": "facepalm", "👎": "thumbs down", "💩": "crap", "🙃": "upside down face",
    "😒": "unamused", "🤡": "clown", "😂": "laughing", "🤣": "laughing", "😅": "awkward laugh",
    "👍": "thumbs up", "❤": "love", "♥": "love", "😍": "love it", "🥰": "love it",
    "🙏": "thank you", "👏": "applause", "🔥": "fire", "💯": "hundred percent",
    "😊": "smile", "🙂": "smile", "😀": "grin", "😁": "grin", "🤩": "star struck",
    "⭐": "star", "🌟": "star", "✨": "sparkles", "🎉": "celebrate", "🤔": "thinking",
    "❓": "question", "❔": "question", "👀": "eyes", "💀": "dead", "😬": "grimace",
}
_SKIP = {"\ufe0f", "\ufe0e", "\u200d", "\u20e3"}


def _emoji_word(ch: str) -> str | None:
    """A readable word for one symbol character, or None to keep it as is."""
    if ch in _EMOJI_GLOSS:
        return _EMOJI_GLOSS[ch]
    if 0x1F3FB <= ord(ch) <= 0x1F3FF:  # skin tone modifiers
        return ""
    if unicodedata.category(ch) != "So":
        return None
    name = unicodedata.name(ch, "")
    return name.lower() if name else ""


def normalize(text: str) -> str:
    """The text as the model sees it: links and handles generic, emoji spelled out.

    Handles become "@user" and links "http" so the model learns from what people say, not whom
    they address; a post that is only a link or a handle still keeps a token for it.
    """
    text = html.unescape(text or "")
    text = _URL.sub(" http ", text)
    text = _HANDLE.sub("@user", text)
    out: list[str] = []
    for ch in text:
        if ch in _SKIP:
            continue
        word = _emoji_word(ch)
        if word is None:
            out.append(ch)
        elif word:
            out.append(f" {word} ")
    text = _REPEAT.sub(lambda m: m.group(1) * 3, "".join(out))
    return _SPACE.sub(" ", text).strip()


def units(text: str) -> list[tuple[int, int]]:
    """Character spans of words and punctuation runs: the pieces occlusion removes one by one."""
    return [m.span() for m in _UNIT.finditer(text)]


def without(text: str, span: tuple[int, int]) -> str:
    """`text` with the span removed (occlusion)."""
    start, end = span
    return _SPACE.sub(" ", text[:start] + " " + text[end:]).strip()
