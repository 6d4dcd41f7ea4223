"""Pipes and filters: dedupe -> match -> classify -> suggest -> persist, one batch at a time."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from monitor.classify.base import Classifier, ClassifierInput
from monitor.errors import DropMention
from monitor.language.stage import LanguageStage
from monitor.models import Batch, Classification, Label, Mention, RuleMatch, TriageItem
from monitor.replies.base import ReplySuggester
from monitor.rules.base import Matcher

if TYPE_CHECKING:
    from monitor.config import SlackSettings
    from monitor.store import Store

logger = logging.getLogger(__name__)


@dataclass
class PollStats:
    """What one poll of one source did; logged as one summary line."""

    source: str
    fetched: int = 0
    new: int = 0
    matched: int = 0
    stored: int = 0
    queued: int = 0  # items routed to Slack (outbox rows created)
    dropped: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def summary(self) -> str:
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items())) or "none"
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items())) or "none"
        return (
            f"{self.source}: fetched {self.fetched}, new {self.new}, matched {self.matched}, "
            f"queued for Slack {self.queued}, labels [{labels}], dropped [{dropped}], "
            f"errors {self.errors}"
        )


def brand_names(match: RuleMatch) -> tuple[str, ...]:
    """The brand's id and the matched terms that name it ("Lumo Bank", "lumobank", not
    "card*" from `Lumo NEAR/4 card*`): what the retrieval embedding leaves out."""
    brand = match.brand.lower()
    terms = (t.strip('"*').strip() for t in match.terms)
    return (match.brand, *dict.fromkeys(t for t in terms if brand in t.lower() and t))


class Pipeline:
    """Turns a connector's Batch into stored mentions, cases and outbox rows.

    `rules` is a callable returning the current rules set, so a hot reload between polls is
    picked up without rebuilding the pipeline. `follow_ups(source, mentions)` names the
    fetched mentions that are customers' answers to our replies ({external id: case id}):
    they belong to that case (monitor.followup records them) and are dropped here.
    `languages` tags each new mention's language before matching and keeps unread languages
    from confident labels (default: the bundled detector and an English-only classifier).
    """

    def __init__(
        self,
        *,
        store: Store,
        rules: Callable[[], Matcher],
        classifier: Classifier,
        suggester: ReplySuggester | None,
        slack: SlackSettings,
        follow_ups: Callable[[str, Sequence[Mention]], Mapping[str, int]] | None = None,
        languages: LanguageStage | None = None,
    ) -> None:
        self.store = store
        self.follow_ups = follow_ups
        self.rules = rules
        self.classifier = classifier
        self.suggester = suggester
        self.slack = slack
        self.languages = languages or LanguageStage()

    def process(self, source: str, batch: Batch) -> PollStats:
        """Run the batch through every stage and persist it with `batch.next_cursor`.
        A mention the store refuses is counted as an error and left out; raises only if the
        database itself fails, in which case the cursor does not move either."""
        stats = PollStats(source=source, fetched=len(batch.mentions) + sum(batch.dropped.values()),
                          requests=batch.requests)
        stats.dropped.update({f"malformed: {k}": v for k, v in batch.dropped.items()})
        fresh = self.languages.tag(self._dedupe(source, batch.mentions, stats))
        stats.new = len(fresh)
        matched = self._match(fresh, stats)
        stats.matched = len(matched)
        items = self._classify_and_suggest(matched, stats)
        refused: list[TriageItem] = []
        self.store.save_batch(source, items, batch.next_cursor, fetched=stats.fetched,
                              on_error=lambda item, _error: refused.append(item))
        stats.errors += len(refused)  # the store logged each with its reason
        items = [i for i in items if not any(i is r for r in refused)]
        stats.stored = len(items)
        stats.queued = sum(1 for i in items if i.channel)
        stats.labels.update(i.label.value for i in items)
        return stats

    def _dedupe(self, source: str, mentions: Sequence[Mention], stats: PollStats) -> list[Mention]:
        by_key: dict[tuple[str, str], Mention] = {}
        for m in mentions:
            key = (m.source, m.external_id)
            if key in by_key:
                stats.dropped["seen"] += 1
                continue
            by_key[key] = m
        fresh: list[Mention] = []
        for src in {m.source for m in by_key.values()}:
            ids = [k[1] for k in by_key if k[0] == src]
            seen = self.store.seen_ids(src, ids)
            unseen = [by_key[(src, i)] for i in ids if i not in seen]
            answers = self.follow_ups(src, unseen) if self.follow_ups and unseen else {}
            for ext_id in ids:
                if ext_id in seen:
                    stats.dropped["seen"] += 1
                    logger.debug("drop %s/%s: seen", src, ext_id)
                elif ext_id in answers:
                    stats.dropped["follow-up"] += 1
                    logger.debug("drop %s/%s: follow-up of case %s", src, ext_id,
                                 answers[ext_id])
                else:
                    fresh.append(by_key[(src, ext_id)])
        fresh.sort(key=lambda m: m.created_at)
        return fresh

    def _match(self, mentions: Sequence[Mention], stats: PollStats
               ) -> list[tuple[Mention, RuleMatch]]:
        rules = self.rules()
        out = []
        for m in mentions:
            try:
                out.append((m, rules.match(m)))
            except DropMention as drop:
                stats.dropped[drop.reason] += 1
                logger.debug("drop %s/%s: %s", m.source, m.external_id, drop.reason)
            except Exception:  # one mention's bug must not cost the batch
                stats.errors += 1
                logger.exception("matching failed for %s/%s", m.source, m.external_id)
        return out

    def _classify_and_suggest(
        self, matched: Sequence[tuple[Mention, RuleMatch]], stats: PollStats
    ) -> list[TriageItem]:
        if not matched:
            return []
        # one classifier call, one encoder pass, for the whole poll: only what matched a rule
        inputs = [ClassifierInput(text=m.full_text, rating=m.rating, source=m.source,
                                  names=brand_names(match))
                  for m, match in matched]
        classifications = self.classifier.classify(inputs)
        items: list[TriageItem] = []
        for (mention, match), cls in zip(matched, classifications, strict=True):
            try:
                items.append(self._item(mention, match, cls))
            except Exception:  # one mention's bug must not cost the batch
                stats.errors += 1
                logger.exception("building the triage item failed for %s/%s",
                                 mention.source, mention.external_id)
        return items

    def _item(self, mention: Mention, match: RuleMatch, cls: Classification) -> TriageItem:
        cls = self.languages.guard(mention, cls)
        if match.label_override is not None and match.label_override != cls.label:
            cls = replace(
                cls,
                label=match.label_override,
                confidence=1.0,
                uncertain=False,
                reasons=(f"a rule of {match.brand} sets the label to "
                         f"{match.label_override.value}", *cls.reasons),
            )
        reply = self.suggester.suggest(mention, match, cls) if self.suggester else None
        return TriageItem(mention=mention, match=match, classification=cls, reply=reply,
                          channel=self.route(match, cls.label, lang=mention.lang))

    def route(self, match: RuleMatch, label: Label, *, lang: str | None = None) -> str | None:
        """The Slack channel for this label: the channel of the mention's language (the team
        that reads it), else the brand's routing, else the config's, else the default
        channel; `other` is stored, never posted."""
        if label is Label.OTHER:
            return None
        return (self.slack.channels_by_language.get(lang or "")
                or match.channels.get(label.value) or self.slack.channels.get(label.value)
                or self.slack.default_channel)
