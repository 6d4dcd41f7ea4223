"""The builtin classifier: a trained artifact behind the Classifier protocol, with reasons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monitor.classify.artifact import load_artifact
from monitor.classify.base import ClassifierInput
from monitor.classify.explain import explain
from monitor.classify.model import MentionModel, quantize, rating_index
from monitor.classify.text import normalize
from monitor.models import LABELS, Classification, Label

logger = logging.getLogger(__name__)


class BuiltinClassifier:
    """MiniLM with fine-tuned top layers (see model.py), temperature-calibrated.

    `classify` returns the calibrated probability of the chosen label as confidence, marks
    results under `uncertain_below` as uncertain, and explains each decision with the words
    whose removal lowers that probability most (occlusion) and the star rating's effect.
    """

    def __init__(
        self,
        *,
        model: MentionModel,
        tokenizer: Any,
        metadata: dict[str, Any],
        batch_size: int = 32,
        uncertain_below: float = 0.55,
        explain: bool = True,
        quantized: bool = False,
    ) -> None:
        self.model: Any = quantize(model) if quantized else model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.batch_size = batch_size
        self.uncertain_below = uncertain_below
        self.explain = explain
        self.temperature = float(metadata.get("temperature", 1.0))
        self.max_length = int(metadata.get("max_length", 128))
        self.name = f"builtin:{metadata['version']}" + ("+int8" if quantized else "")

    @classmethod
    def from_artifact(cls, path: Path, **options: Any) -> BuiltinClassifier:
        tokenizer, model, metadata = load_artifact(path)
        logger.info("classifier %s loaded from %s", metadata["version"], path)
        return cls(model=model, tokenizer=tokenizer, metadata=metadata, **options)

    @torch.inference_mode()
    def _pooled(self, texts: Sequence[str]) -> torch.Tensor:
        enc = self.tokenizer(list(texts), padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="pt")
        return self.model.pooled(enc["input_ids"], enc["attention_mask"])

    @torch.inference_mode()
    def _probs(self, pooled: torch.Tensor, ratings: Sequence[int]) -> np.ndarray:
        logits = self.model.logits(pooled, torch.tensor(list(ratings), dtype=torch.long))
        return torch.softmax(logits.float() / self.temperature, 1).numpy()

    def probabilities(self, inputs: Sequence[ClassifierInput]) -> np.ndarray:
        """(n, 4) calibrated probabilities in LABELS order; batched, longest texts together."""
        texts = [normalize(i.text) for i in inputs]
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            pooled = self._pooled([texts[i] or "." for i in idx])
            out[idx] = self._probs(pooled, [rating_index(inputs[i].rating) for i in idx])
        return out

    def score_texts(self, texts: Sequence[str], rating: int) -> np.ndarray:
        """Probabilities for already-normalised texts sharing one rating (used by explain)."""
        out = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start:start + self.batch_size]
            out.append(self._probs(self._pooled([t or "." for t in chunk]), [rating] * len(chunk)))
        return np.concatenate(out) if out else np.zeros((0, len(LABELS)))

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        if not inputs:
            return []
        probs = self.probabilities(inputs)
        results = []
        for inp, p in zip(inputs, probs, strict=True):
            text = normalize(inp.text)
            if not text:
                results.append(self._empty())
                continue
            best = int(p.argmax())
            label = LABELS[best]
            reasons: tuple[str, ...] = (f"{label.value} {p[best]:.2f}",)
            uncertain = bool(p[best] < self.uncertain_below)
            # cues cost up to 17 forward passes; a confident "other" is stored, never posted
            if self.explain and (label is not Label.OTHER or uncertain):
                reasons += explain(self, text=text, rating=rating_index(inp.rating),
                                   probs=p, label_index=best)
            results.append(Classification(
                label=label,
                confidence=round(float(p[best]), 4),
                reasons=reasons,
                scores={lab.value: round(float(v), 4) for lab, v in zip(LABELS, p, strict=True)},
                uncertain=uncertain,
                model=self.name,
            ))
        return results

    def _empty(self) -> Classification:
        share = 1.0 / len(LABELS)
        return Classification(
            label=Label.OTHER, confidence=share, reasons=("empty text",),
            scores={lab.value: share for lab in LABELS}, uncertain=True, model=self.name,
        )
