"""Reasons by occlusion: the words whose removal most lowers the chosen label's probability."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from monitor.classify.text import units, without
from monitor.models import LABELS

MAX_PIECES = 16  # forward passes per text, at most; longer texts are occluded phrase by phrase
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


def _log_odds(p: np.ndarray | float) -> np.ndarray:
    """Log-odds, so that 0.99 -> 0.95 counts as much as 0.6 -> 0.25 (confident texts too)."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _pieces(text: str) -> list[tuple[int, int]]:
    """Spans to occlude: content words and punctuation runs, merged into phrases when many."""
    spans = [s for s in units(text) if text[s[0]:s[1]].lower() not in _STOP
             and not (text[s[0]:s[1]] == "user" and text[s[0] - 1:s[0]] == "@")]
    if len(spans) <= MAX_PIECES:
        return spans
    size = -(-len(spans) // MAX_PIECES)
    return [(spans[i][0], spans[min(i + size, len(spans)) - 1][1])
            for i in range(0, len(spans), size)]


def explain(
    scorer: Scorer, *, text: str, rating: int, probs: np.ndarray, label_index: int
) -> tuple[str, ...]:
    """Short reasons for the decision `probs.argmax()` on normalised `text`.

    Each piece of the text is removed in turn and the text re-scored; the pieces whose removal
    costs the chosen label the most log-odds are the cues (adjacent ones are joined into a
    phrase). The rating's effect is the difference to scoring the same text without it.
    """
    reasons: list[str] = []
    pieces = _pieces(text)
    if len(pieces) > 1:
        scores = scorer.score_texts([without(text, s) for s in pieces], rating)
        drops = _log_odds(probs[label_index]) - _log_odds(scores[:, label_index])
        top = sorted(i for i in np.argsort(-drops)[:3] if drops[i] >= MIN_DROP)
        phrases: list[list[int]] = []
        for i in top:
            if phrases and phrases[-1][-1] == i - 1:
                phrases[-1].append(i)
            else:
                phrases.append([i])
        phrases.sort(key=lambda group: -max(drops[i] for i in group))
        cues = list(dict.fromkeys(text[pieces[g[0]][0]:pieces[g[-1]][1]] for g in phrases))
        if cues:
            reasons.append("cues: " + ", ".join(f"'{c}'" for c in cues))
    if rating:
        plain = scorer.score_texts([text], 0)[0]
        effect = float(probs[label_index] - plain[label_index])
        if abs(effect) >= MIN_RATING_EFFECT:
            sign = "+" if effect > 0 else "-"
            reasons.append(
                f"rating {rating}★ ({sign}{abs(effect):.2f} {LABELS[label_index].value})"
            )
    return tuple(reasons)
