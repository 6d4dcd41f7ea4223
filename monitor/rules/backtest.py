"""`rules backtest`: replay stored mentions through a rule set and report what would change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from monitor.errors import DropMention
from monitor.models import Label, Mention, Priority, RuleMatch
from monitor.rules.base import Matcher

if TYPE_CHECKING:
    from monitor.config import SlackSettings

ChangeKind = Literal["newly_match", "stop_matching", "change_brand", "change_rule",
                     "change_priority", "change_label", "change_channel"]
KINDS: tuple[ChangeKind, ...] = ("newly_match", "stop_matching", "change_brand", "change_rule",
                                 "change_priority", "change_label", "change_channel")
Route = Callable[[RuleMatch, Label, "str | None"], "str | None"]  # match, label, language


class StoredLike(Protocol):
    """What the backtest needs of a stored mention (monitor.store.StoredMention fits). It also
    compares, when the item has them: `priority` (int), `label` (what the pipeline stored),
    `scores` (the classifier's, to tell its label from a rule's override) and `channel`."""

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
    before: str | None = None  # the changed value (priority, label, channel), as stored
    after: str | None = None  # … and as the rules would decide it now


@dataclass
class BacktestReport:
    total: int = 0
    unchanged: int = 0
    changed: int = 0  # mentions with at least one change (one may change in several ways)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Change]] = field(default_factory=dict)


def router(slack: SlackSettings) -> Route:
    """The channel a label is posted to, as monitor.pipeline.Pipeline.route decides it (the
    language's channel, the brand's routing, then the config's, then the default; `other` is
    never posted). A test holds the two to the same answers."""

    def route(match: RuleMatch, label: Label, lang: str | None = None) -> str | None:
        if label is Label.OTHER:
            return None
        return (slack.channels_by_language.get(lang or "")
                or match.channels.get(label.value) or slack.channels.get(label.value)
                or slack.default_channel)

    return route


def _kind(old_brand: str | None, old_rule: str | None, new_brand: str | None,
          new_rule: str | None) -> ChangeKind | None:
    if old_brand == new_brand:
        return None if old_brand is None or old_rule == new_rule else "change_rule"
    if old_brand is None:
        return "newly_match"
    if new_brand is None:
        return "stop_matching"
    return "change_brand"


def _classifier_label(item: Any) -> Label | None:
    """The classifier's own label (the top of its stored scores), before any rule override."""
    scores: Mapping[str, float] = getattr(item, "scores", None) or {}
    if not scores:
        return None
    try:
        return Label(max(scores, key=lambda k: scores[k]))
    except ValueError:
        return None


def _decisions(item: Any, got: RuleMatch, route: Route | None
               ) -> list[tuple[ChangeKind, str | None, str | None]]:
    """(kind, before, after) for each decision the new match changes for a mention that
    matched the same brand before and after."""
    out: list[tuple[ChangeKind, str | None, str | None]] = []
    old_priority = getattr(item, "priority", None)
    if old_priority is not None and int(old_priority) != int(got.priority):
        out.append(("change_priority", Priority(int(old_priority)).name.lower(),
                    got.priority.name.lower()))
    old_label = getattr(item, "label", None)
    base = _classifier_label(item)
    if old_label is None or base is None:
        return out
    label = got.label_override or base
    if label.value != old_label:
        out.append(("change_label", old_label, label.value))
    if route is not None and hasattr(item, "channel"):
        channel = route(got, label, item.mention.lang)
        if channel != item.channel:
            out.append(("change_channel", item.channel, channel))
    return out


def backtest(stored: Iterable[StoredLike], rules: Matcher, *, examples: int = 5,
             route: Route | None = None, advance: Callable[[int], None] | None = None
             ) -> BacktestReport:
    """Run every stored mention through `rules` and compare with what was stored: the brand
    and rule, and (for items that carry them) the priority, the label a rule forces and the
    channel `route` picks. `advance(1)` is called per mention (progress)."""
    report = BacktestReport()
    for item in stored:
        report.total += 1
        if advance is not None:
            advance(1)
        reason = None
        got: RuleMatch | None = None
        try:
            got = rules.match(item.mention)
            new_brand, new_rule = got.brand, got.rule
        except DropMention as e:
            new_brand, new_rule, reason = None, None, e.reason
        kind = _kind(item.brand, item.rule, new_brand, new_rule)
        changes: list[tuple[ChangeKind, str | None, str | None]] = []
        if kind is not None:
            changes.append((kind, item.brand, new_brand))
        if got is not None and item.brand == new_brand:
            changes += _decisions(item, got, route)
        if not changes:
            report.unchanged += 1
            continue
        report.changed += 1
        for kind, before, after in changes:
            report.counts[kind] += 1
            bucket = report.examples.setdefault(kind, [])
            if len(bucket) < examples:
                bucket.append(Change(kind, item.mention, item.brand, item.rule, new_brand,
                                     new_rule, reason, before, after))
    return report
