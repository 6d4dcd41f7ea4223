"""The shipped labeled files: shape, labels, and no overlap between the dev set and training."""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from monitor.classify.dataset import DATA_DIR, default_data_files, load_jsonl
from monitor.classify.text import normalize
from monitor.models import LABELS

DEV_DIR = DATA_DIR.parent / "dev"
DEV_FILES = sorted(DEV_DIR.glob("*.jsonl"))
TRAIN_KEYS = {"text", "label", "rating", "source", "domain"}
DEV_KEYS = {"text", "label", "rating", "source", "style"}
STYLES = {"support_tweet", "chatter_tweet", "app_review", "product_review", "reddit",
          "review_site", "non_english"}
NEAR = 0.8  # token-set Jaccard at or above which two texts count as the same line reworded
_WORD = re.compile(r"[a-z0-9]+")


def _key(text: str) -> str:
    """The text as the model sees it, lower-cased, with handles, links and punctuation gone."""
    seen = normalize(text).lower().replace("@user", " ").replace("http", " ")
    return " ".join(_WORD.findall(seen))


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _train_rows() -> list[dict[str, object]]:
    return [row for path in default_data_files() for row in _rows(path)]


@pytest.mark.parametrize("path", default_data_files() + DEV_FILES, ids=lambda p: p.name)
def test_data_file__every_line_has_text_label_and_a_star_rating_or_none(path: Path) -> None:
    allowed = DEV_KEYS if path.parent == DEV_DIR else TRAIN_KEYS
    for no, row in enumerate(_rows(path), 1):
        where = f"{path.name}:{no}"
        assert isinstance(row, dict), where
        assert set(row) <= allowed, f"{where}: unexpected keys {set(row) - allowed}"
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert row["label"] in {label.value for label in LABELS}, where
        rating = row.get("rating")
        assert rating is None or (type(rating) is int and 1 <= rating <= 5), where
    assert len(load_jsonl(path)) == len(_rows(path))


def test_dev_set__is_not_training_data() -> None:
    assert DEV_FILES, "monitor/classify/dev/ holds the real-style dev set"
    assert all(DEV_DIR not in path.parents for path in default_data_files())


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda p: p.name)
def test_dev_set__balanced_and_every_line_has_a_style(path: Path) -> None:
    rows = _rows(path)
    assert all(row.get("style") in STYLES for row in rows)
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == {label.value for label in LABELS}
    assert max(counts.values()) <= 1.2 * min(counts.values()), counts


def test_dev_set__no_line_twice() -> None:
    keys = Counter(_key(str(row["text"])) for path in DEV_FILES for row in _rows(path))
    assert [k for k, n in keys.items() if n > 1] == []


def test_dev_set__shares_no_line_with_training_data() -> None:
    """Exact or normalised (case, punctuation, handles, links, emoji spelling) duplicates, and
    rewordings: token sets of five or more words with Jaccard >= NEAR."""
    train = [_key(str(row["text"])) for row in _train_rows()]
    exact = set(train)
    tokens = [set(k.split()) for k in train]
    postings: dict[str, set[int]] = defaultdict(set)
    for i, toks in enumerate(tokens):
        for tok in toks:
            postings[tok].add(i)
    clashes: list[str] = []
    for path in DEV_FILES:
        for row in _rows(path):
            key = _key(str(row["text"]))
            if key in exact:
                clashes.append(f"same: {row['text']!r}")
                continue
            toks = set(key.split())
            if len(toks) < 5:
                continue
            # prefix filter: a set with Jaccard >= NEAR shares one of the rarest tokens
            rare = sorted(toks, key=lambda t: (len(postings.get(t, ())), t))
            need = len(toks) - math.ceil(NEAR * len(toks)) + 1
            candidates = set().union(*(postings.get(t, set()) for t in rare[:need]))
            for i in candidates:
                if len(toks & tokens[i]) / len(toks | tokens[i]) >= NEAR:
                    clashes.append(f"near: {row['text']!r} ~ {train[i]!r}")
                    break
    assert clashes == []


def test_training_data__no_text_with_two_labels() -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for row in _train_rows():
        key = _key(str(row["text"]))
        if key:
            labels[key].add(str(row["label"]))
    assert {k: v for k, v in labels.items() if len(v) > 1} == {}
