"""`rules backtest`: replay stored mentions through a rule set and report what would change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from monitor.errors import DropMention
from monitor.models import Mention
from monitor.rules.base import Matcher

ChangeKind = Literal["newly_match", "stop_matching", "change_brand", "change_rule"]
KINDS: tuple[ChangeKind, ...] = ("newly_match", "stop_matching", "change_brand", "change_rule")


class StoredLike(Protocol):
    """What the backtest needs of a stored mention (monitor.store.StoredMention fits)."""

    @property
    def mention(self) -> Mention: ...
    @property
    def brand(self) -> str | None: ...
    @property
    def rule(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    mention: Mention
    old_brand: str | None
    old_rule: str | None
    new_brand: str | None
    new_rule: str | None
    reason: str | None = None  # why it stops matching (DropMention reason)


@dataclass
class BacktestReport:
    total: int = 0
    unchanged: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.counts.values())


def _kind(old_brand: str | None, old_rule: str | None, new_brand: str | None,
          new_rule: str | None) -> ChangeKind | None:
    if old_brand == new_brand:
        return None if old_brand is None or old_rule == new_rule else "change_rule"
    if old_brand is None:
        return "newly_match"
    if new_brand is None:
        return "stop_matching"
    return "change_brand"


def backtest(stored: Iterable[StoredLike], rules: Matcher, *, examples: int = 5) -> BacktestReport:
    """Run every stored mention through `rules` and compare with what was stored."""
    report = BacktestReport()
    for item in stored:
        report.total += 1
        reason = None
        try:
            got = rules.match(item.mention)
            new_brand, new_rule = got.brand, got.rule
        except DropMention as e:
            new_brand, new_rule, reason = None, None, e.reason
        kind = _kind(item.brand, item.rule, new_brand, new_rule)
        if kind is None:
            report.unchanged += 1
            continue
        report.counts[kind] += 1
        bucket = report.examples.setdefault(kind, [])
        if len(bucket) < examples:
            bucket.append(Change(kind, item.mention, item.brand, item.rule, new_brand, new_rule,
                                 reason))
    return report
