"""End-to-end pipeline throughput: mentions/s through dedupe, rules, model, replies, SQLite.

Prints figures; it is not a test. Usage: python benchmarks/bench_pipeline.py [N]
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.classify import build_classifier
from monitor.config import load_settings
from monitor.models import Author, Batch, Mention
from monitor.pipeline import Pipeline
from monitor.replies.templates import TemplateSuggester
from monitor.rules.watcher import RulesWatcher
from monitor.store import Store

REPO = Path(__file__).resolve().parents[1]
PHRASES = [
    "@parcelly my parcel is three days late, tracking hasn't moved",
    "does the Lumo app support Apple Pay?",
    "Brewbird's new Ethiopian roast is incredible, thank you",
    "parcel arrived fine from my mum, no courier drama",
    "Lumo Bank froze my card and nobody answers the chat",
    "can I pause my brewbird subscription for a month?",
    "the lumo lamp in my hallway finally died",
    "Parcelly driver left it in the rain AGAIN",
]


def mentions(n: int, seed: int = 7) -> list[Mention]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        Mention(source="x", external_id=str(10_000_000 + i),
                text=f"{rng.choice(PHRASES)} #{i}", created_at=start + timedelta(seconds=i),
                author=Author(handle=f"user{rng.randrange(5000)}", followers=rng.randrange(10**5)))
        for i in range(n)
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, environ={}, overrides={
            "data_dir": tmp, "rules_dir": str(REPO / "rules")})
        store = Store.from_settings(settings)
        rules = RulesWatcher(settings.rules_dir)
        t0 = time.perf_counter()
        classifier = build_classifier(settings)
        load_s = time.perf_counter() - t0
        pipeline = Pipeline(store=store, rules=rules.current, classifier=classifier,
                            suggester=TemplateSuggester(rules.current().reply_templates),
                            slack=settings.slack)
        items = mentions(n)
        t0 = time.perf_counter()
        stored = 0
        for i in range(0, n, 100):  # polls of 100, like a busy source
            stats = pipeline.process("x", Batch(mentions=tuple(items[i:i + 100]),
                                                next_cursor=str(i)))
            stored += stats.stored
        secs = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = pipeline.process("x", Batch(mentions=tuple(items[:1000]), next_cursor="x"))
        dedupe_s = time.perf_counter() - t0
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"classifier load: {load_s:.1f}s")
        print(f"pipeline: {n} mentions in {secs:.1f}s = {n / secs:.0f} mentions/s "
              f"({stored} matched and stored, batches of 100)")
        print(f"dedupe of 1000 already-stored mentions: {dedupe_s * 1000:.0f} ms "
              f"(dropped {again.dropped.get('seen', 0)})")
        print(f"peak RSS: {rss_mb:.0f} MB")
        store.close()


if __name__ == "__main__":
    main()
