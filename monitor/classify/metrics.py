"""Classification metrics: per-class precision/recall/F1, macro-F1, confusion, calibration."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.models import LABELS


def confusion(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, n: int = len(LABELS)) -> np.ndarray:
    """matrix[i][j] = how many of true class i were predicted as j."""
    m = np.zeros((n, n), dtype=int)
    for t, p in zip(np.asarray(y_true).tolist(), np.asarray(y_pred).tolist(), strict=True):
        m[int(t), int(p)] += 1
    return m


def report(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, macro-F1, accuracy and the confusion matrix.
    A class never predicted has precision 0; one absent from the truth is left out of the
    macro average (its F1 is undefined)."""
    m = confusion(y_true, y_pred)
    per_class: dict[str, dict[str, float | int]] = {}
    f1s: list[float] = []
    for i, label in enumerate(LABELS):
        tp = int(m[i, i])
        predicted = int(m[:, i].sum())
        support = int(m[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label.value] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
        if support:
            f1s.append(f1)
    n = int(m.sum())
    return {
        "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
        "accuracy": round(float(np.trace(m)) / n, 4) if n else 0.0,
        "per_class": per_class,
        "confusion": m.tolist(),
        "labels": [label.value for label in LABELS],
        "n": n,
    }


def ece(probs: np.ndarray, y_true: npt.ArrayLike, *, bins: int = 10) -> float:
    """Expected calibration error of the top-class confidence, equal-width bins."""
    probs = np.asarray(probs, dtype=float)
    if len(probs) == 0:
        return 0.0
    conf = probs.max(1)
    correct = probs.argmax(1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return round(float(total), 4)


def format_report(rep: dict[str, Any]) -> str:
    """The report as a plain-text table for a terminal."""
    labels = rep["labels"]
    lines = [f"{'':<10} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"]
    for label in labels:
        c = rep["per_class"][label]
        lines.append(
            f"{label:<10} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>7.3f} "
            f"{c['support']:>8d}"
        )
    lines.append(f"macro-F1 {rep['macro_f1']:.4f}   accuracy {rep['accuracy']:.4f}   n {rep['n']}")
    lines.append("confusion (rows true, columns predicted):")
    lines.append(f"{'':<10} " + " ".join(f"{lab[:9]:>9}" for lab in labels))
    for label, row in zip(labels, rep["confusion"], strict=True):
        lines.append(f"{label:<10} " + " ".join(f"{v:>9d}" for v in row))
    return "\n".join(lines)
