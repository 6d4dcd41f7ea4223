"""Retrieval: the real encoder on the labeled set, the demo's questions, the embedding cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.replies.evaluate import calibrate, load_items, metrics, score
from monitor.replies.knowledge import KnowledgeBase, load_brand
from monitor.replies.retrieval import (
    DEFAULT_THRESHOLD,
    EmbeddingCache,
    Retriever,
    query_text,
)
from tests.replies.conftest import WordsEmbedder

# Measured with benchmarks/bench_replies.py: top-1 91.5%, claimed right 78.7%, wrong 6.4%,
# false claims 14.3% at 0.575. The floors below leave room for encoder/platform noise.
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
