"""Benchmark the local matcher: 100,000 mentions against 1,000 brand queries on one core.

    .venv/bin/python benchmarks/bench_rules.py [--brands 1000] [--mentions 100000] [--seed 7]

Everything is generated from a seed (brand names, queries, texts), so runs are comparable.
Prints load time, mentions/s (wall clock and process CPU time) and how many mentions matched /
were dropped.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

from monitor.errors import DropMention
from monitor.models import Author, Mention
from monitor.rules.loader import load_rules

SYLLABLES = ["ka", "lo", "mi", "zu", "ver", "tro", "pel", "qui", "nax", "dor", "bri", "sto",
             "fen", "gal", "hum", "jex", "wil", "yor", "cai", "plu"]
_COMMON_TEXT = (
    "the a an and or but if so to of in on at for with from my your our their this that "
    "is was are were be been have has had do does did not no yes very really just still "
    "app card order delivery parcel bank account transfer coffee price service support "
    "team help today yesterday week month love hate great terrible slow fast refund "
    "late broken fixed thanks please why how what when where who new old again never "
    "always ever shop store review stars job hiring lamp game music city train bus"
)
COMMON = _COMMON_TEXT.split()
SHAPES = [
    "{n} OR @{n}hq OR {n}.com",
    '"{N} app" OR (case:{N} NEAR/3 (card OR account OR transfer))',
    "{n}* AND NOT (job OR hiring)",
    '({n} OR "{n} labs") lang:en NOT lamp',
    '"{n} support" OR #{n} OR ({n} NEAR/2f (refund OR order))',
]


def brand_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(names)


def write_rules(directory: Path, names: list[str], rng: random.Random) -> None:
    brands = []
    for i, name in enumerate(names):
        shape = SHAPES[i % len(SHAPES)]
        brands.append({
            "id": f"b{i:04d}-{name}",
            "handles": [f"{name}hq"],
            "query": shape.format(n=name, N=name.capitalize()),
            "priority": [{"level": "urgent", "terms": ["lawsuit", "data breach"]},
                         {"level": "high", "query": "followers:>10000"}],
            "channels": {"complaint": f"#care-{name}", "praise": "#marketing"},
        })
    for k in range(0, len(brands), 100):
        (directory / f"brands-{k // 100:02d}.yaml").write_text(
            yaml.safe_dump({"brands": brands[k:k + 100]}, allow_unicode=True), encoding="utf-8")


def mentions(rng: random.Random, names: list[str], n: int) -> list[Mention]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        words = [rng.choice(COMMON) for _ in range(rng.randint(10, 40))]
        if rng.random() < 0.2:  # one in five mentions names a brand, in some form
            name = rng.choice(names)
            form = rng.choice([name, name.capitalize(), f"@{name}hq", f"#{name}",
                               f"{name}.com", f"{name}s"])
            words.insert(rng.randrange(len(words)), form)
        out.append(Mention(source="x", external_id=str(i), text=" ".join(words), created_at=now,
                           author=Author(handle=f"user{i}", followers=rng.randint(0, 20000)),
                           lang="en"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = brand_names(rng, args.brands)
    with tempfile.TemporaryDirectory() as tmp:
        write_rules(Path(tmp), names, rng)
        t0 = time.perf_counter()
        ruleset = load_rules(tmp)
        load_s = time.perf_counter() - t0
    texts = mentions(rng, names, args.mentions)
    outcomes: Counter[str] = Counter()
    t0, c0 = time.perf_counter(), time.process_time()
    for m in texts:
        try:
            ruleset.match(m)
            outcomes["matched"] += 1
        except DropMention as e:
            outcomes[e.reason] += 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"brands: {len(ruleset)} (loaded and compiled in {load_s:.2f}s)")
    print(f"mentions: {len(texts)} in {elapsed:.2f}s = {len(texts) / elapsed:,.0f} mentions/s "
          "(one core, wall clock)")
    print(f"          CPU time {cpu:.2f}s = {len(texts) / cpu:,.0f} mentions/s "
          "(what a busy machine's wall clock hides)")
    print("outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
