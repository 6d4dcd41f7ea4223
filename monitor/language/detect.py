"""The language of a text: py3langid's bundled model, a confidence floor, and script rules.

Chosen by measurement (benchmarks/bench_language.py, monitor/classify/MODEL.md "Languages"):
py3langid answers short social-media text as well as lingua's high-accuracy mode at a tenth
of its memory, offline, from a 4.6 MB model inside its wheel.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from monitor.language.text import scripts, words_only

logger = logging.getLogger(__name__)

# Below this probability a Latin-script text gets no language: on the benchmark set, 0.5 gave
# no English (or language-less) text another language, and 0.3 gave one in 80.
MIN_CONFIDENCE = 0.5
MAX_CHARS = 2000  # the start of a long review says as much as all of it
# The main language of a script other than Latin: the answer for a text too short for the
# model (a one-word review "最悪", "Класс"), since English is ruled out by the script alone.
SCRIPT_LANGUAGE = {
    "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "HAN": "zh", "CYRILLIC": "ru",
    "ARABIC": "ar", "DEVANAGARI": "hi", "GREEK": "el", "HEBREW": "he", "THAI": "th",
    "GEORGIAN": "ka", "ARMENIAN": "hy", "BENGALI": "bn", "TAMIL": "ta", "TELUGU": "te",
    "KANNADA": "kn", "MALAYALAM": "ml", "GUJARATI": "gu", "GURMUKHI": "pa", "SINHALA": "si",
    "KHMER": "km", "LAO": "lo", "MYANMAR": "my", "ETHIOPIC": "am",
}
# The model's regional or written varieties, folded into the code people route by, and the
# old codes X still sends ("in" for Indonesian).
CANONICAL = {"arz": "ar", "ary": "ar", "wuu": "zh", "nb": "no", "nn": "no", "uzs": "uz",
             "in": "id", "iw": "he", "ji": "yi", "jw": "jv"}
# "no language": undetermined, no linguistic content, and X's own codes for posts of only
# media (qme), mentions (qam), hashtags (qht), cashtags (qct) or very short text (qst)
NO_LANGUAGE = {"und", "zxx", "mul", "qme", "qam", "qht", "qct", "qst", "art"}


def canonical(code: str | None) -> str | None:
    """A language code as this project stores it: lower case, a region or script subtag
    dropped ("pt-BR" -> "pt"), varieties folded (CANONICAL), "und"/"zxx" -> None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    if not base or base in NO_LANGUAGE:
        return None
    return CANONICAL.get(base, base)


@dataclass(frozen=True, slots=True)
class Detection:
    lang: str  # ISO 639-1 where the language has one ("ja"), else 639-3 ("ace")
    confidence: float  # the model's probability of `lang`
    by: str = "model"  # "model", or "script" for a short text in a one-language script


_lock = threading.Lock()
_shared: Any = None


def _identifier() -> Any:
    """py3langid's identifier, loaded once per process (about 2 s, 100 MB)."""
    global _shared
    with _lock:
        if _shared is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _shared = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            logger.info("language detector loaded (py3langid, %d languages)",
                        len(set(_shared.nb_classes)))
        return _shared


class LanguageDetector:
    """`detect(text)` -> Detection, or None when the text has no words or is too short and
    ambiguous to tell (a wrong language is worse than none: None lets the classifier read it).

    Links, @handles, #hashtags, emoji and digits are removed first. A Latin-script text needs
    the model's probability >= `min_confidence`; a text mostly in another script that the
    model is unsure of gets the script's main language (SCRIPT_LANGUAGE), because the script
    alone rules English out. Thread-safe; the model loads on first use.
    """

    def __init__(self, *, min_confidence: float = MIN_CONFIDENCE) -> None:
        self.min_confidence = min_confidence

    def detect(self, text: str) -> Detection | None:
        words = words_only(text[:MAX_CHARS * 2])[:MAX_CHARS]
        found = scripts(words)
        letters = sum(found.values())
        if not letters:
            return None
        ident = _identifier()
        code, p = ident.classify(words)
        lang = canonical(code)
        if lang is not None and p >= self.min_confidence:
            return Detection(lang, round(float(p), 4))
        if found["LATIN"] * 2 >= letters:
            return None  # Latin script and the model unsure: "ok thx", "Genial", "Top"
        if found["HIRAGANA"] or found["KATAKANA"]:
            script_lang = "ja"  # kana is Japanese only
        else:
            script = max((s for s in found if s != "LATIN"), key=lambda s: found[s])
            script_lang = SCRIPT_LANGUAGE.get(script, "")
            if script == "HAN" and lang == "ja":
                script_lang = "ja"  # kanji only: the model tells ja from zh, if unsurely
        if not script_lang:
            return None
        p_script = sum(float(v) for c, v in ident.rank(words) if canonical(c) == script_lang)
        return Detection(script_lang, round(p_script, 4), by="script")
