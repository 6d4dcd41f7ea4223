"""The reply-suggester contract the pipeline relies on."""

from __future__ import annotations

from typing import Protocol

from monitor.models import Classification, Mention, RuleMatch, SuggestedReply


class ReplySuggester(Protocol):
    def suggest(
        self, mention: Mention, match: RuleMatch, classification: Classification
    ) -> SuggestedReply | None:
        """A reply an agent can send after at most one edit, within the platform's limits;
        None for labels that get no reply (other)."""
        ...
