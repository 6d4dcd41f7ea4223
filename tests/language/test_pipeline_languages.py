"""Languages through the real pipeline: detected before matching, stored, guarded, routed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.classify import Classifier, build_classifier
from monitor.config import ClassifierSettings, Settings, SlackSettings
from monitor.language.policy import ReadingPolicy
from monitor.language.stage import LanguageStage
from monitor.language.tagging import DETECTED
from monitor.models import Batch, Label, RuleMatch
from monitor.pipeline import Pipeline
from monitor.rules.backtest import backtest, router
from monitor.rules.loader import load_rules
from monitor.rules.ruleset import RuleSet
from monitor.store import Store
from tests import factories as f
from tests.factories import KeywordClassifier

RULES = """
brands:
  - id: lumo
    name: Lumo
    query: lumo OR ルモ
    priority:
      - name: japan
        level: high
        query: 'lang:ja'
"""
JAPANESE_POST = "ルモのアプリ、今日も送金できないんだけど。いつ直るの？"
JAPANESE_REVIEW = "アップデートしてから毎回起動直後に落ちます。ルモのサポートも返事がありません"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'l.sqlite'}")
    yield s
    s.close()


def rules_in(tmp_path: Path, text: str = RULES) -> RuleSet:
    d = tmp_path / "rules"
    d.mkdir(parents=True, exist_ok=True)
    (d / "lumo.yaml").write_text(text, encoding="utf-8")
    return load_rules(d)


def pipeline(store: Store, rules: RuleSet, *, classifier: Classifier | None = None,
             slack: SlackSettings | None = None, policy: ReadingPolicy | None = None
             ) -> Pipeline:
    return Pipeline(store=store, rules=lambda: rules, classifier=classifier or KeywordClassifier(),
                    suggester=None, slack=slack or SlackSettings(),
                    languages=LanguageStage(policy=policy))


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return build_classifier(Settings(data_dir=tmp_path_factory.mktemp("data"),
                                     classifier=ClassifierSettings(batch_size=4)))


@pytest.mark.slow
def test_process__japanese_reviews_are_not_labelled_by_the_english_model(
        store: Store, tmp_path: Path, builtin: Classifier) -> None:
    one_star = f.mention(JAPANESE_REVIEW, source="appstore", title="最悪", rating=1,
                         kind="review", brand="lumo")
    three_stars = f.mention("ルモ、まあまあです。もう少し速くなれば", source="appstore", rating=3,
                            kind="review", brand="lumo")
    english = f.mention("Lumo app crashes every time I open it since the update", rating=1,
                        source="appstore", kind="review", brand="lumo")
    pipeline(store, rules_in(tmp_path), classifier=builtin).process(
        "appstore", Batch(mentions=(one_star, three_stars, english), next_cursor=None))
    stored = {s.mention.external_id: (c, s) for c, s in store.cases()}
    case, jp = stored[one_star.external_id]
    assert (jp.mention.lang, jp.label, jp.uncertain, jp.confidence) == ("ja", "complaint", True, 0)
    assert jp.reasons == ("Japanese: not read by the model; label from the 1★ rating",)
    assert jp.mention.extra[DETECTED] >= 0.5 and case.channel == "#social-care"
    _, mid = stored[three_stars.external_id]
    assert (mid.mention.lang, mid.label, mid.uncertain) == ("ja", "question", True)
    assert mid.reasons[0].startswith("Japanese: not read by the model")
    _, en = stored[english.external_id]  # English is read: the model's own answer
    assert en.mention.lang == "en" and en.model.startswith("builtin") and en.reasons[0] != \
        jp.reasons[0]


def test_process__lang_rule_matches_a_detected_japanese_x_post(store: Store,
                                                              tmp_path: Path) -> None:
    post = f.mention(JAPANESE_POST, source="x", lang="und")
    stats = pipeline(store, rules_in(tmp_path)).process(
        "x", Batch(mentions=(post,), next_cursor="c1"))
    assert stats.matched == 1
    ((_, stored),) = store.cases()
    assert (stored.brand, stored.rule, stored.mention.lang) == ("lumo", "lumo.query", "ja")
    assert stored.priority == 2  # the brand's `lang:ja` priority rule saw the language


def test_process__x_tag_is_stored_and_filters_by_lang(store: Store, tmp_path: Path) -> None:
    rules = rules_in(tmp_path, "brands:\n  - id: lumo\n    query: 'lumo AND lang:de'\n")
    german, english = (f.mention("lumo kaputt", source="x", lang="de"),
                       f.mention("lumo broke", source="x", lang="en"))
    stats = pipeline(store, rules).process("x", Batch(mentions=(german, english),
                                                      next_cursor=None))
    assert stats.matched == 1 and stats.dropped == {"no rule": 1}
    ((_, stored),) = store.cases()
    assert stored.mention.lang == "de"


def test_process__a_language_channel_takes_the_mention_whatever_its_label(
        store: Store, tmp_path: Path) -> None:
    slack = SlackSettings(channels_by_language={"ja": "#care-japan"})
    mentions = (f.mention(JAPANESE_POST, source="x", lang="ja"),
                f.mention("I love lumo", source="x", lang="en"))
    pipeline(store, rules_in(tmp_path), slack=slack).process(
        "x", Batch(mentions=mentions, next_cursor=None))
    channels = {s.mention.lang: c.channel for c, s in store.cases()}
    assert channels == {"ja": "#care-japan", "en": "#marketing"}


def test_route__backtest_router_agrees_with_the_pipeline_on_languages() -> None:
    slack = SlackSettings(channels_by_language={"ja": "#care-japan"},
                          channels={"praise": "#p"})
    p = Pipeline(store=None, rules=lambda: None,  # type: ignore[arg-type,return-value]
                 classifier=None, suggester=None, slack=slack)  # type: ignore[arg-type]
    match = RuleMatch(brand="lumo", rule="lumo.query", channels={"complaint": "#c"})
    for label in Label:
        for lang in ("ja", "en", None):
            assert router(slack)(match, label, lang) == p.route(match, label, lang=lang)
    assert p.route(match, Label.COMPLAINT, lang="ja") == "#care-japan"
    assert p.route(match, Label.OTHER, lang="ja") is None


def test_backtest__replays_the_stored_detected_language(store: Store, tmp_path: Path) -> None:
    post = f.mention(JAPANESE_POST, source="x", lang="und")
    pipeline(store, rules_in(tmp_path)).process("x", Batch(mentions=(post,), next_cursor=None))
    stored = [s for _, s in store.cases()]
    same = rules_in(tmp_path / "same", "brands:\n  - id: lumo\n    query: 'ルモ AND lang:ja'\n")
    other = rules_in(tmp_path / "other", "brands:\n  - id: lumo\n    query: 'ルモ AND lang:en'\n")
    assert backtest(stored, same).counts.get("stop_matching", 0) == 0
    assert backtest(stored, other).counts["stop_matching"] == 1
