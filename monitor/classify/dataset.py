"""Labeled examples: JSONL loading and validation, content hash, seeded stratified splits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.errors import ModelError
from monitor.models import LABELS, Label

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


def load_jsonl(path: Path) -> list[Example]:
    """Lines {"text", "label", optional "rating", "source", "domain"}; blank lines skipped.
    A bad line raises ModelError naming file:line."""
    examples: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
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
        rating = row.get("rating")
        if rating is not None and not (isinstance(rating, (int, float)) and 1 <= rating <= 5):
            raise ModelError(f"{path}:{no}: \"rating\" must be 1..5 or absent")
        examples.append(
            Example(
                text=text,
                label=label,
                rating=int(rating) if rating is not None else None,
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
