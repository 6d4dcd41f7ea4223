"""Calibration on held-out data: a temperature, and how much each star rating shifts a label."""

from __future__ import annotations

import math

import torch

MIN_T, MAX_T = 0.25, 8.0


def fit_calibration(
    logits: torch.Tensor, ratings: torch.Tensor, labels: torch.Tensor, *, rating_l2: float = 1.0
) -> tuple[float, torch.Tensor]:
    """(temperature T, bias B) minimising held-out NLL of softmax(logits / T + B[rating]).

    `logits` come from the text alone; B has one row per rating index (row 0, "no rating",
    stays zero) and is pulled towards zero by an L2 penalty (a Gaussian prior of standard
    deviation 1/sqrt(2 * rating_l2) logits), so a rating shifts a decision only as much as
    held-out examples show it adds to the text, and cannot swamp a clear text.
    """
    n_classes = logits.shape[1]
    n_ratings = int(ratings.max()) + 1 if len(ratings) else 1
    bias = torch.zeros((6, n_classes), dtype=torch.float64)
    if len(labels) == 0:
        return 1.0, bias.float()
    z, y, r = logits.double(), labels.long(), ratings.long()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    rows = torch.zeros((max(n_ratings - 1, 0), n_classes), dtype=torch.float64,
                       requires_grad=True)
    opt = torch.optim.LBFGS([log_t, rows], lr=0.5, max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        table = torch.cat([torch.zeros((1, n_classes), dtype=torch.float64), rows])
        out = z / log_t.exp() + table[r]
        loss = torch.nn.functional.cross_entropy(out, y, reduction="sum")
        loss = loss + rating_l2 * (rows**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    temperature = float(min(max(math.exp(log_t.item()), MIN_T), MAX_T))
    bias[1:n_ratings] = rows.detach()
    return temperature, bias.float()
