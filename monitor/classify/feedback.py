"""Slack label corrections as training examples: the latest per case, none that was undone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.classify.dataset import Example
from monitor.models import LABELS, Label

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Correction:
    """One label change made in Slack, in the order they were made. `case` identifies what
    was relabelled (the mention); `old_label` is None when the store does not say."""

    case: str
    text: str
    new_label: str
    rating: int | None = None
    old_label: str | None = None


def latest_corrections(rows: Iterable[Correction]) -> list[Example]:
    """One example per case with its final label, in the order of each case's first change.

    A label changed twice is trained once, with the label it ended on; a case whose label
    ended where it started (a correction undone) is left out, and so is a label we do not know.
    """
    first: dict[str, Correction] = {}
    last: dict[str, Correction] = {}
    for row in rows:
        first.setdefault(row.case, row)
        last[row.case] = row
    known = {label.value for label in LABELS}
    out: list[Example] = []
    for case, start in first.items():
        end = last[case]
        if end.new_label not in known:
            logger.warning("feedback for %s has unknown label %r; skipped", case, end.new_label)
            continue
        if start.old_label is not None and end.new_label == start.old_label:
            continue  # changed and changed back: nothing stands to learn from
        out.append(Example(text=end.text, label=Label(end.new_label), rating=end.rating,
                           source="feedback"))
    return out


def corrections(store_rows: Iterable[Any]) -> list[Correction]:
    """Corrections from `Store.iter_label_feedback()` rows, in order.

    A row is either a record with `mention_id`, `text`, `old_label`, `new_label`, `rating`, or
    the plain (text, new_label, rating) tuple older stores yield; then the text stands for the
    case and the original label is unknown, so an undone change counts as its final label."""
    out = []
    for row in store_rows:
        if hasattr(row, "new_label"):
            out.append(Correction(case=f"mention:{row.mention_id}", text=row.text,
                                  new_label=str(row.new_label), rating=row.rating,
                                  old_label=str(row.old_label) if row.old_label else None))
        else:
            text, label, rating = row
            out.append(Correction(case=f"text:{text}", text=text, new_label=str(label),
                                  rating=rating))
    return out
