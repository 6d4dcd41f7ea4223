"""Which language each mention is in: the platform's own tag where it reads the text, else ours."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from monitor.language.detect import LanguageDetector, canonical
from monitor.models import Mention

logger = logging.getLogger(__name__)

# Sources whose `lang` is the platform's reading of this very text: X tags each post,
# Trustpilot each review, the bundled samples carry their own. Their tag wins (X's detector
# knows tweets better than ours); "und" and X's codes for posts without words do not count.
# Elsewhere a connector's `lang` says where the text was found — the storefront language
# Google Play was asked for, a feed's declared language — not what it is written in, so the
# detector decides, and the connector's value is kept in extra["lang_source"].
PLATFORM_TAGGED = frozenset({"x", "trustpilot", "sample"})
DETECTED = "lang_detected"  # extra key: the detector's confidence, when it set `lang`
SOURCE_LANG = "lang_source"  # extra key: the connector's value, when it was not kept


class LanguageTagger:
    """Fills `Mention.lang` (ISO 639-1, lower case, or None when nobody can tell) before the
    rules match, so `lang:` filters work on every source and the classifier knows what it is
    reading."""

    def __init__(self, detector: LanguageDetector | None = None) -> None:
        self.detector = detector or LanguageDetector()

    def tag(self, mention: Mention) -> Mention:
        """The mention with its language decided (see PLATFORM_TAGGED)."""
        given = canonical(mention.lang)
        if mention.source in PLATFORM_TAGGED and given is not None:
            return mention if given == mention.lang else replace(mention, lang=given)
        found = self.detector.detect(mention.full_text)
        extra = dict(mention.extra)
        if found is not None:
            extra[DETECTED] = found.confidence
        if mention.lang and mention.source not in PLATFORM_TAGGED:
            extra[SOURCE_LANG] = mention.lang
        return replace(mention, lang=found.lang if found else None, extra=extra)

    def tag_all(self, mentions: Sequence[Mention]) -> list[Mention]:
        """Each mention tagged; one that fails keeps what its connector said (logged)."""
        out = []
        for m in mentions:
            try:
                out.append(self.tag(m))
            except Exception:  # one odd text must not cost the batch its languages
                logger.exception("language detection failed for %s/%s", m.source,
                                 m.external_id)
                out.append(m)
        return out
