"""The packaged model through the Classifier protocol: labels, ratings, uncertainty, reasons."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.base import ClassifierInput
from monitor.classify.builtin import BuiltinClassifier
from monitor.classify.engine import Encoded, Encoder
from monitor.models import LABELS, Label

pytestmark = pytest.mark.slow

# Unambiguous, written for these tests (not in the training data).
OBVIOUS = [
    ("my order never arrived and support won't answer my emails", Label.COMPLAINT),
    ("the app crashes every single time I open it, useless", Label.COMPLAINT),
    ("why was I charged twice this month?? still no refund", Label.COMPLAINT),
    ("does the basic plan include offline downloads?", Label.QUESTION),
    ("what are your opening hours on sunday?", Label.QUESTION),
    ("how do I change the email address on my account?", Label.QUESTION),
    ("thank you so much, the support team fixed everything in minutes!", Label.PRAISE),
    ("absolutely love this app, best purchase I've made all year", Label.PRAISE),
    ("delivery was super fast and the quality is amazing", Label.PRAISE),
    ("the company announced its quarterly earnings on tuesday", Label.OTHER),
    ("we are hiring a marketing manager in berlin, apply at the link", Label.OTHER),
    ("my grandma makes the best apple pie in the world", Label.OTHER),
]


def test_classify__obvious_examples_get_their_label(builtin: BuiltinClassifier) -> None:
    results = builtin.classify([ClassifierInput(text=t) for t, _ in OBVIOUS])
    got = [r.label for r in results]
    assert got == [label for _, label in OBVIOUS]


def test_classify__scores_are_a_distribution_and_confidence_is_the_top_one(
    builtin: BuiltinClassifier,
) -> None:
    (r,) = builtin.classify([ClassifierInput(text=OBVIOUS[0][0])])
    assert set(r.scores) == {label.value for label in LABELS}
    assert sum(r.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert r.confidence == pytest.approx(max(r.scores.values()))
    assert r.model.startswith("builtin:")


def test_classify__batches_keep_input_order(builtin: BuiltinClassifier) -> None:
    texts = [t for t, _ in OBVIOUS]
    one_by_one = [builtin.classify([ClassifierInput(text=t)])[0] for t in texts[:5]]
    batched = builtin.classify([ClassifierInput(text=t) for t in texts[:5]])
    assert [r.label for r in batched] == [r.label for r in one_by_one]
    for a, b in zip(batched, one_by_one, strict=True):
        assert a.confidence == pytest.approx(b.confidence, abs=1e-3)


def test_classify__low_rating_favours_complaint_and_high_rating_praise(
    builtin: BuiltinClassifier,
) -> None:
    text = "arrived on monday."
    low, none, high = builtin.classify(
        [ClassifierInput(text=text, rating=r) for r in (1, None, 5)]
    )

    def complaint_over_praise(scores: Mapping[str, float]) -> float:
        return math.log(scores["complaint"] / scores["praise"])

    assert (complaint_over_praise(low.scores) > complaint_over_praise(none.scores)
            > complaint_over_praise(high.scores))


def test_classify__rating_does_not_outvote_a_clear_problem(builtin: BuiltinClassifier) -> None:
    (r,) = builtin.classify([ClassifierInput(
        text="5 stars for the looks but since the update it crashes on login and I lost my data",
        rating=5)])
    assert r.label is Label.COMPLAINT


def test_classify__rating_reason_is_given_when_it_moves_the_score(
    builtin: BuiltinClassifier,
) -> None:
    rated, unrated = builtin.classify([ClassifierInput(text="arrived on monday.", rating=5),
                                       ClassifierInput(text="arrived on monday.")])
    moved = abs(rated.scores[rated.label.value] - unrated.scores[rated.label.value])
    has_reason = any(reason.startswith("rating 5★") for reason in rated.reasons)
    explained = rated.label is not Label.OTHER or rated.uncertain
    assert moved > 0
    assert has_reason == (moved >= 0.05 and explained)
    assert not any(reason.startswith("rating") for reason in unrated.reasons)


def test_classify__reasons_name_the_label_and_cues_from_the_text(
    builtin: BuiltinClassifier,
) -> None:
    text = "the app crashes every single time I open it, useless"
    (r,) = builtin.classify([ClassifierInput(text=text)])
    assert re.fullmatch(r"complaint [01]\.\d\d", r.reasons[0])
    cues = [reason for reason in r.reasons if reason.startswith("cues: ")]
    assert cues, r.reasons
    quoted = [c.strip(" '") for c in cues[0][len("cues: "):].split("', '")]
    assert all(q and q in text for q in quoted)


def test_classify__uncertain_below_threshold(builtin: BuiltinClassifier) -> None:
    inputs = [ClassifierInput(text="hmm ok"), ClassifierInput(text=OBVIOUS[3][0])]

    def with_threshold(value: float) -> BuiltinClassifier:
        return BuiltinClassifier(encoder=builtin.encoder, head=builtin.head,
                                 metadata=builtin.metadata, uncertain_below=value, explain=False)

    strict, lenient, mid = with_threshold(1.0), with_threshold(0.0), with_threshold(0.55)
    assert all(r.uncertain for r in strict.classify(inputs))
    assert not any(r.uncertain for r in lenient.classify(inputs))
    for r in mid.classify(inputs):
        assert r.uncertain == (r.confidence < 0.55)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_classify__empty_text_is_other_and_uncertain(builtin: BuiltinClassifier,
                                                     text: str) -> None:
    results = builtin.classify([ClassifierInput(text=text), ClassifierInput(text=OBVIOUS[0][0])])
    assert results[0].label is Label.OTHER
    assert results[0].uncertain
    assert results[1].label is Label.COMPLAINT


def test_classify__no_inputs_gives_no_results(builtin: BuiltinClassifier) -> None:
    assert builtin.classify([]) == []


def test_classify__emoji_and_handles_only_still_classified(builtin: BuiltinClassifier) -> None:
    (r,) = builtin.classify([ClassifierInput(text="@acme 😡😡😡 https://t.co/x")])
    assert r.label in LABELS
    assert 0.0 < r.confidence <= 1.0


class CountingEncoder:
    """The real encoder, counting the passes made through it."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.calls: list[int] = []

    def stream(self, texts: Sequence[str]) -> Iterator[tuple[int, Encoded]]:
        self.calls.append(len(texts))
        return self.encoder.stream(texts)


def test_classify__one_encoder_pass_gives_label_reasons_and_embedding(
    builtin: BuiltinClassifier,
) -> None:
    counting = CountingEncoder(builtin.encoder)
    clf = BuiltinClassifier(encoder=counting, head=builtin.head,  # type: ignore[arg-type]
                            metadata=builtin.metadata)
    texts = [t for t, label in OBVIOUS if label is not Label.OTHER][:6]
    results = clf.classify([ClassifierInput(text=t, rating=2) for t in texts])
    assert counting.calls == [len(texts)]  # one batch, no extra pass per cue or rating
    assert all(any(r.startswith("cues: ") for r in res.reasons) for res in results)
    for res in results:
        assert res.embedding is not None and res.embedding.shape == (384,)
        assert res.embedding.dtype == np.float32
        assert float(np.linalg.norm(res.embedding)) == pytest.approx(1.0, abs=1e-5)


def test_classify__brand_names_leave_the_embedding_not_the_label(
    builtin: BuiltinClassifier,
) -> None:
    text = "does Lumo Bank support apple pay on the lumo app?"
    plain, named = builtin.classify([ClassifierInput(text=text),
                                     ClassifierInput(text=text, names=("lumo", "Lumo Bank"))])
    assert plain.scores == named.scores and plain.reasons == named.reasons
    assert float(plain.embedding @ named.embedding) < 0.9999


def test_classify__cue_head_reads_the_models_label_on_clear_texts(
    builtin: BuiltinClassifier,
) -> None:
    """The cue head (the words alone, before any context) picks the model's own label on
    clear texts, so its per-piece shares explain the decision the model made."""
    from monitor.classify.text import normalize

    assert builtin.head.cues is not None  # the shipped artifact has a cue head
    texts = [normalize(t) for t, _ in OBVIOUS]
    for text, reading in zip(texts, builtin.read(texts, [0] * len(texts)), strict=True):
        cue_logits = reading.token_logits.mean(axis=0) + reading.cue_offset
        assert int(cue_logits.argmax()) == int(reading.probs.argmax()), text


def test_classify__confident_other_is_not_explained(builtin: BuiltinClassifier) -> None:
    (r,) = builtin.classify([ClassifierInput(
        text="Apple shares closed 2% higher on Tuesday after the earnings report")])
    assert r.label is Label.OTHER and not r.uncertain
    assert r.reasons == (f"other {r.confidence:.2f}",)  # stored, never posted: no cue search


def test_from_artifact__format_1_loads_on_the_packaged_graph_without_projection(
    builtin: BuiltinClassifier, tmp_path: Path,
) -> None:
    """An artifact trained before #14 (format 1: no graph, no cue head, no retrieval
    projection) still classifies: packaged graph, last-layer cues, no embedding."""
    from safetensors.numpy import load_file, save_file

    from monitor.classify.artifact import GRAPH, METADATA, PACKAGED_DIR, WEIGHTS, find_artifact

    packaged = find_artifact(PACKAGED_DIR)
    assert packaged is not None
    state = load_file(str(packaged / WEIGHTS))
    save_file({k: v for k, v in state.items() if k not in ("retrieval.weight", "cues.weight")},
              str(tmp_path / WEIGHTS))
    meta = json.loads((packaged / METADATA).read_text(encoding="utf-8"))
    (tmp_path / METADATA).write_text(json.dumps({**meta, "format": 1}), encoding="utf-8")

    old = BuiltinClassifier.from_artifact(tmp_path, batch_size=4)
    text = OBVIOUS[0][0]
    (r,) = old.classify([ClassifierInput(text=text)])
    (new,) = builtin.classify([ClassifierInput(text=text)])
    assert old.encoder.graph == packaged / GRAPH
    assert old.head.projection is None and old.head.cues is None
    assert r.label is Label.COMPLAINT and r.embedding is None
    assert r.scores == pytest.approx(new.scores, abs=1e-4)  # same weights, same decision
    assert re.fullmatch(r"complaint [01]\.\d\d", r.reasons[0])
