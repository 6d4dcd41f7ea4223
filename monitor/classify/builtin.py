"""The builtin classifier: one encoder pass gives label, confidence, reasons and embedding."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.artifact import WEIGHTS, graph_path, load_tensors
from monitor.classify.base import ClassifierInput
from monitor.classify.engine import Encoded, Encoder
from monitor.classify.explain import (
    cue_reason,
    decomposition_drops,
    pieces,
    rating_reason,
    softmax,
)
from monitor.classify.text import normalize
from monitor.models import LABELS, Classification, Label

logger = logging.getLogger(__name__)

# Left out of the retrieval embedding, like retrieval.query_text leaves them out of a query:
# generic handles and links, hashtag signs (and, per input, the brand's own names).
_NOT_CONTENT = re.compile(r"@user\b|(?<!\w)http\b|#")


def rating_index(rating: int | None) -> int:
    """Star rating as a row of the rating bias: 1..5, or 0 when absent or out of range."""
    if rating is None or isinstance(rating, bool):
        return 0
    try:
        value = int(rating)
    except (TypeError, ValueError):
        return 0
    return value if 1 <= value <= 5 else 0


@dataclass(frozen=True, slots=True)
class Head:
    """What sits on the encoder: mean pooling, a linear layer, a bias per star rating and a
    temperature; and a linear map from the pooled states into the packaged encoder's sentence
    space (fitted at training time), so knowledge-base retrieval needs no second pass."""

    weight: np.ndarray  # (labels, dim)
    bias: np.ndarray  # (labels,)
    rating: np.ndarray  # (6, labels), row 0 = no rating
    temperature: float
    projection: np.ndarray | None = None  # (dim + 1, dim): [pooled, 1] @ projection
    cues: np.ndarray | None = None  # (dim + 1, labels): [pooled embedding layer, 1] @ cues

    @classmethod
    def from_tensors(cls, state: dict[str, np.ndarray], temperature: float) -> Head:
        return cls(weight=state["head.weight"], bias=state["head.bias"],
                   rating=state["rating.weight"], temperature=temperature,
                   projection=state.get("retrieval.weight"), cues=state.get("cues.weight"))


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything one pass says about one text."""

    probs: np.ndarray  # calibrated, rating included
    text_probs: np.ndarray  # the same without the rating
    token_logits: np.ndarray  # (tokens, labels): each token's share of the text's logits
    cue_offset: np.ndarray  # what `token_logits`' mean is added to (bias; not the rating)
    offsets: tuple[tuple[int, int], ...]  # each token's span in the text
    embedding: np.ndarray | None  # unit length, in the packaged encoder's sentence space


class BuiltinClassifier:
    """MiniLM with fine-tuned top layers (see model.py), temperature-calibrated, run by ONNX
    Runtime (engine.py) without PyTorch.

    `classify` returns the calibrated probability of the chosen label as confidence, marks
    results under `uncertain_below` as uncertain, explains each decision with the words that
    carry it and the star rating's effect, and attaches the mention's retrieval embedding for
    the reply suggester: all from one encoder pass. The cues are read by the cue head (a
    linear map from the embedding layer's word states to the model's logits, fitted at
    training time; see MODEL.md for why not the last layer) and decomposed word by word
    (explain.decomposition_drops).
    """

    def __init__(self, *, encoder: Encoder, head: Head, metadata: dict[str, Any],
                 uncertain_below: float = 0.55, explain: bool = True) -> None:
        self.encoder = encoder
        self.head = head
        self.metadata = metadata
        self.uncertain_below = uncertain_below
        self.explain = explain
        self.name = f"builtin:{metadata['version']}"

    @classmethod
    def from_artifact(cls, path: Path, *, batch_size: int = 32, threads: int = 0,
                      **options: Any) -> BuiltinClassifier:
        """The artifact's classifier; the encoder itself loads on first use."""
        found, meta, state = load_tensors(path)
        encoder = Encoder(graph=graph_path(found), weights=found / WEIGHTS,
                          batch_size=batch_size, threads=threads,
                          max_length=int(meta.get("max_length", 256)))
        head = Head.from_tensors(state, float(meta.get("temperature", 1.0)))
        logger.info("classifier %s ready (loads on first use) from %s", meta["version"], found)
        return cls(encoder=encoder, head=head, metadata=meta, **options)

    def read(self, texts: Sequence[str], ratings: Sequence[int],
             names: Sequence[Sequence[str]] | None = None) -> list[Reading]:
        """One encoder pass over normalised texts (batched, longest together)."""
        out: list[Reading | None] = [None] * len(texts)
        for i, enc in self.encoder.stream([t or "." for t in texts]):
            out[i] = self._reading(enc, texts[i], ratings[i], names[i] if names else ())
        return [r for r in out if r is not None]

    def _reading(self, enc: Encoded, text: str, rating: int, names: Sequence[str]) -> Reading:
        h = self.head
        text_logits = enc.hidden.mean(axis=0) @ h.weight.T + h.bias
        probs = softmax((text_logits + h.rating[rating]) / h.temperature)
        text_probs = softmax(text_logits / h.temperature)
        if h.cues is not None and enc.embedded is not None:  # words read by the cue head
            token_logits, cue_offset = enc.embedded @ h.cues[:-1], h.cues[-1]
        else:  # an artifact without a cue head: the last layer through the head itself
            token_logits, cue_offset = enc.hidden @ h.weight.T, h.bias
        embedding = None
        if h.projection is not None:
            keep = _content_tokens(text, enc.offsets, names)
            pooled = enc.hidden[keep].mean(axis=0) if keep.any() else enc.hidden.mean(axis=0)
            vec = pooled @ h.projection[:-1] + h.projection[-1]
            embedding = (vec / max(float(np.linalg.norm(vec)), 1e-9)).astype(np.float32)
        return Reading(probs=probs, text_probs=text_probs, token_logits=token_logits,
                       cue_offset=cue_offset, offsets=enc.offsets, embedding=embedding)

    def probabilities(self, inputs: Sequence[ClassifierInput]) -> np.ndarray:
        """(n, 4) calibrated probabilities in LABELS order."""
        if not inputs:
            return np.zeros((0, len(LABELS)))
        readings = self.read([normalize(i.text) for i in inputs],
                             [rating_index(i.rating) for i in inputs])
        return np.stack([r.probs for r in readings])

    def score_texts(self, texts: Sequence[str], rating: int) -> np.ndarray:
        """Probabilities for already-normalised texts sharing one rating (occlusion uses it)."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        return np.stack([r.probs for r in self.read(texts, [rating] * len(texts))])

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        if not inputs:
            return []
        texts = [normalize(i.text) for i in inputs]
        ratings = [rating_index(i.rating) for i in inputs]
        readings = self.read(texts, ratings, [i.names for i in inputs])
        return [self._result(text, rating, r) if text else self._empty()
                for text, rating, r in zip(texts, ratings, readings, strict=True)]

    def _result(self, text: str, rating: int, r: Reading) -> Classification:
        best = int(r.probs.argmax())
        label = LABELS[best]
        reasons: tuple[str, ...] = (f"{label.value} {r.probs[best]:.2f}",)
        uncertain = bool(r.probs[best] < self.uncertain_below)
        # a confident "other" is stored, never posted: nobody reads its cues
        if self.explain and (label is not Label.OTHER or uncertain):
            spans = pieces(text)
            if len(spans) > 1:
                drops = decomposition_drops(r.token_logits, r.offsets, spans,
                                            offset=r.cue_offset + self.head.rating[rating],
                                            temperature=self.head.temperature,
                                            label_index=best)
                reasons += cue_reason(text, spans, drops)
            reasons += rating_reason(rating, float(r.probs[best] - r.text_probs[best]), best)
        return Classification(
            label=label,
            confidence=round(float(r.probs[best]), 4),
            reasons=reasons,
            scores={lab.value: round(float(v), 4) for lab, v in zip(LABELS, r.probs, strict=True)},
            uncertain=uncertain,
            model=self.name,
            embedding=r.embedding,
        )

    def _empty(self) -> Classification:
        share = 1.0 / len(LABELS)
        return Classification(
            label=Label.OTHER, confidence=share, reasons=("empty text",),
            scores={lab.value: share for lab in LABELS}, uncertain=True, model=self.name,
        )


def _content_tokens(text: str, offsets: Sequence[tuple[int, int]], names: Sequence[str]
                    ) -> np.ndarray:
    """Which tokens the retrieval embedding pools: all but handles, links, '#' and the brand's
    names (a brand id also covers what starts with it: "lumo" -> "lumobank")."""
    spans = [m.span() for m in _NOT_CONTENT.finditer(text)]
    for name in names:
        if name:
            tail = r"\w*" if " " not in name else ""
            spans += [m.span() for m in re.finditer(
                rf"(?<!\w){re.escape(name)}{tail}(?:'s)?(?!\w)", text, re.IGNORECASE)]
    tok = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    keep = np.ones(len(tok), dtype=bool)
    for start, end in spans:
        keep &= ~((tok[:, 0] < end) & (tok[:, 1] > start) & (tok[:, 1] > tok[:, 0]))
    return keep
