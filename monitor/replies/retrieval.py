"""Knowledge-base retrieval: the MiniLM encoder, cached embeddings, cosine and a threshold."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from monitor.replies.knowledge import Entry, KnowledgeBase

logger = logging.getLogger(__name__)

# Calibrated on monitor/replies/eval_questions.yaml (benchmarks/bench_replies.py prints the sweep):
# the lowest cosine at which at most 15% of unanswerable questions get an entry claimed
# (measured: 0.55-0.575 -> 79% of answerable questions claimed right, 6% wrong, 14% false claims).
DEFAULT_THRESHOLD = 0.575
_NOISE = re.compile(r"https?://\S+|(?<!\w)[@#](?=\w)")


class Embedder(Protocol):
    name: str  # identifies the vectors: part of every cache key

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, L2-normalised."""
        ...


class MiniLMEmbedder:
    """Sentence embeddings from the classifier's packaged encoder (mean pooling, unit length).

    The encoder loads on first use and is reused for every brand; loading and pooling are the
    classifier's own functions (monitor.classify.model), so both parts read the same folder."""

    def __init__(self, path: Path | None = None, *, batch_size: int = 32, max_length: int = 256
                 ) -> None:
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: tuple[Any, Any] | None = None
        self._lock = threading.Lock()
        self.name = f"minilm-mean:{path.name if path else 'builtin'}:{max_length}"

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                from monitor.classify.model import encoder_dir, load_pretrained

                self._model = load_pretrained(self.path or encoder_dir())
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        from monitor.classify.model import mean_pool

        tokenizer, model = self._load()
        out: list[np.ndarray] = []
        with torch.no_grad():
            for i in range(0, len(texts), self.batch_size):
                batch = tokenizer(list(texts[i:i + self.batch_size]), padding=True,
                                  truncation=True, max_length=self.max_length,
                                  return_tensors="pt")
                hidden = model(input_ids=batch["input_ids"],
                               attention_mask=batch["attention_mask"]).last_hidden_state
                pooled = mean_pool(hidden, batch["attention_mask"])
                out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)


class EmbeddingCache:
    """Vectors of a list of texts, in memory and on disk (`folder/<content hash>.npy`), so a
    restart or a reload of unchanged knowledge costs no encoder time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[str, np.ndarray] = {}

    @staticmethod
    def key(embedder: Embedder, texts: Sequence[str]) -> str:
        h = hashlib.sha256(embedder.name.encode())
        for t in texts:
            h.update(b"\0" + t.encode())
        return h.hexdigest()[:32]

    def vectors(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        key = self.key(embedder, texts)
        if key in self._memory:
            return self._memory[key]
        path = self.folder / f"{key}.npy" if self.folder else None
        vecs: np.ndarray | None = None
        if path is not None and path.is_file():
            try:
                vecs = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as e:
                logger.warning("ignoring unreadable embedding cache %s (%s)", path, e)
            if vecs is not None and vecs.shape[0] != len(texts):
                vecs = None
        if vecs is None:
            vecs = embedder.embed(texts)
            if path is not None:
                self._save(path, vecs)
        self._memory[key] = vecs
        return vecs

    @staticmethod
    def _save(path: Path, vecs: np.ndarray) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vecs, allow_pickle=False)
            tmp.replace(path)  # atomic: a reader never sees half a file
        except OSError as e:
            logger.warning("cannot write the embedding cache %s (%s)", path, e)


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float  # best cosine between the mention and one of the entry's question variants


def query_text(text: str, *, brand: str = "", names: Sequence[str] = ()) -> str:
    """The text as the encoder should see it: no URLs, no @/# signs, and without the brand's
    own names (every entry of a brand shares them, so they only add noise to the similarity;
    leaving them out measurably separates unanswerable questions better)."""
    text = _NOISE.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?:'s)?(?!\w)", " ", text, flags=re.IGNORECASE)
    if brand:
        text = re.sub(rf"(?<!\w){re.escape(brand)}\w*(?:'s)?", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


class Retriever:
    """Ranks a brand's entries for a mention; `best` claims one only above the threshold."""

    def __init__(self, embedder: Embedder, *, cache: EmbeddingCache | None = None,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        self.embedder = embedder
        self.cache = cache or EmbeddingCache(None)
        self.threshold = threshold

    def _index(self, kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
        texts = [query_text(q, brand=kb.brand, names=kb.names)
                 for e in kb.entries for q in e.questions]
        owner = np.array([i for i, e in enumerate(kb.entries) for _ in e.questions], dtype=int)
        return self.cache.vectors(self.embedder, texts), owner

    def warm(self, kb: KnowledgeBase) -> None:
        if kb.entries:
            self._index(kb)

    def rank(self, kb: KnowledgeBase, text: str) -> list[Hit]:
        """Every entry with its score, best first."""
        return self.rank_many(kb, [text])[0]

    def rank_many(self, kb: KnowledgeBase, texts: Sequence[str]) -> list[list[Hit]]:
        """`rank` for several mentions of one brand, embedded in one batch."""
        queries = [query_text(t, brand=kb.brand, names=kb.names) for t in texts]
        out: list[list[Hit]] = [[] for _ in texts]
        todo = [i for i, q in enumerate(queries) if q]
        if not kb.entries or not todo:
            return out
        vecs, owner = self._index(kb)
        sims = self.embedder.embed([queries[i] for i in todo]) @ vecs.T
        for row, i in zip(sims, todo, strict=True):
            best = np.full(len(kb.entries), -1.0)
            np.maximum.at(best, owner, row)
            order = np.argsort(-best, kind="stable")
            out[i] = [Hit(kb.entries[j], float(best[j])) for j in order]
        return out

    def best(self, kb: KnowledgeBase, text: str, *, label: str) -> Hit | None:
        """The top entry if it applies to `label` and scores at least the threshold."""
        ranked = [h for h in self.rank(kb, text) if label in h.entry.applies_to]
        if ranked and ranked[0].score >= self.threshold:
            return ranked[0]
        return None
