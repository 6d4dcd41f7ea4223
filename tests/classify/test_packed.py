"""Training's packed forward: the same function as the padded BERT layers, gradients included."""

from __future__ import annotations

import pytest
import torch

from monitor.classify.model import MentionModel, encoder_dir, load_pretrained, mean_pool
from monitor.classify.packed import Packed, pooled

pytestmark = pytest.mark.slow


def test_packed__pad_unpad_and_mean_follow_the_lengths() -> None:
    p = Packed([2, 3, 1])
    tokens = torch.arange(12, dtype=torch.float32).view(6, 2)
    padded = p.pad(tokens)
    assert padded.shape == (3, 3, 2)
    assert padded[0, 2].tolist() == [0.0, 0.0] and padded[2, 0].tolist() == [10.0, 11.0]
    assert torch.equal(p.unpad(padded), tokens)
    assert p.mean(tokens).tolist() == [[1.0, 2.0], [6.0, 7.0], [10.0, 11.0]]
    assert p.mask[:, 0, 0].tolist() == [[True, True, False], [True, True, True],
                                        [True, False, False]]


def test_pooled__equals_the_padded_encoder_layers() -> None:
    tokenizer, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=4).eval()
    texts = ["short", "a much longer text about a parcel that never arrived at all",
             "does the app work offline?"]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        lower = model.lower(enc["input_ids"], enc["attention_mask"])
        lengths = enc["attention_mask"].sum(1).tolist()
        ours = model.upper_packed([lower[i, :n] for i, n in enumerate(lengths)])
        theirs = mean_pool(model.encoder(**enc).last_hidden_state, enc["attention_mask"])
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-4)


def test_pooled__gradients_reach_the_trained_layers() -> None:
    _, encoder = load_pretrained(encoder_dir())
    model = MentionModel(encoder, trainable_layers=2)
    model.freeze_bottom()
    model.train()
    hidden = [torch.randn(n, 384) for n in (3, 7)]
    pooled(model.encoder.encoder.layer[model.first_adapted:], hidden).sum().backward()
    top = model.encoder.encoder.layer[5].attention.self.query.weight
    assert top.grad is not None and top.grad.abs().sum() > 0
