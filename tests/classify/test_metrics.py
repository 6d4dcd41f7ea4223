"""Metrics and calibration, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monitor.classify.calibrate import fit_calibration
from monitor.classify.metrics import confusion, ece, format_report, report


def test_report__per_class_and_macro_f1_by_hand() -> None:
    # complaint=0 question=1 praise=2 other=3
    y_true = [0, 0, 0, 1, 1, 2, 2, 3]
    y_pred = [0, 0, 1, 1, 1, 2, 0, 3]
    rep = report(y_true, y_pred)
    c = rep["per_class"]["complaint"]  # tp 2, predicted 3, support 3
    assert c["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert c["recall"] == pytest.approx(2 / 3, abs=1e-4)
    q = rep["per_class"]["question"]  # tp 2, predicted 3, support 2 -> p 2/3 r 1 f1 0.8
    assert q["f1"] == pytest.approx(0.8, abs=1e-4)
    p = rep["per_class"]["praise"]  # tp 1, predicted 1, support 2 -> f1 2/3
    assert p["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert rep["per_class"]["other"]["f1"] == 1.0
    assert rep["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 2 / 3 + 1.0) / 4, abs=1e-4)
    assert rep["confusion"][0] == [2, 1, 0, 0]
    assert rep["n"] == 8
    assert rep["accuracy"] == pytest.approx(6 / 8)


def test_report__absent_class_is_left_out_of_macro_average() -> None:
    rep = report([0, 0, 1], [0, 0, 1])
    assert rep["macro_f1"] == 1.0
    assert rep["per_class"]["praise"]["support"] == 0


def test_confusion__rows_are_truth() -> None:
    m = confusion([0, 3], [3, 3])
    assert m[0, 3] == 1 and m[3, 3] == 1 and m.sum() == 2


def test_ece__perfectly_calibrated_and_overconfident() -> None:
    probs = np.array([[0.8, 0.2, 0, 0]] * 10)
    y_right = [0] * 8 + [1] * 2  # 80% right at 0.8 confidence
    assert ece(probs, y_right) == pytest.approx(0.0, abs=1e-9)
    assert ece(probs, [1] * 10) == pytest.approx(0.8)


def test_format_report__lists_every_label_and_the_macro_f1() -> None:
    text = format_report(report([0, 1, 2, 3], [0, 1, 2, 2]))
    for word in ("complaint", "question", "praise", "other", "macro-F1", "confusion"):
        assert word in text


def test_fit_calibration__recovers_temperature_of_overconfident_logits() -> None:
    gen = torch.Generator().manual_seed(0)
    true_logits = torch.randn(4000, 4, generator=gen) * 2
    labels = torch.multinomial(torch.softmax(true_logits, 1), 1, generator=gen).squeeze(1)
    temperature, bias = fit_calibration(true_logits * 3, torch.zeros(4000, dtype=torch.long),
                                        labels)
    assert temperature == pytest.approx(3.0, rel=0.1)
    assert torch.all(bias == 0)


def test_fit_calibration__learns_rating_bias_where_the_rating_is_informative() -> None:
    gen = torch.Generator().manual_seed(1)
    n = 3000
    ratings = torch.randint(0, 6, (n,), generator=gen)
    logits = torch.zeros(n, 4)  # the text says nothing
    labels = torch.where(ratings == 1, 0, torch.randint(0, 4, (n,), generator=gen))
    _, bias = fit_calibration(logits, ratings, labels)
    assert bias[0].abs().sum() == 0  # "no rating" never shifts
    assert bias[1, 0] > 1.0  # 1 star -> complaint
    assert bias[5].abs().max() < 0.3  # 5 stars carries no information here
