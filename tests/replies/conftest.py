"""Replies fixtures: the bundled knowledge base, a real encoder (slow) and a word-count one."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.builtin import BuiltinClassifier
from monitor.replies.knowledge import KnowledgeBase, load_knowledge
from monitor.replies.retrieval import EmbeddingCache, MiniLMEmbedder, Retriever

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "rules" / "knowledge"


class WordsEmbedder:
    """Bag of hashed words: cheap and deterministic, for tests about plumbing, not quality."""

    name = "words-test"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 512] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


@pytest.fixture(scope="session")
def bundled() -> dict[str, KnowledgeBase]:
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def classifier() -> BuiltinClassifier:
    """The packaged classifier, whose pass gives each mention its retrieval vector."""
    from monitor.classify.artifact import PACKAGED_DIR

    return BuiltinClassifier.from_artifact(PACKAGED_DIR, explain=False)


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data_dir whose kb-cache the slow tests share, so the bundled knowledge is embedded
    once per session (as the daemon does across restarts)."""
    return tmp_path_factory.mktemp("replies-data")


@pytest.fixture(scope="session")
def retriever(minilm: MiniLMEmbedder, shared_data_dir: Path) -> Retriever:
    return Retriever(minilm, cache=EmbeddingCache(shared_data_dir / "kb-cache"))


@pytest.fixture
def words() -> WordsEmbedder:
    return WordsEmbedder()
