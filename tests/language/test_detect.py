"""The language detector on real text, with the bundled py3langid model (no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.language.detect import LanguageDetector, canonical
from monitor.language.text import scripts, words_only

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "languages.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_detect__japanese_review(detector: LanguageDetector) -> None:
    found = detector.detect("最悪\nアップデートしてから毎回起動直後に落ちます。返金してほしい")
    assert found is not None and found.lang == "ja" and found.confidence >= 0.5


@pytest.mark.parametrize("lang", sorted({r["lang"] for r in ROWS} - {"en", "und"}))
def test_detect__long_texts_in_every_benchmark_language(detector: LanguageDetector,
                                                        lang: str) -> None:
    long = [r["text"] for r in ROWS if r["lang"] == lang and r["kind"] == "long"]
    assert long, lang
    assert [(found.lang if (found := detector.detect(t)) else None) for t in long] == \
        [lang] * len(long)


def test_detect__english_slang_handles_and_brand_names_never_get_another_language(
        detector: LanguageDetector) -> None:
    english = [r["text"] for r in ROWS if r["lang"] in ("en", "und") and r["kind"] != "mixed"]
    assert len(english) > 60
    wrong = {t: found.lang for t in english
             if (found := detector.detect(t)) is not None and found.lang != "en"}
    assert wrong == {}


@pytest.mark.parametrize("text", ["lol ok", "ok thx", "Perfect", "Terrible", "Super",
                                  "@AmazonHelp", "Netflix 🍿🍿", "https://t.co/Ab12 👀", "😡😡😡",
                                  "#AcmeFail #NeverAgain", "1/5", ""])
def test_detect__too_short_or_no_words_is_none_not_a_guess(detector: LanguageDetector,
                                                            text: str) -> None:
    assert detector.detect(text) is None


@pytest.mark.parametrize(("text", "lang"), [("Класс", "ru"), ("최고", "ko"), ("ممتاز", "ar"),
                                            ("बेकार", "hi"), ("神アプリ", "ja")])
def test_detect__one_word_in_another_script_gets_that_script_s_language(
        detector: LanguageDetector, text: str, lang: str) -> None:
    found = detector.detect(text)
    assert found is not None and found.lang == lang


def test_detect__handles_and_links_do_not_decide_the_language(
        detector: LanguageDetector) -> None:
    found = detector.detect("@AcmeSupport @AcmeHelp Mein Paket ist immer noch nicht da "
                            "https://t.co/abc #AcmeFail")
    assert found is not None and found.lang == "de"


@pytest.mark.parametrize(("code", "want"), [
    ("en", "en"), ("EN", "en"), ("pt-BR", "pt"), ("zh_Hant", "zh"), ("und", None),
    ("qme", None), ("zxx", None), ("", None), (None, None), ("in", "id"), ("nb", "no"),
    ("arz", "ar")])
def test_canonical__folds_regions_varieties_and_no_language(code: str | None,
                                                            want: str | None) -> None:
    assert canonical(code) == want


def test_words_only__drops_platform_noise_and_plains_styled_letters() -> None:
    assert words_only("RT @acme: 50% off!! https://t.co/x #deal 😍 𝗵𝗼𝘄 ｎｉｃｅ") == "off how nice"
    assert scripts(words_only("このアプリ best")) == {"HIRAGANA": 2, "KATAKANA": 3, "LATIN": 4}
