"""Retrieval quality on the labeled question set: top-1 accuracy, false-claim rate, threshold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from monitor.classify.base import Classifier, ClassifierInput
from monitor.replies.knowledge import KnowledgeBase
from monitor.replies.retrieval import Hit, Retriever


@dataclass(frozen=True, slots=True)
class EvalItem:
    brand: str
    label: str
    text: str
    expect: str | None  # entry id, or None when no entry answers it


@dataclass(frozen=True, slots=True)
class Scored:
    item: EvalItem
    top: Hit | None  # best entry applying to the item's label, whatever its score


@dataclass(frozen=True, slots=True)
class Metrics:
    threshold: float
    answerable: int
    unanswerable: int
    top1: float  # answerable items whose best entry is the right one (threshold ignored)
    claimed_correct: float  # answerable items claimed with the right entry at the threshold
    wrong_claims: float  # answerable items claimed with a wrong entry at the threshold
    false_claims: float  # unanswerable items that got an entry claimed at the threshold


def eval_file() -> Path:
    return Path(str(resources.files("monitor.replies") / "eval_questions.yaml"))


def load_items(path: Path | None = None) -> list[EvalItem]:
    data = yaml.safe_load((path or eval_file()).read_text(encoding="utf-8"))
    return [EvalItem(brand=str(i["brand"]), label=str(i.get("label", "question")),
                     text=str(i["text"]), expect=i.get("expect")) for i in data["items"]]


def score(items: Sequence[EvalItem], kbs: Mapping[str, KnowledgeBase], retriever: Retriever,
          *, classifier: Classifier | None = None) -> list[Scored]:
    """Each item with its best entry for its label (one batch per brand). With a `classifier`
    the mentions' vectors come from its pass (Classification.embedding), as in the pipeline;
    without one the retriever's encoder embeds them."""
    tops: dict[int, Hit | None] = {}
    for brand in dict.fromkeys(i.brand for i in items):
        idx = [n for n, i in enumerate(items) if i.brand == brand]
        kb = kbs.get(brand) or KnowledgeBase(brand)
        texts = [items[n].text for n in idx]
        vectors = None
        if classifier is not None:
            vectors = [c.embedding for c in classifier.classify(
                [ClassifierInput(text=t, names=(brand, *kb.names)) for t in texts])]
        ranked = retriever.rank_many(kb, texts, vectors=vectors)
        for n, hits in zip(idx, ranked, strict=True):
            fit = [h for h in hits if items[n].label in h.entry.applies_to]
            tops[n] = fit[0] if fit else None
    return [Scored(item, tops[n]) for n, item in enumerate(items)]


def metrics(scored: Sequence[Scored], threshold: float) -> Metrics:
    ans = [s for s in scored if s.item.expect]
    unans = [s for s in scored if not s.item.expect]

    def claimed(s: Scored) -> bool:
        return s.top is not None and s.top.score >= threshold

    def right(s: Scored) -> bool:
        return s.top is not None and s.top.entry.id == s.item.expect

    def share(n: int, d: int) -> float:
        return n / d if d else 0.0

    return Metrics(
        threshold=threshold, answerable=len(ans), unanswerable=len(unans),
        top1=share(sum(right(s) for s in ans), len(ans)),
        claimed_correct=share(sum(right(s) and claimed(s) for s in ans), len(ans)),
        wrong_claims=share(sum(claimed(s) and not right(s) for s in ans), len(ans)),
        false_claims=share(sum(claimed(s) for s in unans), len(unans)),
    )


def calibrate(scored: Sequence[Scored], *, max_false_claims: float = 0.15,
              grid: Sequence[float] | None = None) -> Metrics:
    """The lowest threshold whose false-claim rate (unanswerable claimed) plus wrong-claim rate
    stays within `max_false_claims`; lower thresholds answer more questions."""
    grid = grid or [round(0.30 + 0.025 * i, 3) for i in range(23)]
    for t in grid:
        m = metrics(scored, t)
        if m.false_claims <= max_false_claims and m.wrong_claims <= max_false_claims:
            return m
    return metrics(scored, grid[-1])
