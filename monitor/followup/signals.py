"""What a customer's answer after our reply means: a satisfaction signal, and whether to reopen."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from monitor.models import Label


class Signal(enum.StrEnum):
    SATISFACTION = "satisfaction"
    DISSATISFACTION = "dissatisfaction"


@dataclass(frozen=True, slots=True)
class Decision:
    """`signal`: the satisfaction signal the answer gives (None: neutral); `reason` why
    ("praise", "complaint", "rating_up", "rating_down"); `reopen`: it asks for more work."""

    signal: Signal | None
    reason: str | None
    reopen: bool


def decide(label: str, *, before: int | None, after: int | None) -> Decision:
    """The meaning of an answer labelled `label`, on a review whose stars went from `before`
    to `after` (None where there are no stars or they did not change).

    A review whose stars went up is satisfaction and does not reopen the case, whatever its
    text (the customer says it got better); stars that went down are dissatisfaction. Without
    a change of stars the label decides: praise (thanks) is satisfaction, a complaint is
    dissatisfaction, a question is neutral. A complaint or a question reopens a closed case,
    unless the stars went up."""
    delta = after - before if before is not None and after is not None else 0
    asks = label in (Label.COMPLAINT, Label.QUESTION)
    if delta > 0:
        return Decision(Signal.SATISFACTION, "rating_up", False)
    if delta < 0:
        return Decision(Signal.DISSATISFACTION, "rating_down", asks)
    if label == Label.PRAISE:
        return Decision(Signal.SATISFACTION, "praise", False)
    if label == Label.COMPLAINT:
        return Decision(Signal.DISSATISFACTION, "complaint", True)
    return Decision(None, None, asks)
