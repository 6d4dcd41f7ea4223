"""The contract the pipeline and connectors rely on from a loaded rules set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.models import Mention, RuleMatch, SourceQuery


class Matcher(Protocol):
    """A loaded, validated rules set (all brands of all files in the rules directory)."""

    def match(self, mention: Mention) -> RuleMatch:
        """The brand and rule this mention counts for, with matched terms, spans, priority and
        routing. Raises DropMention("no rule") when no brand query matches and
        DropMention("excluded: <why>") when an exclusion applies. A mention whose `brand` is
        already set (review sources) matches that brand by definition, exclusions still apply."""
        ...

    def source_queries(self, source: str) -> Sequence[SourceQuery]:
        """What to ask `source` for: compiled search queries for keyword sources (x, reddit),
        review targets (app ids, business units, feed URLs) for review sources."""
        ...

    def reply_templates(self, brand: str) -> dict[str, str]:
        """Raw reply templates of a brand, keyed "<label>" or "<label>.<topic>"; the replies part
        renders them."""
        ...
