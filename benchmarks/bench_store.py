"""Store.save_batch: milliseconds per stored mention (SQLite, polls of 100 actionable items).

    PYTHONPATH=. python benchmarks/bench_store.py [--polls 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from monitor.models import TriageItem
from monitor.store import Store
from tests import factories as f

TEXT = "the app crashes every time I open it, three days now and support never answers"


def poll(size: int, first: int) -> list[TriageItem]:
    return [f.item(f.mention(source="x", external_id=f"id{first + i}", text=TEXT))
            for i in range(size)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polls", type=int, default=4)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = Store.from_url(f"sqlite:///{Path(d) / 'bench.sqlite'}")
        store.save_batch("x", poll(100, 0), None)  # warm: tables, statement cache
        spent = 0.0
        for n in range(args.polls):
            items = poll(100, 1000 * (n + 1))
            start = time.perf_counter()
            store.save_batch("x", items, None)
            spent += time.perf_counter() - start
        print(f"save_batch: {spent / (100 * args.polls) * 1000:.2f} ms per mention "
              f"({args.polls} polls of 100)")
        if args.profile:
            items = poll(100, 10**6)
            cProfile.runctx('store.save_batch("x", items, None)', globals(), locals(),
                            str(Path(d) / "prof"))
            pstats.Stats(str(Path(d) / "prof")).sort_stats("cumulative").print_stats(15)
        store.close()


if __name__ == "__main__":
    main()
