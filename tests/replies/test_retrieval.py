"""Retrieval: the real encoder on the labeled set, the demo's questions, the embedding cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.builtin import BuiltinClassifier
from monitor.replies.evaluate import calibrate, load_items, metrics, score
from monitor.replies.knowledge import KnowledgeBase, load_brand
from monitor.replies.retrieval import (
    DEFAULT_THRESHOLD,
    Embedder,
    EmbeddingCache,
    Retriever,
    query_text,
)
from tests.replies.conftest import WordsEmbedder

# Measured with benchmarks/bench_replies.py at 0.55: the packaged encoder top-1 91.5%, claimed
# right 78.7%, wrong 6.4%, false claims 14.3%; the classifier's own vectors top-1 93.6%, claimed
# right 72.3%, wrong 4.3%, false claims 14.3%. The floors leave room for encoder/platform noise.
TOP1_FLOOR = 0.85
CLAIMED_FLOOR = 0.70
FALSE_CLAIMS_CEILING = 0.25


@pytest.mark.slow
def test_retriever__labeled_set_meets_the_measured_floors(
        bundled: dict[str, KnowledgeBase], retriever: Retriever) -> None:
    items = load_items()
    assert len(items) >= 60 and sum(i.expect is None for i in items) >= 20
    scored = score(items, bundled, retriever)
    m = metrics(scored, DEFAULT_THRESHOLD)
    assert m.top1 >= TOP1_FLOOR
    assert m.claimed_correct >= CLAIMED_FLOOR
    assert m.false_claims <= FALSE_CLAIMS_CEILING  # unanswerable ones mostly stay unclaimed
    assert m.wrong_claims <= 0.1
    assert abs(calibrate(scored).threshold - DEFAULT_THRESHOLD) <= 0.05


@pytest.mark.slow
def test_retriever__below_threshold_nothing_is_claimed(
        bundled: dict[str, KnowledgeBase], retriever: Retriever) -> None:
    r = retriever
    kb = bundled["brewbird"]
    assert r.best(kb, "which of your roasts is the least bitter?", label="question") is not None
    assert r.best(kb, "my cat knocked over a plant lol", label="question") is None


@pytest.mark.slow
def test_retriever__complaints_only_get_entries_tagged_for_them(
        bundled: dict[str, KnowledgeBase], retriever: Retriever) -> None:
    r = retriever
    kb = bundled["lumo"]
    text = "can I add my Lumo card to Google Pay?"
    question = r.best(kb, text, label="question")
    complaint = r.best(kb, text, label="complaint")
    assert question is not None and question.entry.id == "apple-pay-google-pay"
    assert "complaint" not in question.entry.applies_to
    assert complaint is None or "complaint" in complaint.entry.applies_to


def test_query_text__drops_links_signs_and_the_brand_names() -> None:
    text = "@lumobank is Lumo Bank's app down? https://t.co/x #lumobank #outage"
    assert query_text(text, brand="lumo", names=("Lumo Bank",)) == "is app down? outage"


def test_cache__unchanged_knowledge_is_not_embedded_again(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "a.yaml").write_text(
        "- {id: oat, questions: [\"do you have oat milk?\"], answer: \"we do\"}\n"
        "- {id: hours, questions: [\"when do you open?\"], answer: \"at 7\"}\n")
    kb = load_brand(tmp_path / "kb", brand="brewbird")
    first = WordsEmbedder()
    Retriever(first, cache=EmbeddingCache(tmp_path / "cache")).rank(kb, "oat milk?")
    assert [len(c) for c in first.calls] == [2, 1]  # two variants, then the mention
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1

    again = WordsEmbedder()  # a restart: the disk cache answers for the knowledge base
    hits = Retriever(again, cache=EmbeddingCache(tmp_path / "cache")).rank(kb, "oat milk?")
    assert [len(c) for c in again.calls] == [1] and hits[0].entry.id == "oat"

    (tmp_path / "kb" / "a.yaml").write_text(
        "- {id: oat, questions: [\"do you have soy milk?\"], answer: \"we do\"}\n"
        "- {id: hours, questions: [\"when do you open?\"], answer: \"at 7\"}\n")
    edited = WordsEmbedder()
    Retriever(edited, cache=EmbeddingCache(tmp_path / "cache")).rank(
        load_brand(tmp_path / "kb", brand="brewbird"), "oat milk?")
    assert [len(c) for c in edited.calls] == [2, 1]  # new content, new key


def test_cache__a_corrupt_file_is_recomputed(tmp_path: Path) -> None:
    embedder = WordsEmbedder()
    cache = EmbeddingCache(tmp_path)
    key = cache.key(embedder, ["a question"])
    (tmp_path / f"{key}.npy").write_bytes(b"not numpy")
    vecs = cache.vectors(embedder, ["a question"])
    assert vecs.shape == (1, 512) and embedder.calls == [["a question"]]


class ReleasingEmbedder(WordsEmbedder):
    """Counts how often the retriever frees it (the packaged encoder does, to save memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = 0

    def release(self) -> None:
        self.released += 1


def _kb(tmp_path: Path) -> KnowledgeBase:
    (tmp_path / "kb").mkdir(exist_ok=True)
    (tmp_path / "kb" / "a.yaml").write_text(
        "- {id: oat, questions: [\"do you have oat milk?\"], answer: \"we do\"}\n"
        "- {id: hours, questions: [\"when do you open?\"], answer: \"at 7\"}\n")
    return load_brand(tmp_path / "kb", brand="brewbird")


def test_retriever__mentions_with_a_vector_are_not_embedded_again(tmp_path: Path) -> None:
    kb = _kb(tmp_path)
    embedder = ReleasingEmbedder()
    r = Retriever(embedder, cache=EmbeddingCache(None))
    vector = embedder.embed(["when do you open"])[0]
    embedder.calls.clear()
    hits = r.rank(kb, "opening hours on sunday?", vector=vector)
    assert hits[0].entry.id == "hours"
    assert embedder.calls == [["do you have oat milk?", "when do you open?"]]  # the index only
    ranked = r.rank_many(kb, ["oat milk?", "when do you open?"], vectors=[None, vector])
    assert embedder.calls[-1] == ["oat milk?"]  # only the mention without a vector
    assert [h[0].entry.id for h in ranked] == ["oat", "hours"]


def test_retriever__encoder_is_released_after_indexing_only(tmp_path: Path) -> None:
    kb = _kb(tmp_path)
    embedder = ReleasingEmbedder()
    r = Retriever(embedder, cache=EmbeddingCache(None))
    vector = np.ones(512, dtype=np.float32) / np.sqrt(512)
    r.rank(kb, "oat milk?", vector=vector)
    r.rank(kb, "oat milk?", vector=vector)
    assert embedder.released == 1  # once, after embedding the knowledge base


class CountingCache(EmbeddingCache):
    """The in-memory cache, counting how often the retriever asks it for a brand's vectors."""

    def __init__(self) -> None:
        super().__init__(None)
        self.asked = 0

    def vectors(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        self.asked += 1
        return super().vectors(embedder, texts)


def test_retriever__index_is_built_once_per_loaded_knowledge(tmp_path: Path) -> None:
    """Each lookup of a poll reuses the brand's index; new names or entries rebuild it."""
    kb = _kb(tmp_path)
    cache = CountingCache()
    r = Retriever(WordsEmbedder(), cache=cache)
    vector = np.ones(512, dtype=np.float32) / np.sqrt(512)
    for _ in range(3):  # the suggester passes a copy with the brand's names to each lookup
        r.rank(replace(kb, names=("Brewbird",)), "oat milk?", vector=vector)
    assert cache.asked == 1
    r.rank(replace(kb, names=("Brewbird Coffee",)), "oat milk?", vector=vector)
    r.rank(_kb(tmp_path), "oat milk?", vector=vector)  # reloaded from disk
    assert cache.asked == 3


@pytest.mark.slow
def test_retriever__classifier_vectors_meet_the_measured_floors(
        bundled: dict[str, KnowledgeBase], retriever: Retriever,
        classifier: BuiltinClassifier) -> None:
    """The pipeline's path: each mention's vector comes from the classifier's own pass."""
    items = load_items()
    scored = score(items, bundled, retriever, classifier=classifier)
    m = metrics(scored, DEFAULT_THRESHOLD)
    assert m.top1 >= TOP1_FLOOR
    assert m.claimed_correct >= CLAIMED_FLOOR
    assert m.false_claims <= FALSE_CLAIMS_CEILING
    assert m.wrong_claims <= 0.1
    assert abs(calibrate(scored).threshold - DEFAULT_THRESHOLD) <= 0.05
