"""Pipeline vs raw encoder in one process: texts/s of each stage, their ratios and peak RSS.

Prints figures; it is not a test. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pipeline.py [--n 400] [--poll 100]

The pipeline is built by the daemon's own `build_app` (SQLite in a temp dir, rules/ and the
knowledge base replies on); the mentions are real-shaped (benchmarks/mentions.py): tweets,
Reddit threads and long store reviews. Each figure runs on the same texts.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from mentions import make  # noqa: E402

from monitor.classify.base import ClassifierInput  # noqa: E402
from monitor.models import Batch, Mention  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_encoder_rate(texts: list[str], batch_size: int) -> float:
    """Texts/s of the packaged MiniLM alone: tokenize, forward, mean-pool (length-sorted
    batches, as the classifier runs them)."""
    import torch

    from monitor.classify.model import encoder_dir, load_pretrained, mean_pool

    tokenizer, model = load_pretrained(encoder_dir())
    order = sorted(texts, key=len)
    began = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            enc = tokenizer(order[i:i + batch_size], padding=True, truncation=True,
                            max_length=256, return_tensors="pt")
            out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
            mean_pool(out.last_hidden_state, enc["attention_mask"])
    return len(texts) / (time.perf_counter() - began)


def run_pipeline(app: object, items: list[Mention], poll: int) -> tuple[float, Counter[str]]:
    by_source: dict[str, list[Mention]] = {}
    for m in items:
        by_source.setdefault(m.source, []).append(m)
    labels: Counter[str] = Counter()
    began = time.perf_counter()
    for source, ms in by_source.items():
        for i in range(0, len(ms), poll):
            stats = app.pipeline.process(  # type: ignore[attr-defined]
                source, Batch(mentions=tuple(ms[i:i + poll]), next_cursor=str(i)))
            labels.update(stats.labels)
    return len(items) / (time.perf_counter() - began), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--poll", type=int, default=100, help="mentions per poll")
    args = parser.parse_args()

    from monitor.app import build_app
    from monitor.config import load_settings

    items = make(args.n)
    texts = [m.full_text for m in items]
    words = sorted(len(t.split()) for t in texts)
    print(f"{len(items)} mentions ({Counter(m.source for m in items)}); words per text: median "
          f"{words[len(words) // 2]}, max {words[-1]}, {sum(w > 60 for w in words)} over 60")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, environ={}, overrides={
            "data_dir": tmp, "rules_dir": str(ROOT / "rules"), "log_level": "WARNING"})
        began = time.perf_counter()
        app = build_app(settings)
        build_s = time.perf_counter() - began
        began = time.perf_counter()
        run_pipeline(app, make(12, seed=99), args.poll)  # loads the model(s), warms the KB
        warm_s = time.perf_counter() - began
        pipe_rate, labels = run_pipeline(app, items, args.poll)
        pipe_rss = peak_mb()
        clf = app.classifier
        inputs = [ClassifierInput(text=m.full_text, rating=m.rating, source=m.source)
                  for m in items]
        began = time.perf_counter()
        clf.classify(inputs)
        reasons_rate = len(items) / (time.perf_counter() - began)
        explain = getattr(clf, "explain", None)
        clf.explain = False  # type: ignore[attr-defined]
        began = time.perf_counter()
        clf.classify(inputs)
        plain_rate = len(items) / (time.perf_counter() - began)
        clf.explain = explain  # type: ignore[attr-defined]
        raw_rate = raw_encoder_rate(texts, settings.classifier.batch_size)
        app.close()
    print(f"build_app {build_s:.1f}s; first poll (model load, KB index) {warm_s:.1f}s")
    print(f"labels: {dict(labels)}")
    print(f"{'stage':<34} {'texts/s':>8} {'vs encoder':>10}")
    for name, rate in [("raw encoder (MiniLM, torch)", raw_rate),
                       ("classifier, no reasons", plain_rate),
                       ("classifier with reasons", reasons_rate),
                       ("pipeline (build_app, KB, SQLite)", pipe_rate)]:
        print(f"{name:<34} {rate:>8.1f} {rate / raw_rate:>9.1%}")
    print(f"peak RSS after the pipeline run: {pipe_rss:.0f} MB; at the end: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
