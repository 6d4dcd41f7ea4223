"""Training progress lines: steps, held-out F1 per epoch and an ETA from the pace so far."""

from __future__ import annotations

import numpy as np

from monitor.classify.features import batches as _batches
from monitor.classify.progress import Progress, duration


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_duration__reads_like_a_clock() -> None:
    assert [duration(s) for s in (0, 42.4, 185, 3720)] == ["0s", "42s", "3m05s", "1h02m"]


def test_progress__eta_is_the_pace_so_far_times_the_steps_left() -> None:
    clock, lines = Clock(), []
    p = Progress(epochs=2, steps_per_epoch=10, every=1.0, emit=lines.append, clock=clock)
    for step in range(1, 5):
        clock.now += 2.0
        p.step(1, step, 0.9)
    # 3 steps in 6s after the first one started the clock: 2s a step, 16 steps left
    assert p.eta() == 32.0
    assert lines and "epoch 1/2 step 4/10 (20%) loss 0.9000, ETA 32s" in lines[-1]


def test_progress__each_epoch_reports_loss_and_held_out_f1() -> None:
    clock, lines = Clock(), []
    p = Progress(epochs=3, steps_per_epoch=1, emit=lines.append, clock=clock)
    p.phase("encoding")
    p.step(1, 1, 0.5)
    clock.now = 61.0
    p.epoch(1, 0.5, 0.8123)
    assert lines[0] == "[0s] encoding"
    assert lines[-1].startswith("[1m01s] epoch 1/3 done: loss 0.5000, held-out macro-F1 0.8123")


def test_batches__every_example_once_in_random_order() -> None:
    idx = np.arange(0, 1000, 2)
    batches = _batches(idx, 32, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == idx.tolist()
    assert [len(b) for b in batches] == [32] * 15 + [20]
    assert (flat != idx).any()


def test_batches__seeded_and_different_each_epoch() -> None:
    idx = np.arange(300)
    a = _batches(idx, 16, np.random.default_rng(5))
    b = _batches(idx, 16, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    first, second = _batches(idx, 16, rng), _batches(idx, 16, rng)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert any((x != y).any() for x, y in zip(first, second, strict=True))
