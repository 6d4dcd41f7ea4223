"""Labeled examples: JSONL loading and validation, content hash, seeded stratified splits."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.errors import ModelError
from monitor.models import LABELS, Label

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    rating: int | None = None
    source: str | None = None
    domain: str | None = None


def default_data_files() -> list[Path]:
    """The labeled data shipped with the project (monitor/classify/data/*.jsonl)."""
    return sorted(DATA_DIR.glob("*.jsonl"))


def _rating(value: object) -> int | None:
    """Stars 1..5 from an int, float or numeric string; anything else is no rating."""
    if isinstance(value, bool):
        return None
    try:
        stars = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return round(stars) if 1 <= stars <= 5 else None


def load_jsonl(path: Path) -> list[Example]:
    """Lines {"text", "label", optional "rating", "source", "domain"}; blank lines skipped.
    A line without text or a known label raises ModelError naming file:line; a rating that is
    not 1..5 stars is ignored with a warning (evaluation files come from many places)."""
    examples: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e.strerror}") from e
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, label = row["text"], Label(str(row["label"]).strip().lower())
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(
                f"{path}:{no}: expected {{\"text\": ..., \"label\": one of "
                f"{', '.join(LABELS)}}} ({e})"
            ) from e
        if not isinstance(text, str):
            raise ModelError(f"{path}:{no}: \"text\" must be a string")
        rating = _rating(row.get("rating"))
        if rating is None and row.get("rating") not in (None, ""):
            logger.warning("%s:%d: rating %r is not 1..5 stars; ignored", path, no, row["rating"])
        examples.append(
            Example(
                text=text,
                label=label,
                rating=rating,
                source=row.get("source"),
                domain=row.get("domain"),
            )
        )
    return examples


def load_files(paths: Iterable[Path]) -> list[Example]:
    out: list[Example] = []
    for p in paths:
        out.extend(load_jsonl(Path(p)))
    return out


def data_hash(examples: Sequence[Example]) -> str:
    """sha256 of the examples' content, in order (what a trained artifact was trained on)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.text, ex.label.value, ex.rating], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def stratified_split(
    labels: Sequence[Label], *, fractions: Sequence[float], seed: int
) -> list[np.ndarray]:
    """Indices split into len(fractions) parts, each label spread in proportion; seeded."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in fractions]
    bounds = np.cumsum(fractions) / float(sum(fractions))
    arr = np.array([lab.value for lab in labels])
    for label in LABELS:
        idx = np.flatnonzero(arr == label.value)
        idx = idx[rng.permutation(len(idx))]
        cuts = np.round(bounds * len(idx)).astype(int)
        start = 0
        for i, cut in enumerate(cuts):
            parts[i].extend(idx[start:cut].tolist())
            start = cut
    return [np.array(sorted(p), dtype=int) for p in parts]
