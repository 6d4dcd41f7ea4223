"""Classifiers from any Hugging Face model: a fine-tuned sequence classifier, or zero-shot NLI."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monitor.classify.base import ClassifierInput
from monitor.classify.explain import explain
from monitor.classify.model import load_pretrained
from monitor.classify.text import normalize
from monitor.errors import ModelError
from monitor.models import LABELS, Classification, Label

logger = logging.getLogger(__name__)

# A model's own label names -> ours; names are compared lower-cased, without "label_" noise.
LABEL_SYNONYMS: Mapping[str, Label] = {
    "complaint": Label.COMPLAINT, "negative": Label.COMPLAINT, "neg": Label.COMPLAINT,
    "question": Label.QUESTION, "request": Label.QUESTION, "inquiry": Label.QUESTION,
    "praise": Label.PRAISE, "positive": Label.PRAISE, "pos": Label.PRAISE,
    "other": Label.OTHER, "neutral": Label.OTHER, "irrelevant": Label.OTHER,
}

# Hypotheses a zero-shot NLI model checks each text against ("{}" is the description).
HYPOTHESIS = "This text {}."
DESCRIPTIONS: Mapping[Label, str] = {
    Label.COMPLAINT: "complains about a problem or bad experience with a product or service",
    Label.QUESTION: "asks a question or for help about a product or service",
    Label.PRAISE: "praises or thanks a company for a good product or service",
    Label.OTHER: "is news, an ad, a joke or not about a customer's experience",
}


def map_labels(id2label: Mapping[int, str]) -> dict[int, Label]:
    """Our label for each of a model's output indices; ModelError if any is unknown."""
    mapping: dict[int, Label] = {}
    for idx, name in id2label.items():
        key = str(name).strip().lower()
        if key not in LABEL_SYNONYMS:
            raise ModelError(
                f"the model's label {name!r} maps to none of {', '.join(LABELS)}; use a model "
                f"whose labels are named like {', '.join(sorted(LABEL_SYNONYMS))}"
            )
        mapping[int(idx)] = LABEL_SYNONYMS[key]
    return mapping


class _HubClassifier:
    """Shared batching, result building and reasons for the hub-model classifiers."""

    name: str

    def __init__(self, *, batch_size: int, uncertain_below: float, explain: bool) -> None:
        self.batch_size = batch_size
        self.uncertain_below = uncertain_below
        self.explain = explain

    def _batch_probs(self, texts: Sequence[str]) -> np.ndarray:  # (n, 4) in LABELS order
        raise NotImplementedError

    def score_texts(self, texts: Sequence[str], rating: int = 0) -> np.ndarray:
        """Probabilities for normalised texts; these models take no rating."""
        parts = [self._batch_probs([t or "." for t in texts[i:i + self.batch_size]])
                 for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, len(LABELS)))

    def probabilities(self, inputs: Sequence[ClassifierInput]) -> np.ndarray:
        return self.score_texts([normalize(i.text) for i in inputs])

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        texts = [normalize(i.text) for i in inputs]
        probs = self.score_texts(texts)
        out = []
        for text, p in zip(texts, probs, strict=True):
            best = int(p.argmax())
            if not text:
                out.append(Classification(label=Label.OTHER, confidence=0.0,
                                          reasons=("empty text",), uncertain=True,
                                          model=self.name))
                continue
            reasons: tuple[str, ...] = (f"{LABELS[best].value} {p[best]:.2f}",)
            if self.explain:
                reasons += explain(self, text=text, rating=0, probs=p, label_index=best)
            out.append(Classification(
                label=LABELS[best], confidence=round(float(p[best]), 4), reasons=reasons,
                scores={lab.value: round(float(v), 4) for lab, v in zip(LABELS, p, strict=True)},
                uncertain=bool(p[best] < self.uncertain_below), model=self.name,
            ))
        return out


class SequenceClassifier(_HubClassifier):
    """Any AutoModelForSequenceClassification whose labels map to ours (see LABEL_SYNONYMS);
    probabilities of model labels that map to the same one of ours are added up."""

    def __init__(self, model_id: str | Path, **options: Any) -> None:
        super().__init__(**options)
        self.tokenizer, self.model = load_pretrained(model_id, sequence_classification=True)
        self.mapping = map_labels(self.model.config.id2label)
        self.name = f"sequence-classification:{model_id}"

    @torch.inference_mode()
    def _batch_probs(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=256,
                             return_tensors="pt")
        p = torch.softmax(self.model(**enc).logits.float(), 1).numpy()
        out = np.zeros((len(texts), len(LABELS)))
        for idx, label in self.mapping.items():
            out[:, LABELS.index(label)] += p[:, idx]
        return out


class ZeroShotClassifier(_HubClassifier):
    """An NLI model asked, for each label, whether the text entails its description; the
    entailment logits are softmaxed across labels (like the zero-shot pipeline)."""

    def __init__(self, model_id: str | Path, *, descriptions: Mapping[Label, str] = DESCRIPTIONS,
                 **options: Any) -> None:
        super().__init__(**options)
        self.tokenizer, self.model = load_pretrained(model_id, sequence_classification=True)
        names = {int(i): str(n).lower() for i, n in self.model.config.id2label.items()}
        found = [i for i, n in names.items() if n.startswith("entail")]
        if not found:
            raise ModelError(f"{model_id} is not an NLI model: no 'entailment' label in "
                             f"{sorted(names.values())}")
        self.entailment = found[0]
        self.hypotheses = [HYPOTHESIS.format(descriptions[label]) for label in LABELS]
        self.name = f"zero-shot:{model_id}"

    @torch.inference_mode()
    def _batch_probs(self, texts: Sequence[str]) -> np.ndarray:
        premises = [t for t in texts for _ in self.hypotheses]
        hypotheses = self.hypotheses * len(texts)
        enc = self.tokenizer(premises, hypotheses, padding=True, truncation="only_first",
                             max_length=256, return_tensors="pt")
        entail = self.model(**enc).logits[:, self.entailment].float().view(len(texts), -1)
        return torch.softmax(entail, 1).numpy()
