"""Linear maps fitted after training, read from the same pass: the retrieval projection (pooled
states -> the packaged encoder's sentence embeddings) and the cue head (words -> logits)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from monitor.classify import packed
from monitor.classify.model import MentionModel

RIDGE = 1.0  # L2 penalty of the least-squares fit (the inputs are ~4k pooled vectors)


class Teacher:
    """The packaged encoder's own top layers, copied before fine-tuning changes them, run
    from the same cached lower states: the sentence embeddings retrieval was built on."""

    def __init__(self, model: MentionModel) -> None:
        self.layers = copy.deepcopy(model.encoder.encoder.layer[model.first_adapted:])
        self.layers.eval()

    @torch.no_grad()
    def pooled(self, hidden: Sequence[torch.Tensor]) -> torch.Tensor:
        return packed.pooled(self.layers, hidden)


def fit_projection(student: np.ndarray, teacher: np.ndarray, *, ridge: float = RIDGE
                   ) -> np.ndarray:
    """(dim + 1, dim) matrix P with [student, 1] @ P ~ teacher (ridge regression; the bias row
    is not penalised)."""
    x = np.hstack([student.astype(np.float64), np.ones((len(student), 1))])
    penalty = ridge * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0
    solution = np.linalg.solve(x.T @ x + penalty, x.T @ teacher.astype(np.float64))
    return solution.astype(np.float32)


def agreement(student: np.ndarray, teacher: np.ndarray, projection: np.ndarray) -> float:
    """Mean cosine between projected student vectors and the teacher's (1.0 = identical)."""
    pred = student @ projection[:-1] + projection[-1]

    def unit(a: np.ndarray) -> np.ndarray:
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)

    return float(np.mean(np.sum(unit(pred) * unit(teacher), axis=1)))


def label_agreement(features: np.ndarray, logits: np.ndarray, weights: np.ndarray) -> float:
    """Share of rows where [features, 1] @ weights picks the same label as `logits`."""
    pred = features @ weights[:-1] + weights[-1]
    return round(float(np.mean(pred.argmax(1) == logits.argmax(1))), 4) if len(pred) else 0.0


def pooled_many(run: Any, hidden: Sequence[torch.Tensor], *, batch_size: int = 64
                ) -> np.ndarray:
    """`run(states)` (pooled vectors of unpadded states) over many examples, in order."""
    out = np.zeros((len(hidden), hidden[0].shape[1] if hidden else 0), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(hidden), batch_size):
            out[start:start + batch_size] = run(
                list(hidden[start:start + batch_size])).float().cpu().numpy()
    return out
