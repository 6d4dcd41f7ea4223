"""What an answer means: the satisfaction signal and whether it reopens the case."""

from __future__ import annotations

import pytest

from monitor.followup.signals import Signal, decide


@pytest.mark.parametrize(("label", "before", "after", "signal", "reason", "reopen"), [
    ("praise", None, None, Signal.SATISFACTION, "praise", False),
    ("complaint", None, None, Signal.DISSATISFACTION, "complaint", True),
    ("question", None, None, None, None, True),
    ("other", None, None, None, None, False),
    ("praise", 1, 4, Signal.SATISFACTION, "rating_up", False),
    ("complaint", 1, 3, Signal.SATISFACTION, "rating_up", False),  # better, if not perfect
    ("complaint", 4, 2, Signal.DISSATISFACTION, "rating_down", True),
    ("other", 5, 3, Signal.DISSATISFACTION, "rating_down", False),
    ("complaint", 1, 1, Signal.DISSATISFACTION, "complaint", True),  # stars unchanged
])
def test_decide__signal_and_reopen_by_label_and_stars(
        label: str, before: int | None, after: int | None, signal: Signal | None,
        reason: str | None, reopen: bool) -> None:
    d = decide(label, before=before, after=after)
    assert (d.signal, d.reason, d.reopen) == (signal, reason, reopen)
