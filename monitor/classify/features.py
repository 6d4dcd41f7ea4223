"""Training inputs: the frozen layers' states of every example, computed once; batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from monitor.classify.builtin import rating_index
from monitor.classify.dataset import Example
from monitor.classify.model import MentionModel
from monitor.classify.text import normalize
from monitor.models import LABELS

_INDEX = {label: i for i, label in enumerate(LABELS)}


@dataclass(slots=True)
class Encoded:
    hidden: list[torch.Tensor]  # per example (tokens, hidden) entering the first trained layer
    lexical: torch.Tensor  # (examples, hidden): the embedding layer's output, mean-pooled
    ratings: torch.Tensor
    labels: torch.Tensor


def encode(model: MentionModel, tokenizer: Any, examples: Sequence[Example], *,
            max_length: int, device: str, batch_size: int = 64) -> Encoded:
    """Run the frozen bottom of the encoder once over every example."""
    texts = [normalize(ex.text) for ex in examples]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    hidden: list[torch.Tensor | None] = [None] * len(texts)
    lexical = torch.zeros((len(texts), model.encoder.config.hidden_size))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt").to(device)
        h = model.lower(enc["input_ids"], enc["attention_mask"])
        lexical[idx] = model.lexical(enc["input_ids"], enc["attention_mask"]).cpu()
        lengths = enc["attention_mask"].sum(1).tolist()
        for j, i in enumerate(idx):
            hidden[i] = h[j, : int(lengths[j])].detach()
    return Encoded(
        hidden=[h for h in hidden if h is not None],
        lexical=lexical,
        ratings=torch.tensor([rating_index(ex.rating) for ex in examples], dtype=torch.long),
        labels=torch.tensor([_INDEX[ex.label] for ex in examples], dtype=torch.long),
    )


@torch.no_grad()
def logits(model: MentionModel, data: Encoded, idx: np.ndarray, *, batch_size: int = 64,
           ratings: bool = True) -> torch.Tensor:
    """The model's logits for examples `idx` (with their ratings, or none), in eval mode."""
    model.eval()
    parts = []
    for start in range(0, len(idx), batch_size):
        sel = idx[start:start + batch_size].tolist()
        pooled = model.upper_packed([data.hidden[i] for i in sel])
        r = data.ratings[sel] if ratings else torch.zeros(len(sel), dtype=torch.long)
        parts.append(model.logits(pooled, r.to(pooled.device)).float().cpu())
    return torch.cat(parts) if parts else torch.zeros((0, len(LABELS)))


def batches(idx: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: `idx` shuffled, cut in `batch_size` pieces. Random on purpose:
    sorting batches by length (to pad less) cost 1.4 points of cross-domain macro-F1, and the
    packed forward (packed.py) makes padding cost nothing anyway."""
    perm = idx[rng.permutation(len(idx))]
    return [perm[i:i + batch_size] for i in range(0, len(perm), batch_size)]
