"""The pipeline's persist step on SQLite and PostgreSQL: one bad mention never stops a source."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from monitor.classify.base import ClassifierInput
from monitor.config import SlackSettings
from monitor.models import Author, Batch, Classification
from monitor.pipeline import Pipeline
from monitor.rules.loader import load_rules
from monitor.rules.ruleset import RuleSet
from monitor.store import Store
from tests import factories as f
from tests.factories import KeywordClassifier

RULES = "brands:\n  - id: acme\n    name: Acme\n    query: acme\n"


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "acme.yaml").write_text(RULES)
    return load_rules(d)


def make(store: Store, rules: RuleSet, clf: KeywordClassifier | None = None) -> Pipeline:
    return Pipeline(store=store, rules=lambda: rules, classifier=clf or KeywordClassifier(),
                    suggester=None, slack=SlackSettings())


def test_process__an_overlong_author_is_stored_cut_and_polls_go_on(store: Store,
                                                                   rules: RuleSet) -> None:
    long_author = Author(handle="a" * 129, name="A" * 300, id="1" * 200)
    batch = Batch(mentions=(f.mention("acme broke", author=long_author,
                                      external_id="x" * 400),
                            f.mention("acme broke again")), next_cursor="c1")
    stats = make(store, rules).process("x", batch)  # was: DataError on PostgreSQL, every poll
    assert (stats.stored, stats.errors) == (2, 0)
    assert store.get_cursor("x") == "c1"
    again = make(store, rules).process("x", Batch(mentions=batch.mentions, next_cursor="c2"))
    assert (again.new, again.stored, again.dropped["seen"]) == (0, 0, 2)  # the long id dedupes


class ReplicaStoresOneFirst(KeywordClassifier):
    """While this process classifies, another replica stores one of the same mentions."""

    def __init__(self, store: Store, mention_index: int, batch: Batch) -> None:
        super().__init__()
        self.store, self.mention, self.done = store, batch.mentions[mention_index], False

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        if not self.done:
            self.store.save_batch("x", [f.item(self.mention)], "other-replica")
            self.done = True
        return super().classify(inputs)


def test_process__a_mention_the_store_refuses_is_an_error_and_the_rest_is_stored(
        store: Store, rules: RuleSet) -> None:
    batch = Batch(mentions=tuple(f.mention(f"acme broke #{i}") for i in range(3)),
                  next_cursor="c1")
    clf = ReplicaStoresOneFirst(store, 1, batch)
    stats = make(store, rules, clf).process("x", batch)  # was: IntegrityError, batch lost
    assert (stats.matched, stats.stored, stats.errors, stats.queued) == (3, 2, 1, 2)
    assert sum(stats.labels.values()) == 2
    assert store.get_cursor("x") == "c1"
    assert store.count_mentions() == 3  # two from this batch, one from the other replica
