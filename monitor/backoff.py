"""Jittered exponential backoff, the one formula for failing sources and failing deliveries."""

from __future__ import annotations

import random


def backoff_delay(failures: int, *, base: float, cap: float, rng: random.Random,
                  spread: tuple[float, float] = (0.5, 1.0)) -> float:
    """Seconds to wait after the `failures`-th failure in a row (1 = the first):
    `base * 2**(failures-1)`, capped at `cap`, then scaled by a random factor in
    [spread[0], spread[1]) so that many waiters do not retry in step."""
    exp = min(max(failures, 1) - 1, 30)
    low, high = spread
    return min(cap, base * (2 ** exp)) * (low + (high - low) * rng.random())
