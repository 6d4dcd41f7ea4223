"""Reasons: the words that carry the decision, read from the pass already made or by occlusion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from monitor.classify.text import units, without
from monitor.models import LABELS

MAX_PIECES = 16  # pieces per text; longer texts are explained phrase by phrase
MIN_DROP = 0.05  # a cue must lower the chosen label's log-odds by at least this much
MIN_RATING_EFFECT = 0.05
_STOP = frozenset((
    "a", "an", "the", "to", "of", "in", "on", "at", "for", "and", "or", "i", "i'm", "im", "my",
    "me", "we", "our", "you", "your", "it", "its", "it's", "is", "are", "was", "were", "be",
    "been", "am", "this", "that", "these", "those", "with", "as", "so", "just", "by", "from",
    "@", "http",
))


class Scorer(Protocol):
    def score_texts(self, texts: list[str], rating: int) -> np.ndarray: ...


def log_odds(p: np.ndarray | float) -> np.ndarray:
    """Log-odds, so that 0.99 -> 0.95 counts as much as 0.6 -> 0.25 (confident texts too)."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def pieces(text: str) -> list[tuple[int, int]]:
    """Spans a cue is made of: content words and punctuation runs, merged into phrases when
    there are more than MAX_PIECES (a cue from a long review reads as a phrase)."""
    spans = [s for s in units(text) if text[s[0]:s[1]].lower() not in _STOP
             and not (text[s[0]:s[1]] == "user" and text[s[0] - 1:s[0]] == "@")]
    if len(spans) <= MAX_PIECES:
        return spans
    size = -(-len(spans) // MAX_PIECES)
    return [(spans[i][0], spans[min(i + size, len(spans)) - 1][1])
            for i in range(0, len(spans), size)]


def top_pieces(drops: np.ndarray, limit: int = 3) -> list[int]:
    """Indices of the pieces that are cues: the `limit` largest drops of at least MIN_DROP."""
    return sorted(int(i) for i in np.argsort(-drops, kind="stable")[:limit]
                  if drops[i] >= MIN_DROP)


def cue_reason(text: str, spans: Sequence[tuple[int, int]], drops: np.ndarray
               ) -> tuple[str, ...]:
    """`("cues: 'a', 'b c'",)` from the pieces' drops: the top ones, adjacent pieces joined into
    a phrase, the strongest phrase first; () when no piece matters enough."""
    phrases: list[list[int]] = []
    for i in top_pieces(drops):
        if phrases and phrases[-1][-1] == i - 1:
            phrases[-1].append(i)
        else:
            phrases.append([i])
    phrases.sort(key=lambda group: -max(drops[i] for i in group))
    cues = list(dict.fromkeys(text[spans[g[0]][0]:spans[g[-1]][1]] for g in phrases))
    return ("cues: " + ", ".join(f"'{c}'" for c in cues),) if cues else ()


def decomposition_drops(token_logits: np.ndarray, offsets: Sequence[tuple[int, int]],
                        spans: Sequence[tuple[int, int]], *, offset: np.ndarray,
                        temperature: float, label_index: int) -> np.ndarray:
    """Each piece's share of the decision, from the pass already made.

    The network is mean pooling then a linear head, so the logits are the mean over tokens of
    `token_logits` (each token's state times the head) plus `offset` (bias and rating). Taking
    a piece's tokens out of that mean gives the logits without them, with no forward pass; the
    drop is the chosen label's log-odds lost (the tokens around it keep their context)."""
    n = len(token_logits)
    total = token_logits.sum(axis=0)
    full = softmax((total / n + offset) / temperature)[label_index]
    drops = np.zeros(len(spans))
    if not len(spans):
        return drops
    tok = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    span = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    inside = ((tok[:, None, 0] < span[None, :, 1]) & (tok[:, None, 1] > span[None, :, 0])
              & (tok[:, None, 1] > tok[:, None, 0]))  # (tokens, pieces); special tokens: none
    counts = inside.sum(axis=0)
    shares = inside.T.astype(np.float64) @ token_logits  # (pieces, labels): each piece's sum
    ok = (counts > 0) & (counts < n)
    rest = (total[None, :] - shares[ok]) / (n - counts[ok])[:, None]
    p = softmax((rest + offset) / temperature)[:, label_index]
    drops[ok] = log_odds(full) - log_odds(p)
    return drops


def occlusion_drops(scorer: Scorer, text: str, spans: Sequence[tuple[int, int]], *,
                    rating: int, probs: np.ndarray, label_index: int) -> np.ndarray:
    """Each piece's share by occlusion: remove it, score the text again (a pass per piece)."""
    if not spans:
        return np.zeros(0)
    scores = scorer.score_texts([without(text, s) for s in spans], rating)
    return np.asarray(log_odds(probs[label_index]) - log_odds(scores[:, label_index]))


def rating_reason(rating: int, effect: float, label_index: int) -> tuple[str, ...]:
    """`rating 1★ (+0.12 complaint)` when the rating moved the chosen label's probability."""
    if not rating or abs(effect) < MIN_RATING_EFFECT:
        return ()
    sign = "+" if effect > 0 else "-"
    return (f"rating {rating}★ ({sign}{abs(effect):.2f} {LABELS[label_index].value})",)


def explain(scorer: Scorer, *, text: str, rating: int, probs: np.ndarray, label_index: int
            ) -> tuple[str, ...]:
    """Reasons by occlusion, for models that are not a mean-pooled linear head (hub models):
    up to 1 + MAX_PIECES forward passes."""
    spans = pieces(text)
    reasons: tuple[str, ...] = ()
    if len(spans) > 1:
        reasons += cue_reason(text, spans, occlusion_drops(
            scorer, text, spans, rating=rating, probs=probs, label_index=label_index))
    if rating:
        plain = scorer.score_texts([text], 0)[0]
        reasons += rating_reason(rating, float(probs[label_index] - plain[label_index]),
                                 label_index)
    return reasons
