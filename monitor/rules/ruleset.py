"""RuleSet: every brand of a rules directory, implementing the pipeline's Matcher protocol."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import DropMention
from monitor.models import Label, Mention, Priority, RuleMatch, SourceQuery, Span
from monitor.rules import messages as msg
from monitor.rules.brand import Brand, Query
from monitor.rules.compile_local import (
    Context,
    Prefilter,
    anchors,
    evaluate,
    matched_spans,
    precompile,
)
from monitor.rules.compile_source import source_queries
from monitor.rules.query import Node as QNode
from monitor.rules.query import Or
from monitor.rules.tokenize import Anchor

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Exclusion:
    brand: str
    category: str  # what DropMention("excluded: <category>") says: retweet, own account …
    detail: str  # for people: which term / author / rule


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `rules match` shows: the match, or why there is none."""

    match: RuleMatch | None
    reason: str | None = None  # DropMention reason when match is None
    excluded: tuple[Exclusion, ...] = ()
    override: str | None = None  # name of the override rule that set label_override
    candidates: tuple[str, ...] = field(default=())  # brands the prefilter let through


class RuleSet:
    """A loaded, validated set of brands (see monitor.rules.loader.load_rules).

    `match` checks brands in load order (files sorted by name, brands in file order) and
    returns the first brand whose query matches and which no exclusion rejects."""

    def __init__(self, brands: Sequence[Brand], *, files: Sequence[Path] = ()) -> None:
        self.brands = tuple(brands)
        self.files = tuple(files)
        self._by_id = {b.id: b for b in self.brands}
        sets: list[frozenset[Anchor] | None] = []
        for brand in self.brands:
            per_query = [anchors(q.node) for q in brand.queries]
            if any(a is None for a in per_query) or not per_query:
                sets.append(None)
                logger.debug("brand %s has no required term; checked on every mention", brand.id)
            else:
                sets.append(frozenset().union(*[a for a in per_query if a is not None]))
        self._prefilter = Prefilter(sets)
        for brand in self.brands:
            for node in _nodes(brand):
                precompile(node)

    def __len__(self) -> int:
        return len(self.brands)

    def brand(self, brand_id: str) -> Brand:
        return self._by_id[brand_id]

    # --- Matcher protocol ------------------------------------------------------------------
    def match(self, mention: Mention) -> RuleMatch:
        found = self.explain(mention)
        if found.match is None:
            raise DropMention(found.reason or msg.NO_RULE)
        return found.match

    def source_queries(self, source: str) -> Sequence[SourceQuery]:
        return source_queries(self.brands, source)

    def reply_templates(self, brand: str) -> dict[str, str]:
        found = self._by_id.get(brand)
        return dict(found.replies) if found else {}

    # --- explanation -------------------------------------------------------------------------
    def explain(self, mention: Mention) -> Explanation:
        ctx = Context(mention)
        if mention.brand is not None:
            brand = self._by_id.get(mention.brand)
            if brand is None:
                return Explanation(None, msg.NO_RULE)
            review = Query(f"{brand.id}.review", "", Or(()))  # matched by definition
            return self._verdict(brand, review, ctx, (brand.id,), matched_terms=False)
        excluded: list[Exclusion] = []
        candidates = [self.brands[i] for i in self._prefilter.candidates(ctx.lower)]
        names = tuple(b.id for b in candidates)
        for brand in candidates:
            if not brand.watches(mention.source):
                continue
            query = next((q for q in brand.queries if evaluate(q.node, ctx)), None)
            if query is None:
                continue
            verdict = self._verdict(brand, query, ctx, names, matched_terms=True)
            if verdict.match is not None:
                return Explanation(verdict.match, None, tuple(excluded), verdict.override, names)
            excluded.extend(verdict.excluded)
        if excluded:
            reason = msg.EXCLUDED.format(why=excluded[0].category)
            return Explanation(None, reason, tuple(excluded), None, names)
        return Explanation(None, msg.NO_RULE, (), None, names)

    def _verdict(
        self, brand: Brand, query: Query, ctx: Context, names: tuple[str, ...], *,
        matched_terms: bool,
    ) -> Explanation:
        exclusion = excluded_by(brand, ctx)
        if exclusion is not None:
            reason = msg.EXCLUDED.format(why=exclusion.category)
            return Explanation(None, reason, (exclusion,), None, names)
        spans = matched_spans(query.node, ctx) if matched_terms else []
        level, reasons = priority_of(brand, ctx)
        override = next((o for o in brand.overrides if evaluate(o.node, ctx)), None)
        label: Label | None = override.label if override else None
        terms = tuple(dict.fromkeys(t.text for t, _, _ in spans))
        match = RuleMatch(
            brand=brand.id,
            rule=query.rule,
            terms=terms,
            spans=tuple(Span(t.text, s, e) for t, s, e in spans),
            priority=level,
            priority_reasons=tuple(reasons),
            label_override=label,
            channels=dict(brand.channels),
        )
        return Explanation(match, None, (), override.name if override else None, names)


def _nodes(brand: Brand) -> list[QNode]:
    """Every query tree of a brand: queries, exclusions, priority and override rules."""
    nodes: list[QNode] = [q.node for q in brand.queries]
    nodes += list(brand.exclude.terms)
    nodes += [brand.exclude.query] if brand.exclude.query is not None else []
    nodes += [r.node for r in brand.priorities] + [o.node for o in brand.overrides]
    return nodes


def excluded_by(brand: Brand, ctx: Context) -> Exclusion | None:
    """The first exclusion of `brand` that applies to this mention, if any."""
    mention, ex = ctx.mention, brand.exclude
    if ex.retweets and (mention.is_retweet or mention.text.startswith("RT @")):
        return Exclusion(brand.id, msg.WHY_RETWEET, "retweets are excluded")
    if ex.quotes and mention.is_quote:
        return Exclusion(brand.id, msg.WHY_QUOTE, "quote posts are excluded")
    handle = mention.author.handle.lower().lstrip("@")
    if ex.own_accounts and handle in brand.own_handles:
        return Exclusion(brand.id, msg.WHY_OWN, f"@{handle} is one of the brand's own accounts")
    if handle in ex.authors:
        return Exclusion(brand.id, msg.WHY_AUTHOR, f"author @{handle} is excluded")
    for term in ex.terms:
        if evaluate(term, ctx):
            return Exclusion(brand.id, msg.WHY_TERM, f"term {term.text}")
    if ex.query is not None and evaluate(ex.query, ctx):
        return Exclusion(brand.id, msg.WHY_QUERY, "the exclusion query")
    return None


def priority_of(brand: Brand, ctx: Context) -> tuple[Priority, list[str]]:
    """The highest level among the brand's priority rules that fire, with a reason for each."""
    level = brand.default_priority
    reasons: list[str] = []
    for rule in brand.priorities:
        if not evaluate(rule.node, ctx):
            continue
        if rule.reason:
            why = rule.reason
        elif rule.terms_only:
            found = dict.fromkeys(t.text for t, _, _ in matched_spans(rule.node, ctx))
            why = msg.REASON_TERMS.format(terms=", ".join(found))
        else:
            why = msg.REASON_QUERY.format(name=rule.name)
        reasons.append(msg.PRIORITY_REASON.format(level=rule.level, reason=why))
        level = max(level, rule.level)
    return level, reasons
