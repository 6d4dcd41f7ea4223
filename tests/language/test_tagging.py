"""Which language a mention gets: the platform's tag where it reads the text, else the detector."""

from __future__ import annotations

import pytest

from monitor.language.detect import Detection, LanguageDetector
from monitor.language.tagging import DETECTED, SOURCE_LANG, LanguageTagger
from tests import factories as f

JAPANESE = "ルモのアプリが毎回起動直後に落ちる。サポートも返事がない"


@pytest.fixture(scope="module")
def tagger() -> LanguageTagger:
    return LanguageTagger()


def test_tag__x_tag_is_kept(tagger: LanguageTagger) -> None:
    m = tagger.tag(f.mention("lumo app is down again", source="x", lang="de"))
    assert m.lang == "de" and DETECTED not in m.extra


def test_tag__x_und_is_detected(tagger: LanguageTagger) -> None:
    m = tagger.tag(f.mention(JAPANESE, source="x", lang="und"))
    assert m.lang == "ja" and m.extra[DETECTED] >= 0.5 and SOURCE_LANG not in m.extra


def test_tag__x_region_tag_is_folded(tagger: LanguageTagger) -> None:
    assert tagger.tag(f.mention("acme", source="x", lang="en-GB")).lang == "en"


def test_tag__storefront_language_gives_way_to_the_text_s(tagger: LanguageTagger) -> None:
    m = tagger.tag(f.mention(JAPANESE, source="googleplay", lang="en", rating=1, kind="review"))
    assert m.lang == "ja" and m.extra[SOURCE_LANG] == "en"


def test_tag__short_ambiguous_review_gets_no_language(tagger: LanguageTagger) -> None:
    m = tagger.tag(f.mention("Super", source="googleplay", lang="de", rating=5, kind="review"))
    assert m.lang is None and m.extra[SOURCE_LANG] == "de" and DETECTED not in m.extra


def test_tag__review_without_a_tag_is_detected(tagger: LanguageTagger) -> None:
    m = tagger.tag(f.mention("Die App stürzt bei jedem Start ab", source="appstore",
                             title="Katastrophe", rating=1, kind="review"))
    assert m.lang == "de"


class _Broken(LanguageDetector):
    def detect(self, text: str) -> Detection | None:
        if "boom" in text:
            raise RuntimeError("detector bug")
        return super().detect(text)


def test_tag_all__one_failure_keeps_that_mention_as_it_came(
        caplog: pytest.LogCaptureFixture) -> None:
    mentions = [f.mention("boom", source="appstore", lang=None), f.mention(JAPANESE, lang="und")]
    out = LanguageTagger(_Broken()).tag_all(mentions)
    assert out[0] is mentions[0] and out[1].lang == "ja"
    assert "language detection failed for appstore/" in caplog.text
