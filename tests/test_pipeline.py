"""The pipeline: dedupe, match, classify in batches, suggest, persist with the cursor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.base import ClassifierInput
from monitor.config import SlackSettings
from monitor.models import Batch, Classification, Label, Mention, RuleMatch, SuggestedReply
from monitor.pipeline import Pipeline
from monitor.replies.templates import TemplateSuggester
from monitor.rules.loader import load_rules
from monitor.rules.ruleset import RuleSet
from monitor.store import Store
from tests import factories as f
from tests.factories import KeywordClassifier

RULES = """
brands:
  - id: acme
    name: Acme
    handles: [acme]
    query: acme OR "acme rockets"
    exclude:
      own_accounts: true
    overrides:
      - name: job-ads
        label: other
        query: hiring
    channels:
      praise: "#acme-love"
    replies:
      complaint: "Sorry {{ author }}, {{ brand }} will fix it."
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'p.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "acme.yaml").write_text(RULES)
    return load_rules(d)


def make(store: Store, rules: RuleSet, clf: KeywordClassifier | None = None) -> Pipeline:
    return Pipeline(store=store, rules=lambda: rules, classifier=clf or KeywordClassifier(),
                    suggester=TemplateSuggester(rules.reply_templates), slack=SlackSettings())


def test_process__routes_stores_and_moves_the_cursor(store: Store, rules: RuleSet) -> None:
    batch = Batch(mentions=(f.mention("acme rocket broke on launch", handle="kim"),
                            f.mention("I love acme"),
                            f.mention("is acme open on sunday?"),
                            f.mention("nothing to see here")), next_cursor="c1")
    stats = make(store, rules).process("x", batch)
    assert (stats.fetched, stats.new, stats.matched, stats.stored, stats.queued) == (4, 4, 3, 3, 3)
    assert stats.dropped == {"no rule": 1}
    assert store.get_cursor("x") == "c1"
    by_label = {c.label: c for c, _ in store.cases()}
    assert by_label["praise"].channel == "#acme-love"
    assert by_label["question"].channel == "#social-care"
    assert by_label["complaint"].reply_text == "Sorry @kim, Acme will fix it."
    assert "x: fetched 4, new 4, matched 3" in stats.summary()


def test_process__second_time_everything_is_seen(store: Store, rules: RuleSet) -> None:
    batch = Batch(mentions=(f.mention("acme broke"), f.mention("acme broke again")),
                  next_cursor="c1")
    p = make(store, rules)
    p.process("x", batch)
    stats = p.process("x", batch)
    assert stats.new == 0 and stats.dropped == {"seen": 2} and stats.stored == 0
    assert len(list(store.outbox_rows(status="pending"))) == 4


def test_process__duplicate_inside_one_batch_is_stored_once(store: Store, rules: RuleSet
                                                            ) -> None:
    m = f.mention("acme broke")
    stats = make(store, rules).process("x", Batch(mentions=(m, m), next_cursor=None))
    assert stats.stored == 1 and stats.dropped == {"seen": 1}


def test_process__classifies_in_one_batch(store: Store, rules: RuleSet) -> None:
    clf = KeywordClassifier()
    make(store, rules, clf).process(
        "x", Batch(mentions=tuple(f.mention(f"acme broke {i}") for i in range(7)),
                   next_cursor=None))
    assert clf.batches == [7]


def test_process__rule_label_override_wins_and_other_is_not_posted(store: Store,
                                                                   rules: RuleSet) -> None:
    stats = make(store, rules).process(
        "x", Batch(mentions=(f.mention("acme is hiring, love it"),), next_cursor=None))
    ((case, mention),) = store.cases()
    assert case.label == "other" and case.channel is None and stats.queued == 0
    assert mention.reasons[0] == "a rule of acme sets the label to other"


def test_process__own_account_is_dropped_as_excluded(store: Store, rules: RuleSet) -> None:
    stats = make(store, rules).process(
        "x", Batch(mentions=(f.mention("acme deals today", handle="acme"),), next_cursor=None))
    (reason,) = stats.dropped
    assert stats.stored == 0 and reason.startswith("excluded")


def test_process__malformed_items_from_the_connector_are_counted(store: Store, rules: RuleSet
                                                                 ) -> None:
    stats = make(store, rules).process(
        "x", Batch(mentions=(f.mention("acme broke"),), next_cursor="c",
                   dropped={"missing id": 2}))
    assert stats.fetched == 3 and stats.dropped == {"malformed: missing id": 2}


def test_process__classifier_failure_stores_nothing_and_keeps_the_cursor(
        store: Store, rules: RuleSet) -> None:
    make(store, rules).process("x", Batch(mentions=(), next_cursor="c0"))
    with pytest.raises(RuntimeError):
        make(store, rules).process(
            "x", Batch(mentions=(f.mention("acme will explode"),), next_cursor="c1"))
    assert store.get_cursor("x") == "c0" and store.count_mentions() == 0


class EmbeddingClassifier(KeywordClassifier):
    """The keyword stand-in, plus what the builtin model gives: an embedding per mention."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[ClassifierInput] = []

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        self.inputs.extend(inputs)
        return [replace(c, embedding=np.full(3, float(n), dtype=np.float32))
                for n, c in enumerate(super().classify(inputs))]


class RecordingSuggester:
    def __init__(self) -> None:
        self.seen: list[Classification] = []

    def suggest(self, mention: Mention, match: RuleMatch, classification: Classification
                ) -> SuggestedReply | None:
        self.seen.append(classification)
        return None


def test_process__classifier_is_told_the_brand_names_it_matched(store: Store, rules: RuleSet
                                                                ) -> None:
    clf = EmbeddingClassifier()
    make(store, rules, clf).process(
        "x", Batch(mentions=(f.mention("acme rockets broke again"), f.mention("love @acme")),
                   next_cursor=None))
    names = [i.names for i in clf.inputs]
    assert all(n[0] == "acme" for n in names)
    assert any("acme rockets" in (t.lower() for t in n[1:]) for n in names), names


def test_process__suggester_gets_the_embedding_of_the_classifier_pass(store: Store,
                                                                      rules: RuleSet) -> None:
    suggester = RecordingSuggester()
    pipeline = Pipeline(store=store, rules=lambda: rules, classifier=EmbeddingClassifier(),
                        suggester=suggester, slack=SlackSettings())
    pipeline.process("x", Batch(mentions=(f.mention("acme broke"),
                                          f.mention("acme is hiring, love it")),
                                next_cursor=None))
    by_label = {c.label: c for c in suggester.seen}
    assert set(by_label) == {Label.COMPLAINT, Label.OTHER}
    # the rule's label override keeps the pass's embedding too
    assert by_label[Label.OTHER].reasons[0].startswith("a rule of acme")
    assert all(c.embedding is not None and c.embedding.shape == (3,) for c in suggester.seen)
    assert {float(c.embedding[0]) for c in suggester.seen} == {0.0, 1.0}


def test_brand_names__keeps_terms_naming_the_brand_only() -> None:
    from monitor.pipeline import brand_names

    match = RuleMatch(brand="lumo", rule="lumo.query",
                      terms=('"Lumo Bank"', "card*", "lumobank", '"Lumo Bank"'))
    assert brand_names(match) == ("lumo", "Lumo Bank", "lumobank")
