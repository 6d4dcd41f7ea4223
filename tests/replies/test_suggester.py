"""The suggester: knowledge reloads, failures stay local, and the demo's replies end to end."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from connectors.sample import SampleConnector, load_samples
from monitor.config import Settings
from monitor.models import Classification, Label, RuleMatch
from monitor.replies import build_suggester
from monitor.replies import platforms as pf
from monitor.replies.retrieval import MiniLMEmbedder, Retriever
from monitor.replies.suggester import KnowledgeSuggester
from monitor.rules.loader import load_rules
from tests import factories as f
from tests.replies.conftest import ROOT, WordsEmbedder

QUESTION = Classification(label=Label.QUESTION, confidence=0.9)
MATCH = RuleMatch(brand="brewbird", rule="brewbird.query")
ENTRY = ("- id: oat-milk\n  questions: [\"do your cafes have oat milk\"]\n"
         "  answer: \"yes, every cafe has oat milk.\"\n  link: https://brewbird.co/oat\n")

# The demo's FAQ questions (monitor/demo/samples.yaml) and the entry that answers each.
DEMO_FAQ = {
    "2125309921044471808": "change-delivery-address",
    "2125351870712590336": "reschedule-delivery",
    "t1_m1d7k2a": "po-boxes",
    "11876884520": "multiple-addresses",
    "2125299034172841984": "apple-pay-google-pay",
    "gp:AOqpTOHc1mWv5sR9tKx2LgY7dB0qZe3NfUa8jP4oIiE6rVyT1wXh5CnGsQp": "apple-pay-google-pay",
    "t3_1h9r0bm": "joint-accounts",
    "2125346093827702784": "international-transfer-fee",
    "2125353104490504192": "fscs-protection",
    "t3_1ha2m8c": "freeze-card",
    "t3_1h9s6fa": "pause-subscription",
    "2125347305771401216": "oat-milk",
    "2125367391563337728": "least-bitter-roast",
    "t3_1ha9d2k": "cancel-subscription",
}


class Broken(WordsEmbedder):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("encoder exploded")


def suggester(folder: Path, embedder: WordsEmbedder, **kw: object) -> KnowledgeSuggester:
    return KnowledgeSuggester(templates=lambda b: {}, knowledge_dir=folder,
                              retriever=Retriever(embedder, threshold=0.5),
                              reload_seconds=0, **kw)  # type: ignore[arg-type]


def test_suggest__edited_knowledge_is_used_without_a_restart(tmp_path: Path) -> None:
    (tmp_path / "brewbird").mkdir()
    s = suggester(tmp_path, WordsEmbedder())
    mention = f.mention("do your cafes have oat milk?")
    assert s.suggest(mention, MATCH, QUESTION).kb_entry is None  # type: ignore[union-attr]
    (tmp_path / "brewbird" / "cafes.yaml").write_text(ENTRY)
    reply = s.suggest(mention, MATCH, QUESTION)
    assert reply is not None and reply.kb_entry == "oat-milk"
    assert reply.kb_url == "https://brewbird.co/oat" and "Yes, every cafe" in reply.text


def test_suggest__broken_entry_is_logged_and_the_others_still_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "brewbird").mkdir()
    (tmp_path / "brewbird" / "cafes.yaml").write_text(ENTRY)
    (tmp_path / "brewbird" / "bad.yaml").write_text("- id: BAD ID\n")
    with caplog.at_level(logging.ERROR, logger="monitor.replies.suggester"):
        reply = suggester(tmp_path, WordsEmbedder()).suggest(
            f.mention("oat milk in your cafes?"), MATCH, QUESTION)
    assert reply is not None and reply.kb_entry == "oat-milk"
    assert "bad.yaml:1: `id` must be" in caplog.text


def test_suggest__encoder_failure_still_gives_a_reply(tmp_path: Path) -> None:
    (tmp_path / "brewbird").mkdir()
    (tmp_path / "brewbird" / "cafes.yaml").write_text(ENTRY)
    reply = suggester(tmp_path, Broken()).suggest(f.mention("oat milk?"), MATCH, QUESTION)
    assert reply is not None and reply.kb_entry is None and reply.template == "default.question"


def test_suggest__the_classifier_vector_is_used_not_a_second_pass(tmp_path: Path) -> None:
    (tmp_path / "brewbird").mkdir()
    (tmp_path / "brewbird" / "cafes.yaml").write_text(ENTRY)
    embedder = WordsEmbedder()
    vector = embedder.embed(["do your cafes have oat milk"])[0]
    embedder.calls.clear()
    question = replace(QUESTION, embedding=vector)
    # the text alone would not match the entry: the vector decides, and only the KB is embedded
    reply = suggester(tmp_path, embedder).suggest(f.mention("anything vegan?"), MATCH, question)
    assert reply is not None and reply.kb_entry == "oat-milk"
    assert embedder.calls == [["do your cafes have oat milk"]]


def test_suggest__praise_never_looks_up_knowledge(tmp_path: Path) -> None:
    (tmp_path / "brewbird").mkdir()
    (tmp_path / "brewbird" / "cafes.yaml").write_text(ENTRY)
    embedder = WordsEmbedder()
    reply = suggester(tmp_path, embedder).suggest(
        f.mention("your oat milk is the best"), MATCH,
        Classification(label=Label.PRAISE, confidence=0.95))
    assert reply is not None and reply.reshare and embedder.calls == []


def _brand(text: str, brand: str | None) -> str:
    if brand:
        return brand
    low = text.lower()
    return next(b for b in ("parcelly", "lumo", "brewbird") if b in low)


@pytest.mark.slow
def test_build_suggester__demo_complaints_and_questions_get_fitting_replies(
        shared_data_dir: Path, minilm: MiniLMEmbedder) -> None:
    rules = load_rules(ROOT / "rules")
    settings = Settings(data_dir=shared_data_dir, rules_dir=ROOT / "rules")
    s = build_suggester(settings, templates=rules.reply_templates,
                        brand_name=lambda b: rules.brand(b).name, embedder=minilm)
    now = datetime.now(UTC)
    answered = {}
    for item in load_samples():
        if item.expect not in ("complaint", "question"):
            continue
        mention = SampleConnector._mention(item, now)
        match = RuleMatch(brand=_brand(mention.full_text, mention.brand), rule="demo")
        reply = s.suggest(mention, match, Classification(label=Label(item.expect),
                                                         confidence=0.9))
        assert reply is not None and reply.text
        platform = pf.platform_for(mention.source)
        assert pf.length(reply.text, platform) <= platform.limit, reply.text
        assert not pf.other_mentions(reply.text, keep=mention.author.handle, platform=platform)
        if item.expect == "complaint":
            assert "sorry" in reply.text.lower()
        answered[mention.external_id] = reply
    for external_id, entry_id in DEMO_FAQ.items():
        reply = answered[external_id]
        assert reply.kb_entry == entry_id, (external_id, reply.kb_entry)
        assert reply.kb_url and reply.kb_url.startswith("https://")
    assert list((shared_data_dir / "kb-cache").glob("*.npy"))  # the embeddings were cached on disk
