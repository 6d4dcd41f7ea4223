"""Report, chart, digest and spike-check timings on a generated store of N mentions (SQLite).

Prints figures; it is not a test. Usage: python benchmarks/bench_reports.py [N] [DAYS]
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from monitor.config import Settings
from monitor.reports.chart import render_png
from monitor.reports.digest import build_digest
from monitor.reports.period import compute
from monitor.reports.spikes import detect
from monitor.store import Store
from monitor.store.tables import CaseRow, EventRow, MentionRow

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BRANDS = ("parcelly", "lumo", "brewbird")
SOURCES = ("x", "reddit", "appstore", "googleplay", "trustpilot")
LABELS = ("complaint", "question", "praise", "other")


def generate(store: Store, n: int, days: int, seed: int = 7) -> None:
    """N mentions spread over `days`, each with a case; actionable cases mostly claimed and
    handled, some dismissed or reopened: the audit events a busy team leaves."""
    rng = random.Random(seed)
    mentions, cases, events = [], [], []
    for i in range(1, n + 1):
        at = NOW - timedelta(seconds=rng.uniform(0, days * 86400))
        label = rng.choices(LABELS, weights=(4, 2, 3, 2))[0]
        mentions.append(dict(id=i, source=rng.choice(SOURCES), external_id=str(i),
                             brand=rng.choice(BRANDS), text=f"mention {i} about a parcel",
                             url=f"https://x.com/u{i % 5000}/status/{i}",
                             author_handle=f"u{i % 5000}", author_followers=rng.randint(0, 10**5),
                             created_at=at, fetched_at=at, label=label,
                             confidence=rng.uniform(0.4, 1.0), priority=rng.randint(0, 3)))
        opened = at + timedelta(seconds=rng.uniform(10, 600))
        status = "ignored" if label == "other" else "new"
        ev = [dict(case_id=i, actor="system", action="created", to_status=status, at=opened)]
        if label in ("complaint", "question"):
            r = rng.random()
            t = opened + timedelta(seconds=rng.expovariate(1 / 1800))
            if r < 0.1:
                status = "not_relevant"
                ev.append(dict(case_id=i, actor="U1", action="not_relevant", at=t))
            elif r < 0.85:
                ev.append(dict(case_id=i, actor="U1", action="claimed", at=t))
                t2 = t + timedelta(seconds=rng.expovariate(1 / 3600))
                ev.append(dict(case_id=i, actor="U1", action="handled", at=t2))
                status = "handled"
                if rng.random() < 0.05:
                    ev.append(dict(case_id=i, actor="U2", action="reopened", at=t2 + timedelta(
                        hours=1)))
                    status = "new"
        cases.append(dict(id=i, mention_id=i, status=status, label=label,
                          priority=mentions[-1]["priority"], created_at=opened,
                          updated_at=opened, reopened=int(status == "new" and len(ev) > 3)))
        events += ev
    with store.session() as s:
        for table, rows in ((MentionRow, mentions), (CaseRow, cases), (EventRow, events)):
            for k in range(0, len(rows), 5000):
                s.execute(insert(table), rows[k:k + 5000])


def timed(label: str, fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<40} {best * 1000:8.0f} ms (best of {repeat})")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 90
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        settings = Settings(data_dir=Path(tmp))
        started = time.perf_counter()
        generate(store, n, days)
        print(f"generated {n:,} mentions over {days} days in {time.perf_counter() - started:.1f}s")
        for since in ("7d", "30d", f"{days}d"):
            r = timed(f"report --since {since} (query + metrics)",
                      lambda since=since: compute(store, settings, since=since, now=NOW))
            print(f"  {r.mentions:,} mentions, {r.cases:,} cases, first response median "
                  f"{r.first_response.median_seconds / 60:.1f} min, p90 "
                  f"{r.first_response.p90_seconds / 60:.1f} min")
        r30 = compute(store, settings, since="30d", now=NOW)
        timed("chart PNG (30 days)", lambda: render_png(r30))
        timed("weekly digest (2 reports + chart + quotes)",
              lambda: build_digest(store, settings, end=NOW))
        timed("spike check (14-day baseline, all brands)",
              lambda: detect(store, settings, now=NOW))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MiB")
        store.close()


if __name__ == "__main__":
    main()
