"""The classifier contract the pipeline relies on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.models import Classification


@dataclass(frozen=True, slots=True)
class ClassifierInput:
    text: str
    rating: int | None = None  # review stars 1..5, when the source has them
    source: str | None = None
    # the brand's names in the text (id, matched terms): left out of the retrieval embedding
    names: tuple[str, ...] = ()


class Classifier(Protocol):
    name: str

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        """One Classification per input, in order. Batched internally; never raises for one
        odd text (empty text -> label other, low confidence). A classifier that can give the
        retrieval embedding from the same pass sets `Classification.embedding`."""
        ...
