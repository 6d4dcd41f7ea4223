"""A mention in a language the classifier does not read never keeps a confident model label."""

from __future__ import annotations

import pytest

from monitor.language.policy import ReadingPolicy, unread
from monitor.models import Classification, Label
from tests import factories as f

MODEL = Classification(label=Label.COMPLAINT, confidence=0.97, reasons=("complaint 0.97",),
                       scores={"complaint": 0.97}, model="builtin:v1")


@pytest.mark.parametrize(("stars", "label"), [(1, Label.COMPLAINT), (2, Label.COMPLAINT),
                                              (4, Label.PRAISE), (5, Label.PRAISE)])
def test_apply__unread_review_takes_its_label_from_the_rating(stars: int, label: Label) -> None:
    m = f.mention("とても良い", source="appstore", lang="ja", rating=stars, kind="review")
    got = ReadingPolicy().apply(m, MODEL)
    assert (got.label, got.uncertain, got.confidence, got.scores) == (label, True, 0.0, {})
    assert got.reasons == (f"Japanese: not read by the model; label from the {stars}★ rating",)
    assert unread(got.model) and got.model == "unread:ja"


@pytest.mark.parametrize(("choice", "label"), [("question", Label.QUESTION),
                                               ("other", Label.OTHER)])
def test_apply__no_useful_rating_gets_the_configured_label(choice: str, label: Label) -> None:
    policy = ReadingPolicy(unsupported=choice)  # type: ignore[arg-type]
    for m in (f.mention("Лумо опять не работает", lang="ru"),
              f.mention("まあまあ", source="appstore", lang="ja", rating=3, kind="review")):
        got = policy.apply(m, MODEL)
        assert (got.label, got.uncertain, got.confidence) == (label, True, 0.0)
        assert got.reasons[0].startswith(("Russian: not read", "Japanese: not read"))


def test_apply__keep_leaves_the_guess_but_marks_it_uncertain() -> None:
    got = ReadingPolicy(unsupported="keep").apply(f.mention("Лумо", lang="ru"), MODEL)
    assert (got.label, got.confidence, got.uncertain, got.model) == \
        (Label.COMPLAINT, 0.97, True, "builtin:v1")
    assert got.reasons == ("Russian: not read by the model; its label is a guess",
                           "complaint 0.97")


@pytest.mark.parametrize("lang", ["en", "en-GB", "EN", None, "und"])
def test_apply__english_and_unknown_languages_are_left_to_the_classifier(
        lang: str | None) -> None:
    assert ReadingPolicy().apply(f.mention("meh", lang=lang, rating=1), MODEL) is MODEL


def test_apply__a_multilingual_model_s_languages_are_read() -> None:
    m = f.mention("Die App stürzt ab", lang="de")
    assert ReadingPolicy(["en", "de"]).apply(m, MODEL) is MODEL
    assert ReadingPolicy(["*"]).apply(f.mention("最悪", lang="ja"), MODEL) is MODEL
    assert ReadingPolicy(["en", "de"]).apply(f.mention("最悪", lang="ja"), MODEL) is not MODEL
