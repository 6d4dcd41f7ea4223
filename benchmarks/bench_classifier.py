"""Classifier throughput and peak RSS at batch 1, 16, 64, with and without reasons (prints).

Each configuration runs in a fresh process so that its peak RSS is its own:

    .venv/bin/python benchmarks/bench_classifier.py [--artifact DIR] [--data FILE.jsonl] [--n 256]

Texts come from --data (or the shipped training data) and are classified in one call, which
sorts them by length and runs batches of the given size; the model is the packaged default
unless --artifact names another. "reasons" rows include the cues, the rating's effect and the
retrieval embedding, all from the same pass; "occlusion" re-scores each piece of each text (the
reasons before #14, what hub models still do), for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [("plain", 1), ("plain", 16), ("plain", 64), ("reasons", 32), ("occlusion", 32)]


def _texts(data: Path | None, n: int) -> list[tuple[str, int | None]]:
    from monitor.classify.dataset import default_data_files, load_files

    examples = load_files([data] if data else default_data_files())
    step = max(1, len(examples) // n)  # spread over files and sources, deterministic
    return [(ex.text, ex.rating) for ex in examples[::step][:n]]


def run_one(*, mode: str, batch: int, artifact: Path | None, data: Path | None, n: int
            ) -> dict[str, object]:
    import numpy as np

    from monitor.classify.artifact import PACKAGED_DIR
    from monitor.classify.base import ClassifierInput
    from monitor.classify.builtin import BuiltinClassifier, rating_index
    from monitor.classify.explain import explain
    from monitor.classify.text import normalize

    began = time.perf_counter()
    clf = BuiltinClassifier.from_artifact(artifact or PACKAGED_DIR, batch_size=batch,
                                          threads=int(os.environ.get("BENCH_THREADS", "2")),
                                          explain=mode == "reasons")
    texts = _texts(data, n if mode != "occlusion" else min(n, 64))
    inputs = [ClassifierInput(text=t, rating=r) for t, r in texts]
    clf.classify(inputs[:batch])  # loads the encoder, warms up
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    results = clf.classify(inputs)  # one call, as the pipeline makes per poll
    if mode == "occlusion":
        for (text, rating), res in zip(texts, results, strict=True):
            p = np.array([res.scores[k] for k in ("complaint", "question", "praise", "other")])
            explain(clf, text=normalize(text), rating=rating_index(rating), probs=p,
                    label_index=int(p.argmax()))
    elapsed = time.perf_counter() - began
    return {
        "mode": mode, "batch": batch, "n": len(inputs),
        "texts_per_s": round(len(inputs) / elapsed, 1),
        "ms_per_text": round(1000 * elapsed / len(inputs), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_s": round(load_s, 2),
        "model": clf.name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "BATCH"))
    args = parser.parse_args()
    if args.one:
        mode, batch = args.one
        result = run_one(mode=mode, batch=int(batch), artifact=args.artifact, data=args.data,
                         n=args.n)
        print(json.dumps(result))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"{'mode':<9} {'batch':>5} {'n':>5} {'texts/s':>8} {'ms/text':>8} {'peak RSS MB':>11} "
          f"{'load s':>6}")
    for mode, batch in CONFIGS:
        cmd = [sys.executable, __file__, "--one", mode, str(batch), "--n", str(args.n)]
        if args.artifact:
            cmd += ["--artifact", str(args.artifact)]
        if args.data:
            cmd += ["--data", str(args.data)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['mode']:<9} {r['batch']:>5} {r['n']:>5} {r['texts_per_s']:>8} "
              f"{r['ms_per_text']:>8} {r['peak_rss_mb']:>11} {r['load_s']:>6}", flush=True)
    print(f"model {r['model']}, {os.environ.get('BENCH_THREADS', '2')} threads")


if __name__ == "__main__":
    main()
