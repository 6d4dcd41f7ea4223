"""A store seeded with known cases and audit events, at known times, for the report tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from monitor import triage
from monitor.config import Settings, SlackSettings
from monitor.models import Label, Priority
from monitor.store import Store
from monitor.store.tables import CaseRow, EventRow
from tests import factories as f

NOW = f.NOW  # 2026-11-20 12:00 UTC, a Friday
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def add(store: Store, *, label: Label, posted: datetime, opened: datetime | None = None,
        brand: str = "parcelly", source: str = "x", priority: Priority = Priority.NORMAL,
        handle: str | None = None, followers: int | None = 120, confidence: float = 0.9,
        text: str = "parcelly parcel never arrived", url: str | None = None) -> int:
    """Store one mention and its case as the pipeline would, the case opened at `opened`
    (save_batch stamps it with the wall clock, so the case and its 'created' event are moved)."""
    m = f.mention(text, created_at=posted, source=source, followers=followers,
                  **({"handle": handle} if handle else {}), **({"url": url} if url else {}))
    item = f.item(m, label=label, brand=brand, priority=priority)
    item = dataclasses.replace(item, classification=dataclasses.replace(
        item.classification, confidence=confidence))
    (case_id,) = store.save_batch(source, [item], None)
    opened = opened or posted
    with store.session() as s:
        s.execute(update(CaseRow).where(CaseRow.id == case_id)
                  .values(created_at=opened, updated_at=opened))
        s.execute(update(EventRow).where(EventRow.case_id == case_id,
                                         EventRow.action == "created").values(at=opened))
    return case_id


@dataclass
class Seeded:
    now: datetime
    cases: dict[str, int]


def seed(store: Store, now: datetime = NOW) -> Seeded:
    """The scenario every exact-value test reads (times relative to `now`):

    c1 urgent complaint, opened 09:05 the day before: claimed +10 min, handled +40 min
    c2 normal complaint, opened 10:00 the day before: handled straight away after 1 h
    c3 normal question (lumo), opened 2 days before at 08:00: claimed +5 h, handled +6 h,
       reopened +7 h, handled again +8 h
    c4 high complaint, 2 days before: dismissed as not relevant after 30 min (no response)
    c5 urgent complaint (brewbird), 10 min before now: nobody yet (target not yet due)
    c6 low question (reddit), 5 days before: never answered (1-day target missed)
    five praise mentions 3 days before, one 'other', two praise the week before, one after now.
    """
    c: dict[str, int] = {}
    t1 = now - DAY - 3 * HOUR  # the day before, 09:00 for NOW
    c["c1"] = add(store, label=Label.COMPLAINT, posted=t1, opened=t1 + 5 * MIN,
                  priority=Priority.URGENT)
    triage.claim(store, c["c1"], actor="U1", at=t1 + 15 * MIN)
    triage.handle(store, c["c1"], actor="U1", at=t1 + 45 * MIN)
    t2 = now - DAY - 2 * HOUR
    c["c2"] = add(store, label=Label.COMPLAINT, posted=t2)
    triage.handle(store, c["c2"], actor="U2", at=t2 + HOUR)
    t3 = now - 2 * DAY - 4 * HOUR
    c["c3"] = add(store, label=Label.QUESTION, posted=t3, brand="lumo")
    triage.claim(store, c["c3"], actor="U1", at=t3 + 5 * HOUR)
    triage.handle(store, c["c3"], actor="U1", at=t3 + 6 * HOUR)
    triage.reopen(store, c["c3"], actor="U2", at=t3 + 7 * HOUR)
    triage.handle(store, c["c3"], actor="U2", at=t3 + 8 * HOUR)
    t4 = now - 2 * DAY
    c["c4"] = add(store, label=Label.COMPLAINT, posted=t4, priority=Priority.HIGH)
    triage.dismiss(store, c["c4"], actor="U1", at=t4 + 30 * MIN)
    c["c5"] = add(store, label=Label.COMPLAINT, posted=now - 10 * MIN, brand="brewbird",
                  priority=Priority.URGENT)
    c["c6"] = add(store, label=Label.QUESTION, posted=now - 5 * DAY - 2 * HOUR,
                  source="reddit", priority=Priority.LOW)
    tp = now - 3 * DAY
    for key, handle, followers, conf, source in [
        ("p1", "fan_big", 5000, 0.95, "x"),
        ("p2", "fan_small", 10, 0.953, "x"),  # rounds to 0.95: fewer followers, second
        ("p3", "celebrity", 1_000_000, 0.80, "reddit"),
        ("p4", "fan_big", 5000, 0.94, "x"),  # same author again: not quoted twice
        ("p5", "meh", 50, 0.70, "x"),
    ]:
        c[key] = add(store, label=Label.PRAISE, posted=tp, handle=handle, followers=followers,
                     confidence=conf, source=source, text=f"love parcelly, says {handle}")
    c["o1"] = add(store, label=Label.OTHER, posted=now - 4 * DAY, source="trustpilot")
    for i in range(2):
        add(store, label=Label.PRAISE, posted=now - 10 * DAY + i * HOUR)
    add(store, label=Label.COMPLAINT, posted=now + HOUR)  # after the window
    return Seeded(now, c)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'reports.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return seed(store)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", slack=SlackSettings())


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`report` run in-process (CliRunner) configures the root logger onto the runner's stream,
    which is closed afterwards: put the root logger back, so later tests (tests/rules' caplog
    assertions) neither capture INFO lines nor write to a closed file."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
