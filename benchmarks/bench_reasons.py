"""How the free cues agree with occlusion (a forward pass per piece), and what they cost.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_reasons.py [--n 200] [--artifact DIR]

For real-shaped mentions (benchmarks/mentions.py) and held-out lines of the shipped data, each
decision is explained three ways over the same pieces (explain.pieces): occlusion (remove each
piece, score the text again: the reasons before #14), the cue head (what the classifier ships:
the embedding layer's words through a linear map fitted to the model's logits) and the last
layer through the model's own head. Prints how often each one's strongest piece is among
occlusion's three strongest, how often the strongest pieces are the same, the mean rank
correlation, how many texts get any cue, the chance level, and examples. Then, for each way
and for three random pieces, the deletion test: remove its three strongest pieces together,
score the text again, and average the chosen label's log-odds lost (higher: the pieces carry
more of the decision).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from mentions import make  # noqa: E402

from monitor.classify.artifact import PACKAGED_DIR  # noqa: E402
from monitor.classify.builtin import BuiltinClassifier  # noqa: E402
from monitor.classify.dataset import default_data_files, load_files  # noqa: E402
from monitor.classify.explain import (  # noqa: E402
    MIN_DROP,
    cue_reason,
    decomposition_drops,
    log_odds,
    occlusion_drops,
    pieces,
)
from monitor.classify.text import normalize  # noqa: E402


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def without_all(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with every span removed."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="texts (half mentions, half data)")
    parser.add_argument("--artifact", type=Path, default=PACKAGED_DIR)
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()

    clf = BuiltinClassifier.from_artifact(args.artifact)
    data = load_files(default_data_files())
    rng = np.random.default_rng(3)
    texts = [normalize(m.full_text) for m in make(args.n // 2, seed=5)]
    texts += [normalize(data[i].text) for i in rng.choice(len(data), args.n - len(texts),
                                                          replace=False)]
    head = clf.head
    began = time.perf_counter()
    readings = clf.read(texts, [0] * len(texts))
    one_pass = time.perf_counter() - began
    stats = {k: {"in_top3": 0, "same_top": 0, "rho": [], "any": 0} for k in ("cue head",
                                                                         "last layer")}
    occl_any, n, chance, occl_s = 0, 0, [], 0.0
    deletion: dict[str, list[float]] = {"occlusion": [], "cue head": [], "last layer": [],
                                        "random": []}
    shown: list[str] = []
    for text, r in zip(texts, readings, strict=True):
        spans = pieces(text)
        if len(spans) < 2:
            continue
        best = int(r.probs.argmax())
        began = time.perf_counter()
        occ = occlusion_drops(clf, text, spans, rating=0, probs=r.probs, label_index=best)
        occl_s += time.perf_counter() - began
        top3 = set(np.argsort(-occ, kind="stable")[:3].tolist())
        n += 1
        chance.append(min(3, len(spans)) / len(spans))
        occl_any += bool((occ >= MIN_DROP).any())
        ours = {
            "cue head": decomposition_drops(r.token_logits, r.offsets, spans,
                                            offset=r.cue_offset, temperature=head.temperature,
                                            label_index=best),
            "last layer": decomposition_drops(
                clf.encoder.encode([text])[0].hidden @ head.weight.T, r.offsets, spans,
                offset=head.bias, temperature=head.temperature, label_index=best),
        }
        tops = {name: [spans[i] for i in np.argsort(-d, kind="stable")[:3]]
                for name, d in {"occlusion": occ, **ours}.items()}
        tops["random"] = [spans[i] for i in rng.choice(len(spans), min(3, len(spans)),
                                                      replace=False)]
        kept = clf.score_texts([without_all(text, t) for t in tops.values()], 0)[:, best]
        for name, p in zip(tops, kept, strict=True):
            deletion[name].append(float(log_odds(r.probs[best]) - log_odds(p)))
        for name, drops in ours.items():
            s = stats[name]
            s["in_top3"] += int(np.argmax(drops)) in top3
            s["same_top"] += int(np.argmax(drops)) == int(np.argmax(occ))
            s["rho"].append(spearman(drops, occ))
            s["any"] += bool((drops >= MIN_DROP).any())
        if len(shown) < args.examples and len(spans) <= 12:
            label = ("complaint", "question", "praise", "other")[best]
            shown.append(f"[{label} {r.probs[best]:.2f}] {text[:100]!r}\n"
                         f"    occlusion:  {cue_reason(text, spans, occ)}\n"
                         f"    cue head:   {cue_reason(text, spans, ours['cue head'])}\n"
                         f"    last layer: {cue_reason(text, spans, ours['last layer'])}")
    print(f"{n} texts with 2+ pieces ({clf.name}); chance that a random piece is among "
          f"occlusion's top 3: {np.mean(chance):.0%}")
    print(f"{'cues from':<12} {'top in occl. top-3':>18} {'same top':>9} {'rank corr.':>10} "
          f"{'any cue':>8}")
    for name, s in stats.items():
        print(f"{name:<12} {s['in_top3'] / n:>18.0%} {s['same_top'] / n:>9.0%} "
              f"{np.mean(s['rho']):>10.2f} {s['any'] / n:>8.0%}")
    print(f"{'occlusion':<12} {'':>18} {'':>9} {'':>10} {occl_any / n:>8.0%}")
    print("deletion test, log-odds of the chosen label lost when the 3 strongest pieces go: "
          + ", ".join(f"{k} {np.mean(v):.2f}" for k, v in deletion.items()))
    print(f"time: one pass for all {len(texts)} texts {one_pass:.1f}s; occlusion {occl_s:.1f}s "
          f"more ({occl_s / max(one_pass, 1e-9):.0f}x)")
    for line in shown:
        print(line)


if __name__ == "__main__":
    main()
