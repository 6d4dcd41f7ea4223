"""Suggested replies: sandboxed templates per brand/label/topic, grounded in a knowledge base."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from monitor.replies.base import ReplySuggester

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.replies.retrieval import Embedder

__all__ = ["ReplySuggester", "build_suggester"]


def build_suggester(
    settings: Settings,
    *,
    templates: Callable[[str], Mapping[str, str]],
    brand_name: Callable[[str], str] | None = None,
    embedder: Embedder | None = None,
    threshold: float | None = None,
) -> ReplySuggester:
    """The reply suggester the pipeline uses: `templates(brand)` gives the brand's raw reply
    templates (from the rules files), `brand_name(brand)` its display name. Knowledge comes from
    `settings.kb_dir`, its embeddings are cached under `settings.data_dir/kb-cache`; the encoder
    (the classifier's packaged MiniLM unless `embedder` is given) loads on first use."""
    from monitor.replies.retrieval import (
        DEFAULT_THRESHOLD,
        EmbeddingCache,
        MiniLMEmbedder,
        Retriever,
    )
    from monitor.replies.suggester import KnowledgeSuggester

    retriever = Retriever(
        embedder or MiniLMEmbedder(),
        cache=EmbeddingCache(settings.data_dir / "kb-cache"),
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
    )
    return KnowledgeSuggester(templates=templates, knowledge_dir=settings.kb_dir,
                              retriever=retriever, brand_name=brand_name,
                              reload_seconds=settings.rules_reload_seconds)
