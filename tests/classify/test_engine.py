"""The ONNX Runtime encoder: the same numbers as the torch model training evaluated, batched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.classify.artifact import PACKAGED_DIR, find_artifact, graph_path
from monitor.classify.base import ClassifierInput
from monitor.classify.builtin import BuiltinClassifier
from monitor.classify.engine import Encoder
from monitor.errors import ModelError

TEXTS = [
    ("the app crashes every time I open it and support never answers", 1),
    ("does the family plan work in canada?", None),
    ("thank you, the parcel came a day early!", 5),
    ("hiring: store manager in leeds " * 60, None),  # long: truncated at max_length
    ("", None),
]


def test_batches__bounded_by_texts_and_padded_tokens() -> None:
    enc = Encoder(graph=Path("unused.onnx"), batch_size=4, max_tokens=100)
    lengths = [10, 50, 12, 30, 11, 40, 9, 13, 60, 14]
    batches = list(enc.batches(lengths))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 4 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100)
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)


def test_encoder__missing_graph_is_a_model_error(tmp_path: Path) -> None:
    enc = Encoder(graph=tmp_path / "none.onnx")
    with pytest.raises(ModelError, match="encoder graph"):
        enc.encode(["hello"])


@pytest.mark.slow
def test_builtin__probabilities_equal_the_torch_model_training_evaluated(
    builtin: BuiltinClassifier,
) -> None:
    import torch

    from monitor.classify.builtin import rating_index
    from monitor.classify.model import load_model
    from monitor.classify.text import normalize

    tokenizer, model, meta = load_model(PACKAGED_DIR)
    texts = [normalize(t) or "." for t, _ in TEXTS]
    with torch.inference_mode():
        enc = tokenizer(texts, padding=True, truncation=True, max_length=meta["max_length"],
                        return_tensors="pt")
        logits = model.logits(model.pooled(enc["input_ids"], enc["attention_mask"]),
                              torch.tensor([rating_index(r) for _, r in TEXTS]))
        expected = torch.softmax(logits / meta["temperature"], 1).numpy()
    got = builtin.probabilities([ClassifierInput(text=t, rating=r) for t, r in TEXTS])
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.slow
def test_encoder__same_states_one_by_one_and_batched(builtin: BuiltinClassifier) -> None:
    texts = [t or "." for t, _ in TEXTS]
    batched = builtin.encoder.encode(texts)
    for text, b in zip(texts, batched, strict=True):
        (one,) = builtin.encoder.encode([text])
        assert one.offsets == b.offsets
        np.testing.assert_allclose(one.hidden, b.hidden, atol=1e-4)
    assert len(batched[3].offsets) == builtin.encoder.max_length  # truncated


def test_graph_path__format_1_artifacts_use_the_packaged_graph(tmp_path: Path) -> None:
    packaged = find_artifact(PACKAGED_DIR)
    assert packaged is not None
    assert graph_path(tmp_path) == packaged / "encoder.onnx"
    assert graph_path(packaged) == packaged / "encoder.onnx"
