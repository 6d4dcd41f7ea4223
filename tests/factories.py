"""Builders for the records tests need; every field has a sensible default."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.classify.base import ClassifierInput
from monitor.models import (
    Author,
    Classification,
    Label,
    Mention,
    Priority,
    RuleMatch,
    SuggestedReply,
    TriageItem,
)

_ids = itertools.count(1000)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def mention(text: str = "my parcelly parcel never arrived", **kw: Any) -> Mention:
    n = next(_ids)
    author = kw.pop("author", None) or Author(handle=kw.pop("handle", f"user{n}"),
                                              name=kw.pop("name", None),
                                              followers=kw.pop("followers", 120))
    defaults: dict[str, Any] = {
        "source": "x",
        "external_id": str(n),
        "text": text,
        "created_at": NOW - timedelta(minutes=n % 50),
        "author": author,
        "url": f"https://x.com/{author.handle}/status/{n}",
    }
    defaults.update(kw)
    return Mention(**defaults)


def item(m: Mention | None = None, *, label: Label = Label.COMPLAINT, brand: str = "parcelly",
         channel: str | None = "#social-care", reply: str | None = "Sorry! DM us.",
         priority: Priority = Priority.NORMAL) -> TriageItem:
    m = m or mention()
    return TriageItem(
        mention=m,
        match=RuleMatch(brand=brand, rule=f"{brand}.query", terms=("parcelly",),
                        priority=priority),
        classification=Classification(label=label, confidence=0.9, reasons=("test",),
                                      scores={label.value: 0.9}),
        reply=SuggestedReply(text=reply) if reply else None,
        channel=channel if label is not Label.OTHER else None,
    )


class KeywordClassifier:
    """Deterministic stand-in for the model in pipeline unit tests (the model has its own)."""

    name = "keywords"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        self.batches.append(len(inputs))
        out = []
        for i in inputs:
            t = i.text.lower()
            if "explode" in t:
                raise RuntimeError("the model failed")
            label = (Label.COMPLAINT if "broke" in t else Label.QUESTION if "?" in t
                     else Label.PRAISE if "love" in t else Label.OTHER)
            out.append(Classification(label=label, confidence=0.8, reasons=("kw",)))
        return out
