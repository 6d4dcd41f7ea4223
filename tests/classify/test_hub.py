"""The Hugging Face paths (sequence-classification, zero-shot) on tiny models built here."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from monitor.classify import build_classifier
from monitor.classify.base import ClassifierInput
from monitor.classify.hub import map_labels
from monitor.config import ClassifierSettings, Settings
from monitor.errors import ConfigError, ModelError
from monitor.models import Label


def _tiny_model(path: Path, id2label: dict[int, str], *, favour: int | None = None) -> Path:
    """A randomly initialised 1-layer BERT classifier with the encoder's tokenizer; with
    `favour`, the classifier ignores the text and always prefers that output."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from monitor.classify.model import encoder_dir

    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=37, max_position_embeddings=512,
                        initializer_range=0.5,
                        id2label=id2label, label2id={v: k for k, v in id2label.items()})
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    if favour is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.zero_()
            model.classifier.bias[favour] = 5.0
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(encoder_dir()).save_pretrained(path)
    return path


def _settings(tmp_path: Path, model: Path, kind: str) -> Settings:
    return Settings(data_dir=tmp_path,
                    classifier=ClassifierSettings(model=str(model), kind=kind, batch_size=2))


def test_sequence_classification__maps_model_labels_to_ours(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "m", {0: "complaint", 1: "question", 2: "praise", 3: "other"},
                       favour=2)
    clf = build_classifier(_settings(tmp_path, path, "sequence-classification"))
    results = clf.classify([ClassifierInput(text=t) for t in ("great", "awful", "?")])
    assert [r.label for r in results] == [Label.PRAISE] * 3
    assert all(sum(r.scores.values()) == pytest.approx(1.0, abs=1e-3) for r in results)
    assert results[0].confidence > 0.9
    assert clf.name.startswith("sequence-classification:")


def test_sequence_classification__sentiment_labels_as_synonyms(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "s", {0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"}, favour=0)
    clf = build_classifier(_settings(tmp_path, path, "sequence-classification"))
    (r,) = clf.classify([ClassifierInput(text="the app is broken")])
    assert r.label is Label.COMPLAINT
    assert r.scores["question"] == 0.0


def test_sequence_classification__unknown_label_names_are_refused(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "u", {0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(ModelError, match="LABEL_0"):
        build_classifier(_settings(tmp_path, path, "sequence-classification"))


def test_map_labels__case_insensitive() -> None:
    assert map_labels({0: "Positive", 1: "complaint"}) == {0: Label.PRAISE, 1: Label.COMPLAINT}


def test_zero_shot__scores_every_label_from_entailment(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "nli", {0: "entailment", 1: "neutral", 2: "contradiction"})
    clf = build_classifier(_settings(tmp_path, path, "zero-shot"))
    results = clf.classify([ClassifierInput(text=t) for t in ("my order is late", "", "hi")])
    assert len(results) == 3
    assert results[1].label is Label.OTHER and results[1].uncertain
    for r in (results[0], results[2]):
        assert set(r.scores) == {"complaint", "question", "praise", "other"}
        assert sum(r.scores.values()) == pytest.approx(1.0, abs=1e-3)
    # a random model still depends on the hypothesis: the four scores are not all equal
    assert len(set(results[0].scores.values())) > 1


def test_zero_shot__text_independent_model_is_uniform_and_uncertain(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "flat", {0: "entailment", 1: "neutral", 2: "contradiction"},
                       favour=0)
    clf = build_classifier(_settings(tmp_path, path, "zero-shot"))
    (r,) = clf.classify([ClassifierInput(text="anything at all")])
    assert all(v == pytest.approx(0.25, abs=1e-3) for v in r.scores.values())
    assert r.uncertain


def test_zero_shot__model_without_entailment_is_refused(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "x", {0: "praise", 1: "other"})
    with pytest.raises(ModelError, match="entailment"):
        build_classifier(_settings(tmp_path, path, "zero-shot"))


def test_build_classifier__kind_and_model_must_agree(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"classifier\.model"):
        build_classifier(Settings(data_dir=tmp_path, classifier=ClassifierSettings(
            model="some/hub-model", kind="head")))
    with pytest.raises(ConfigError, match=r"classifier\.model"):
        build_classifier(Settings(data_dir=tmp_path, classifier=ClassifierSettings(
            kind="zero-shot")))


def test_build_classifier__missing_artifact_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no trained model"):
        build_classifier(Settings(data_dir=tmp_path, classifier=ClassifierSettings(
            artifact=tmp_path / "nothing")))


def test_build_classifier__hub_id_without_network_is_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="cannot load model"):
        build_classifier(_settings(tmp_path, Path("no-such-org/no-such-model"),
                                   "sequence-classification"))
