"""Knowledge-base retrieval: MiniLM sentence embeddings, cached, cosine and a threshold."""

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

from monitor.errors import ModelError
from monitor.replies.knowledge import Entry, KnowledgeBase

logger = logging.getLogger(__name__)

# Calibrated on monitor/replies/eval_questions.yaml (benchmarks/bench_replies.py prints the sweep):
# the lowest cosine at which at most 15% of unanswerable questions get an entry claimed. Both
# paths pick 0.55: the mention's vector from the classifier's pass (the pipeline's; 72% of
# answerable questions claimed right, 4% wrong, 14% false claims) and the packaged encoder's
# (79%, 6%, 14%).
DEFAULT_THRESHOLD = 0.55
_NOISE = re.compile(r"https?://\S+|(?<!\w)[@#](?=\w)")


class Embedder(Protocol):
    name: str  # identifies the vectors: part of every cache key

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, L2-normalised."""
        ...


class MiniLMEmbedder:
    """Sentence embeddings of the packaged MiniLM (mean pooling, unit length) on the
    classifier's engine (monitor.classify.engine, ONNX Runtime, no PyTorch).

    The builtin classifier gives each mention its embedding in this space from its own pass
    (Classification.embedding), so this encoder only embeds the knowledge base's question
    variants when they change (cached on disk) and mentions of classifiers that give none. It
    loads on first use; `release` frees it until it is needed again."""

    def __init__(self, path: Path | None = None, *, batch_size: int = 32, max_length: int = 256
                 ) -> None:
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self._encoder: Any = None
        self._lock = threading.Lock()
        self.name = f"minilm-mean:{path.name if path else 'builtin'}:{max_length}"

    def _load(self) -> Any:
        with self._lock:
            if self._encoder is None:
                from monitor.classify.artifact import PACKAGED_DIR, find_artifact, graph_path
                from monitor.classify.engine import Encoder

                packaged = find_artifact(PACKAGED_DIR)
                if packaged is None:
                    raise ModelError("the packaged classifier (and its encoder graph) is missing")
                self._encoder = Encoder(graph=graph_path(packaged), folder=self.path,
                                        batch_size=self.batch_size, max_length=self.max_length)
            return self._encoder

    def release(self) -> None:
        with self._lock:
            if self._encoder is not None:
                self._encoder.close()
                self._encoder = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        pooled = np.stack([e.hidden.mean(axis=0) for e in self._load().encode(texts)])
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        return (pooled / norms).astype(np.float32)


class EmbeddingCache:
    """Vectors of a list of texts, in memory and on disk (`folder/<content hash>.npy`), so a
    restart or a reload of unchanged knowledge costs no encoder time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[str, np.ndarray] = {}

    def has(self, key: str) -> bool:
        """Whether the vectors for `key` are already in memory."""
        return key in self._memory

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
        # brand -> (the knowledge base, its vectors, owners): the latest one indexed, so a
        # poll's lookups do not rebuild and rehash every question variant per mention
        self._indexed: dict[str, tuple[KnowledgeBase, np.ndarray, np.ndarray]] = {}

    def _index(self, kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
        done = self._indexed.get(kb.brand)
        # the same loaded entries (callers `replace` the names per lookup) and the same names
        if done is not None and done[0].entries is kb.entries and done[0].names == kb.names:
            return done[1], done[2]
        texts = [query_text(q, brand=kb.brand, names=kb.names)
                 for e in kb.entries for q in e.questions]
        owner = np.array([i for i, e in enumerate(kb.entries) for _ in e.questions], dtype=int)
        key = self.cache.key(self.embedder, texts)
        known = self.cache.has(key)
        vecs = self.cache.vectors(self.embedder, texts)
        release = getattr(self.embedder, "release", None)
        if not known and callable(release):
            release()  # mentions bring their own vectors: free the encoder until needed
        self._indexed[kb.brand] = (kb, vecs, owner)
        return vecs, owner

    def warm(self, kb: KnowledgeBase) -> None:
        if kb.entries:
            self._index(kb)

    def rank(self, kb: KnowledgeBase, text: str, *, vector: np.ndarray | None = None
             ) -> list[Hit]:
        """Every entry with its score, best first. `vector` is the mention's embedding when
        the classifier gave one (Classification.embedding); else the text is embedded."""
        return self.rank_many(kb, [text], vectors=[vector])[0]

    def rank_many(self, kb: KnowledgeBase, texts: Sequence[str],
                  vectors: Sequence[np.ndarray | None] | None = None) -> list[list[Hit]]:
        """`rank` for several mentions of one brand; those without a vector are embedded in
        one batch."""
        given = list(vectors) if vectors is not None else [None] * len(texts)
        queries = [query_text(t, brand=kb.brand, names=kb.names) for t in texts]
        out: list[list[Hit]] = [[] for _ in texts]
        todo = [i for i, q in enumerate(queries) if q]
        if not kb.entries or not todo:
            return out
        vecs, owner = self._index(kb)
        missing = [i for i in todo if given[i] is None]
        if missing:
            for i, v in zip(missing, self.embedder.embed([queries[i] for i in missing]),
                            strict=True):
                given[i] = v
        sims = np.stack([np.asarray(given[i], dtype=np.float32) for i in todo]) @ vecs.T
        for row, i in zip(sims, todo, strict=True):
            best = np.full(len(kb.entries), -1.0)
            np.maximum.at(best, owner, row)
            order = np.argsort(-best, kind="stable")
            out[i] = [Hit(kb.entries[j], float(best[j])) for j in order]
        return out

    def best(self, kb: KnowledgeBase, text: str, *, label: str,
             vector: np.ndarray | None = None) -> Hit | None:
        """The top entry if it applies to `label` and scores at least the threshold."""
        ranked = [h for h in self.rank(kb, text, vector=vector) if label in h.entry.applies_to]
        if ranked and ranked[0].score >= self.threshold:
            return ranked[0]
        return None
