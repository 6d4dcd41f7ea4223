"""Loading labeled JSONL, hashing it, and splitting it reproducibly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from monitor.classify.dataset import (
    Example,
    data_hash,
    default_data_files,
    load_jsonl,
    stratified_split,
)
from monitor.errors import ModelError
from monitor.models import LABELS, Label


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    return path


def test_load_jsonl__reads_text_label_and_optional_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", [
        {"text": "meh", "label": "Complaint", "rating": 2, "source": "appstore"},
        {"text": "hi?", "label": "question"},
    ])
    got = load_jsonl(path)
    assert got == [Example("meh", Label.COMPLAINT, 2, "appstore"), Example("hi?", Label.QUESTION)]


@pytest.mark.parametrize("row", [
    {"text": "x", "label": "angry"},
    {"label": "praise"},
    {"text": 3, "label": "praise"},
    "not json",
])
def test_load_jsonl__bad_line_names_file_and_line(tmp_path: Path, row: object) -> None:
    path = _write(tmp_path / "b.jsonl", [{"text": "ok", "label": "other"}, row])
    with pytest.raises(ModelError, match=r"b\.jsonl:2:"):
        load_jsonl(path)


def test_load_jsonl__ratings_are_lenient_and_bom_is_skipped(tmp_path: Path) -> None:
    rows = [{"text": t, "label": "praise", "rating": r}
            for t, r in [("a", "4"), ("b", 5.0), ("c", 9), ("d", None), ("e", "n/a"), ("f", True)]]
    path = tmp_path / "r.jsonl"
    path.write_text("\ufeff" + "\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [ex.rating for ex in load_jsonl(path)] == [4, 5, None, None, None, None]


def test_load_jsonl__missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        load_jsonl(tmp_path / "nope.jsonl")


def test_data_hash__changes_with_content_only() -> None:
    a = [Example("x", Label.PRAISE, 5)]
    assert data_hash(a) == data_hash([Example("x", Label.PRAISE, 5, source="other")])
    assert data_hash(a) != data_hash([Example("x", Label.PRAISE, 4)])


def test_stratified_split__proportional_disjoint_and_seeded() -> None:
    labels = [LABELS[i % 4] for i in range(400)]
    a = stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed=3)
    b = stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed=3)
    c = stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed=4)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert any((x != y).any() for x, y in zip(a, c, strict=True))
    assert [len(p) for p in a] == [320, 40, 40]
    assert sorted(i for p in a for i in p) == list(range(400))
    assert Counter(labels[i] for i in a[2]) == {label: 10 for label in LABELS}


def test_default_data_files__shipped_data_loads() -> None:
    files = default_data_files()
    assert files
    for path in files:
        examples = load_jsonl(path)
        assert {ex.label for ex in examples} == set(LABELS)
