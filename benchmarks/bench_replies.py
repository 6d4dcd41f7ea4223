"""Knowledge-base retrieval quality and speed: top-1 accuracy, false claims, threshold sweep.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_replies.py [--knowledge DIR] [--data FILE]

Prints, for the labeled set in monitor/replies/eval_questions.yaml, the top-1 accuracy, the
share of answerable questions claimed right / wrong and of unanswerable ones claimed (false
claims) at each threshold, the threshold `calibrate` picks, and throughput; for the path the
pipeline takes (the mention's vector from the classifier's own pass, `--path classifier`,
the default) and for the packaged encoder embedding each mention again (`--path encoder`,
what hub classifiers get, and what every mention got before #14).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from monitor.replies.evaluate import calibrate, load_items, metrics, score
from monitor.replies.knowledge import load_knowledge
from monitor.replies.retrieval import DEFAULT_THRESHOLD, EmbeddingCache, MiniLMEmbedder, Retriever
from monitor.rules.loader import load_rules

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "rules" / "knowledge")
    parser.add_argument("--data", type=Path, default=None, help="labeled questions (YAML)")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules",
                        help="rules folder whose brand names are left out, as in the daemon")
    parser.add_argument("--path", choices=("classifier", "encoder"), default="classifier")
    parser.add_argument("--artifact", type=Path, default=None, help="classifier artifact")
    parser.add_argument("--misses", action="store_true", help="list wrong top-1 answers")
    args = parser.parse_args()

    rules = load_rules(args.rules)
    kbs = {b: replace(kb, names=(rules.brand(b).name,)) if b in {x.id for x in rules.brands}
           else kb for b, kb in load_knowledge(args.knowledge).items()}
    items = load_items(args.data)
    embedder = MiniLMEmbedder()
    retriever = Retriever(embedder, cache=EmbeddingCache(None))
    t0 = time.perf_counter()
    for kb in kbs.values():
        retriever.warm(kb)
    t_index = time.perf_counter() - t0
    classifier = None
    if args.path == "classifier":
        from monitor.classify.artifact import PACKAGED_DIR
        from monitor.classify.builtin import BuiltinClassifier

        classifier = BuiltinClassifier.from_artifact(args.artifact or PACKAGED_DIR,
                                                     explain=False)
        score(items[:2], kbs, retriever, classifier=classifier)  # load before timing
        print(f"mention vectors: {classifier.name}'s own pass (projected)")
    else:
        print("mention vectors: the packaged encoder, a second pass")
    t0 = time.perf_counter()
    scored = score(items, kbs, retriever, classifier=classifier)
    t_query = time.perf_counter() - t0

    n_var = sum(len(e.questions) for kb in kbs.values() for e in kb.entries)
    n_ent = sum(len(kb.entries) for kb in kbs.values())
    print(f"knowledge: {n_ent} entries, {n_var} question variants, {len(kbs)} brands "
          f"(indexed in {t_index:.1f}s incl. model load)")
    at = metrics(scored, DEFAULT_THRESHOLD)
    print(f"labeled set: {at.answerable} answerable, {at.unanswerable} unanswerable; "
          f"{len(items) / t_query:.1f} mentions/s")
    print(f"top-1 accuracy (answerable, no threshold): {at.top1:.1%}")
    print("threshold  claimed-right  claimed-wrong  false-claims(unanswerable)")
    for t in [0.45, 0.5, 0.525, 0.55, 0.575, 0.6, 0.625, 0.65, 0.7]:
        m = metrics(scored, t)
        mark = "  <- DEFAULT_THRESHOLD" if abs(t - DEFAULT_THRESHOLD) < 1e-9 else ""
        print(f"  {t:.3f}      {m.claimed_correct:6.1%}        {m.wrong_claims:6.1%}"
              f"         {m.false_claims:6.1%}{mark}")
    best = calibrate(scored)
    print(f"calibrated threshold (false and wrong claims <= 15%): {best.threshold:.3f} -> "
          f"right {best.claimed_correct:.1%}, wrong {best.wrong_claims:.1%}, "
          f"false claims {best.false_claims:.1%}")
    if args.misses:
        for s in scored:
            got = s.top.entry.id if s.top else None
            if s.item.expect and got != s.item.expect:
                print(f"  miss [{s.item.brand}] {s.item.text[:70]!r}: {got} "
                      f"({s.top.score if s.top else 0:.3f}), want {s.item.expect}")


if __name__ == "__main__":
    main()
