"""Temperature scaling: one scalar that makes softmax confidences match observed accuracy."""

from __future__ import annotations

import numpy as np
import torch


def nll(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> float:
    return float(torch.nn.functional.cross_entropy(logits / temperature, labels))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature in [0.25, 8] minimising held-out negative log-likelihood.

    A coarse log-spaced grid then a fine one around the best point: deterministic, no
    optimiser state, and robust to the flat or multi-modal curves small sets give.
    """
    if len(labels) == 0:
        return 1.0
    logits, labels = logits.double(), labels.long()
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 61))
    best = min(grid, key=lambda t: nll(logits, labels, float(t)))
    fine = np.linspace(best / 1.06, best * 1.06, 41)
    return float(min(fine, key=lambda t: nll(logits, labels, float(t))))
