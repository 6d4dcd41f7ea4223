"""Pipeline vs raw encoder in one process: texts/s of each stage, their ratios and peak RSS.

Prints figures; it is not a test. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pipeline.py [--n 400] [--poll 100]
        [--rounds 3] [--all-sources] [--torch-reference]

The pipeline is built by the daemon's own `build_app` (SQLite in a temp dir, rules/ and the
knowledge base replies on); the mentions are real-shaped (benchmarks/mentions.py): tweets,
Reddit threads and long store reviews. Every figure runs on the same texts in this process:

- raw encoder: the classifier's own encoder (ONNX Runtime), tokenize + forward + mean-pool,
  length-sorted batches, nothing else; every other rate is divided by it;
- classifier without / with reasons (label, confidence, cues, rating effect, embedding);
- pipeline: dedupe, rules, the classifier, knowledge-base replies, SQLite, polls of --poll.

The stages run interleaved for --rounds rounds (the pipeline on fresh ids each round) and each
prints its best round, so that a neighbour's load on a shared machine skews no ratio alone.

`--all-sources` also enables every registered source (fake credentials, nothing is polled) so
the RSS includes their libraries, as the daemon has them. `--torch-reference` times the
packaged MiniLM on PyTorch in a subprocess, for comparison (its memory is not counted here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from mentions import make  # noqa: E402

from monitor.classify.base import ClassifierInput  # noqa: E402
from monitor.models import Batch, Mention  # noqa: E402

FAKE_ENV = {"REDDIT_CLIENT_ID": "bench", "REDDIT_CLIENT_SECRET": "bench",
            "X_BEARER_TOKEN": "bench", "TRUSTPILOT_API_KEY": "bench"}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def raw_encoder_rate(encoder: Any, texts: list[str]) -> float:
    began = time.perf_counter()
    for enc in encoder.encode(texts):
        enc.hidden.mean(axis=0)
    return len(texts) / (time.perf_counter() - began)


def torch_reference(texts: list[str], batch_size: int) -> float:
    """Texts/s of the packaged MiniLM on PyTorch (what the classifier ran on before #14)."""
    code = (
        "import json, sys, time, torch\n"
        "from monitor.classify.model import encoder_dir, load_pretrained, mean_pool\n"
        "texts, bs = json.load(sys.stdin)\n"
        "tok, model = load_pretrained(encoder_dir())\n"
        "order = sorted(texts, key=len)\n"
        "t = time.perf_counter()\n"
        "with torch.inference_mode():\n"
        "    for i in range(0, len(order), bs):\n"
        "        e = tok(order[i:i + bs], padding=True, truncation=True, max_length=256,\n"
        "                return_tensors='pt')\n"
        "        mean_pool(model(**e).last_hidden_state, e['attention_mask'])\n"
        "print(len(texts) / (time.perf_counter() - t))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps([texts, batch_size]),
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip().splitlines()[-1])


def run_pipeline(app: Any, items: list[Mention], poll: int) -> tuple[float, Counter[str]]:
    by_source: dict[str, list[Mention]] = {}
    for m in items:
        by_source.setdefault(m.source, []).append(m)
    labels: Counter[str] = Counter()
    began = time.perf_counter()
    for source, ms in by_source.items():
        for i in range(0, len(ms), poll):
            stats = app.pipeline.process(source, Batch(mentions=tuple(ms[i:i + poll]),
                                                       next_cursor=str(i)))
            labels.update(stats.labels)
    return len(items) / (time.perf_counter() - began), labels


def settings_for(tmp: str, *, all_sources: bool) -> Any:
    from connectors import registry
    from monitor.config import load_settings

    overrides: dict[str, Any] = {"data_dir": tmp, "rules_dir": str(ROOT / "rules"),
                                 "log_level": "WARNING"}
    if all_sources:
        overrides["sources"] = {name: {"enabled": True} for name in registry.SOURCES}
        overrides["sources"]["reddit"]["subreddits"] = ["bench"]
    return load_settings(None, environ={}, overrides=overrides)


def examples(app: Any, items: list[Mention]) -> list[str]:
    """A complaint, a question and a praise as the Slack message shows their reasons."""
    from monitor.pipeline import brand_names

    rules = app.rules.current()
    out: list[str] = []
    for label in ("complaint", "question", "praise"):
        for m in items:
            if m.source not in ("x", "googleplay"):
                continue
            names = brand_names(rules.match(m))
            (c,) = app.classifier.classify([ClassifierInput(text=m.full_text, rating=m.rating,
                                                            names=names)])
            if c.label.value == label and len(c.reasons) > 1:
                out.append(f"{m.full_text[:90]!r}{f' ({m.rating}★)' if m.rating else ''}\n"
                           f"    -> {' · '.join(c.reasons)}")
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--poll", type=int, default=100, help="mentions per poll")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many")
    parser.add_argument("--all-sources", action="store_true")
    parser.add_argument("--torch-reference", action="store_true")
    args = parser.parse_args()

    from monitor.app import build_app
    from monitor.classify.text import normalize
    from monitor.config import Secrets

    items = make(args.n)
    texts = [m.full_text for m in items]
    words = sorted(len(t.split()) for t in texts)
    print(f"{len(items)} mentions ({dict(Counter(m.source for m in items))}); words per text: "
          f"median {words[len(words) // 2]}, max {words[-1]}, {sum(w > 60 for w in words)} "
          f"over 60")
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(tmp, all_sources=args.all_sources)
        began = time.perf_counter()
        # the daemon reads its secrets once and passes them in: fake ones enable every source
        app = build_app(settings, secrets=Secrets.from_environ(
            FAKE_ENV if args.all_sources else {}))
        build_s = time.perf_counter() - began
        build_rss = rss_mb()
        began = time.perf_counter()
        run_pipeline(app, make(60, seed=99), args.poll)  # loads the model, indexes each KB
        warm_s = time.perf_counter() - began
        clf = app.classifier
        inputs = [ClassifierInput(text=m.full_text, rating=m.rating, source=m.source)
                  for m in items]
        rates: dict[str, list[float]] = {k: [] for k in ("raw", "plain", "reasons", "pipe")}
        # each round runs every stage once, interleaved, so that a neighbour's load on a
        # shared machine hits them alike; each stage's best round is reported
        for r in range(args.rounds):
            fresh = [replace(m, external_id=f"{m.external_id}-r{r}") for m in items]
            rate, labels = run_pipeline(app, fresh, args.poll)
            rates["pipe"].append(rate)
            if r == 0:
                pipe_peak, pipe_rss = peak_mb(), rss_mb()
            began = time.perf_counter()
            clf.classify(inputs)
            rates["reasons"].append(len(items) / (time.perf_counter() - began))
            explain = clf.explain
            clf.explain = False
            began = time.perf_counter()
            clf.classify(inputs)
            rates["plain"].append(len(items) / (time.perf_counter() - began))
            clf.explain = explain
            rates["raw"].append(raw_encoder_rate(clf.encoder, [normalize(t) for t in texts]))
        raw_rate, plain_rate, reasons_rate, pipe_rate = (max(rates[k]) for k in
                                                         ("raw", "plain", "reasons", "pipe"))
        steady_rss = rss_mb()
        lines = examples(app, items)
        app.close()
    print(f"build_app {build_s:.1f}s ({len(app.connectors)} sources enabled: "
          f"{', '.join(app.connectors) or 'none'}); first poll (model load, KB index) "
          f"{warm_s:.1f}s")
    print(f"labels: {dict(labels)}")
    print(f"best of {args.rounds} interleaved rounds; pipeline / raw encoder per round: "
          + ", ".join(f"{p / e:.0%}" for p, e in zip(rates["pipe"], rates["raw"], strict=True)))
    print(f"{'stage':<36} {'texts/s':>8} {'vs encoder':>10}")
    rows = [("raw encoder (ONNX Runtime)", raw_rate), ("classifier, no reasons", plain_rate),
            ("classifier with reasons", reasons_rate),
            ("pipeline (build_app, KB, SQLite)", pipe_rate)]
    if args.torch_reference:
        rows.insert(1, ("raw encoder on PyTorch (reference)",
                        torch_reference([normalize(t) for t in texts],
                                        settings.classifier.batch_size)))
    for name, rate in rows:
        print(f"{name:<36} {rate:>8.1f} {rate / raw_rate:>9.1%}")
    print(f"RSS: {build_rss:.0f} MB after build_app, {pipe_rss:.0f} MB after the first pipeline "
          f"run (peak {pipe_peak:.0f} MB), {steady_rss:.0f} MB after {args.rounds} rounds; peak "
          f"at the end {peak_mb():.0f} MB")
    print("reasons as Slack shows them:")
    for line in lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
