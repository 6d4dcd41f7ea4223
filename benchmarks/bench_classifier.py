"""Classifier throughput and peak RSS at batch 1, 16, 64, fp32 and int8 (prints, no asserts).

Each configuration runs in a fresh process so that its peak RSS is its own:

    .venv/bin/python benchmarks/bench_classifier.py [--artifact DIR] [--data FILE.jsonl] [--n 256]

Texts come from --data (or the shipped training data) and are classified in one call, which
sorts them by length and runs batches of the given size; the model is the packaged default
unless --artifact names another. "reasons" rows include the occlusion explanations.
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
CONFIGS = [
    ("fp32", 1, False), ("fp32", 16, False), ("fp32", 64, False),
    ("int8", 1, False), ("int8", 16, False), ("int8", 64, False),
    ("fp32", 16, True), ("int8", 16, True),
]


def _texts(data: Path | None, n: int) -> list[tuple[str, int | None]]:
    from monitor.classify.dataset import default_data_files, load_files

    examples = load_files([data] if data else default_data_files())
    step = max(1, len(examples) // n)  # spread over files and sources, deterministic
    return [(ex.text, ex.rating) for ex in examples[::step][:n]]


def run_one(*, precision: str, batch: int, reasons: bool, artifact: Path | None,
            data: Path | None, n: int) -> dict[str, object]:
    import torch

    from monitor.classify.artifact import PACKAGED_DIR
    from monitor.classify.base import ClassifierInput
    from monitor.classify.builtin import BuiltinClassifier

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    began = time.perf_counter()
    clf = BuiltinClassifier.from_artifact(artifact or PACKAGED_DIR, batch_size=batch,
                                          quantized=precision == "int8", explain=reasons)
    load_s = time.perf_counter() - began
    texts = _texts(data, n if not reasons else min(n, 64))
    inputs = [ClassifierInput(text=t, rating=r) for t, r in texts]
    clf.classify(inputs[:batch])  # warm-up
    began = time.perf_counter()
    clf.classify(inputs)  # one call, as the pipeline makes per poll: batches of `batch`
    elapsed = time.perf_counter() - began
    return {
        "precision": precision, "batch": batch, "reasons": reasons, "n": len(inputs),
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
    parser.add_argument("--one", nargs=3, metavar=("PRECISION", "BATCH", "REASONS"))
    args = parser.parse_args()
    if args.one:
        precision, batch, reasons = args.one
        result = run_one(precision=precision, batch=int(batch), reasons=reasons == "1",
                         artifact=args.artifact, data=args.data, n=args.n)
        print(json.dumps(result))
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    print(f"{'precision':<9} {'batch':>5} {'reasons':>7} {'n':>5} {'texts/s':>8} {'ms/text':>8} "
          f"{'peak RSS MB':>11} {'load s':>6}")
    for precision, batch, reasons in CONFIGS:
        cmd = [sys.executable, __file__, "--one", precision, str(batch), "1" if reasons else "0",
               "--n", str(args.n)]
        if args.artifact:
            cmd += ["--artifact", str(args.artifact)]
        if args.data:
            cmd += ["--data", str(args.data)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['precision']:<9} {r['batch']:>5} {'yes' if r['reasons'] else 'no':>7} "
              f"{r['n']:>5} {r['texts_per_s']:>8} {r['ms_per_text']:>8} {r['peak_rss_mb']:>11} "
              f"{r['load_s']:>6}", flush=True)
    print(f"model {str(r['model']).removesuffix('+int8')}, "
          f"{os.environ.get('BENCH_THREADS', '2')} threads")


if __name__ == "__main__":
    main()
