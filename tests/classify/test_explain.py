"""Reasons from the pass already made: each piece's share of the decision, checked by hand."""

from __future__ import annotations

import numpy as np

from monitor.classify.explain import (
    cue_reason,
    decomposition_drops,
    log_odds,
    pieces,
    rating_reason,
    softmax,
)

TEXT = "the app crashes daily"
OFFSETS = ((0, 0), (0, 3), (4, 7), (8, 15), (16, 21), (0, 0))  # [CLS] the app crashes daily [SEP]


def token_logits(crashes: float) -> np.ndarray:
    rows = np.full((6, 4), 0.1)
    rows[3, 0] = crashes  # "crashes" pushes complaint
    return rows


def test_decomposition_drops__the_token_that_pushes_the_label_is_the_cue() -> None:
    spans = pieces(TEXT)
    assert [TEXT[a:b] for a, b in spans] == ["app", "crashes", "daily"]
    drops = decomposition_drops(token_logits(6.0), OFFSETS, spans, offset=np.zeros(4),
                                temperature=1.0, label_index=0)
    assert int(np.argmax(drops)) == 1 and drops[1] > 0.5
    assert drops[0] < 0 and drops[2] < 0  # taking a neutral word out concentrates the mean
    assert cue_reason(TEXT, spans, drops) == ("cues: 'crashes'",)


def test_decomposition_drops__equal_the_logits_recomputed_without_the_piece() -> None:
    tl = token_logits(3.0)
    offset = np.array([0.2, -0.1, 0.0, 0.3])
    spans = pieces(TEXT)
    drops = decomposition_drops(tl, OFFSETS, spans, offset=offset, temperature=0.8,
                                label_index=0)
    full = softmax((tl.mean(axis=0) + offset) / 0.8)[0]
    without = softmax((np.delete(tl, 3, axis=0).mean(axis=0) + offset) / 0.8)[0]
    assert np.isclose(drops[1], log_odds(full) - log_odds(without))


def test_decomposition_drops__pieces_without_tokens_score_nothing() -> None:
    spans = [(0, 3), (30, 40)]  # the second lies past the truncated tokens
    drops = decomposition_drops(token_logits(2.0), OFFSETS, spans, offset=np.zeros(4),
                                temperature=1.0, label_index=0)
    assert drops[1] == 0.0


def test_cue_reason__adjacent_pieces_join_and_weak_ones_are_dropped() -> None:
    text = "refund never arrived sadly"
    spans = pieces(text)
    got = cue_reason(text, spans, np.array([0.9, 0.8, 0.01, 0.3]))
    assert got == ("cues: 'refund never', 'sadly'",)
    assert cue_reason(text, spans, np.full(4, 0.01)) == ()


def test_rating_reason__only_when_it_moves_the_label() -> None:
    assert rating_reason(1, 0.12, 0) == ("rating 1★ (+0.12 complaint)",)
    assert rating_reason(5, -0.07, 0) == ("rating 5★ (-0.07 complaint)",)
    assert rating_reason(5, 0.01, 2) == ()
    assert rating_reason(0, 0.5, 2) == ()
