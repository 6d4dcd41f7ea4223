"""The pipeline's reply suggester: brand templates grounded in the brand's knowledge base."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from monitor.models import Classification, Label, Mention, RuleMatch, SuggestedReply
from monitor.replies import knowledge as kb_files
from monitor.replies.knowledge import KnowledgeBase
from monitor.replies.retrieval import Hit, Retriever
from monitor.replies.templates import brand_title, compose

logger = logging.getLogger(__name__)

RETRIEVED_LABELS = (Label.QUESTION, Label.COMPLAINT)


class KnowledgeSuggester:
    """For questions (and complaints matching a known issue) the best knowledge-base entry above
    the retriever's threshold grounds the reply; otherwise the label's template asks for the
    missing detail (question), apologises with a next step (complaint) or thanks (praise).

    The knowledge folder is re-read when a file in it changes (checked at most every
    `reload_seconds`); a broken entry is logged and left out, the others keep working."""

    def __init__(self, *, templates: Callable[[str], Mapping[str, str]], knowledge_dir: Path,
                 retriever: Retriever, brand_name: Callable[[str], str] | None = None,
                 reload_seconds: float = 5.0) -> None:
        self.templates = templates
        self.knowledge_dir = knowledge_dir
        self.retriever = retriever
        self.brand_name = brand_name or brand_title
        self.reload_seconds = reload_seconds
        self._kbs: dict[str, KnowledgeBase] = {}
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def knowledge(self, brand: str) -> KnowledgeBase:
        """The brand's knowledge base as currently on disk."""
        with self._lock:
            now = time.monotonic()
            if self._signature is None or now - self._checked >= self.reload_seconds:
                self._checked = now
                sig = kb_files.signature(self.knowledge_dir)
                if sig != self._signature:
                    self._load(sig)
            return self._kbs.get(brand) or KnowledgeBase(brand)

    def _load(self, sig: tuple[tuple[str, int, int], ...]) -> None:
        kbs = kb_files.load_knowledge(self.knowledge_dir)
        for kb in kbs.values():
            for err in kb.errors:
                logger.error("knowledge base: %s (entry left out)", err)
        self._kbs, self._signature = kbs, sig
        logger.info("knowledge base loaded from %s: %s", self.knowledge_dir,
                    ", ".join(f"{b} {len(kb)}" for b, kb in kbs.items()) or "no brands")

    def _names(self, brand: str) -> tuple[str, ...]:
        name = self.brand_name(brand)
        return (name,) if name and name.lower() != brand.lower() else ()

    def lookup(self, mention: Mention, brand: str, label: Label, *,
               vector: np.ndarray | None = None) -> Hit | None:
        """The entry to ground the reply in, or None (nothing close enough, or no entries).
        `vector` is the mention's embedding from the classifier's pass, when it gave one."""
        if label not in RETRIEVED_LABELS:
            return None
        kb = self.knowledge(brand)
        if not kb.entries:
            return None
        kb = replace(kb, names=self._names(brand))
        try:
            return self.retriever.best(kb, mention.full_text, label=label.value, vector=vector)
        except Exception:  # the encoder is optional for a reply: post the mention without it
            logger.exception("knowledge retrieval failed for %s/%s", mention.source,
                             mention.external_id)
            return None

    def suggest(self, mention: Mention, match: RuleMatch, classification: Classification
                ) -> SuggestedReply | None:
        label = classification.label
        if label is Label.OTHER:
            return None
        hit = self.lookup(mention, match.brand, label, vector=classification.embedding)
        if hit is not None:
            logger.debug("reply for %s/%s grounded in %s (%.3f)", mention.source,
                         mention.external_id, hit.entry.id, hit.score)
        return compose(mention, match, classification, templates=self.templates(match.brand),
                       brand_name=self.brand_name(match.brand),
                       entry=hit.entry if hit else None, score=hit.score if hit else None)
