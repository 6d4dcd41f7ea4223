"""Exact metric values from a seeded store with known audit events; zeros for an empty store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.periods import parse_period as parse_since
from monitor.reports.metrics import percentile
from monitor.reports.period import compute
from monitor.store import Store
from tests.reports.conftest import NOW, Seeded, seed
from tests.store.conftest import _pg_store


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Store]:
    """One seeded store per backend for the tests that only read it (seeding takes a while)."""
    if request.param == "postgres":
        for s in _pg_store():
            seed(s)
            yield s
        return
    s = Store.from_url(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'r.sqlite'}")
    seed(s)
    yield s
    s.close()


def test_percentile__interpolates_between_ranks() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([600, 3600, 18000], 0.5) == 3600
    assert percentile([600, 3600, 18000], 0.9) == pytest.approx(15120)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5


@pytest.mark.parametrize(("text", "expected"), [
    ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)),
    (" 30D ", timedelta(days=30)),
])
def test_parse_since__accepts_hours_days_weeks(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d7", "1y", "-3d", "0d", "7 days"])
def test_parse_since__rejects_anything_else(text: str) -> None:
    with pytest.raises(ConfigError, match="--since"):
        parse_since(text)


def test_report__response_times_from_audit_events(shared: Store, settings: Settings) -> None:
    r = compute(shared, settings, since="7d", now=NOW)
    assert (r.cases, r.answered) == (6, 3)  # c4 was dismissed: not a response
    # c1 600 s (claim), c2 3600 s (handled straight away), c3 18000 s (claim; reopen kept it)
    assert r.first_response.count == 3
    assert r.first_response.median_seconds == 3600
    assert r.first_response.p90_seconds == pytest.approx(15120)
    # c1 2400 s, c2 3600 s, c3 28800 s (to the last 'handled', after the reopen)
    assert r.resolution.count == 3
    assert r.resolution.median_seconds == 3600
    assert r.resolution.p90_seconds == pytest.approx(23760)
    assert r.handled == 3
    assert r.first_contact_resolution == pytest.approx(2 / 3)  # c3 was reopened


def test_report__share_within_target_per_priority(shared: Store, settings: Settings) -> None:
    r = compute(shared, settings, since="7d", now=NOW)
    got = {t.priority: (t.target_minutes, t.cases, t.due, t.within, t.share)
           for t in r.within_target}
    assert got == {
        "urgent": (30, 2, 1, 1, 1.0),  # c5 is 10 min old: not due yet
        "high": (60, 1, 0, 0, 0.0),  # c4 dismissed as not relevant: needed no answer
        "normal": (240, 2, 2, 1, 0.5),  # c3 was claimed after 5 h
        "low": (1440, 1, 1, 0, 0.0),  # c6 unanswered for 5 days
    }
    assert [t.priority for t in r.within_target] == ["urgent", "high", "normal", "low"]
    assert r.within_target_share == 0.5


def test_report__volumes_by_brand_label_source_and_day(shared: Store, settings: Settings) -> None:
    r = compute(shared, settings, since="7d", now=NOW)
    assert r.mentions == 12  # the week before and the mention after now are outside
    assert r.by_label == {"complaint": 4, "praise": 5, "question": 2, "other": 1}
    assert r.by_brand == {"parcelly": 10, "brewbird": 1, "lumo": 1}
    assert r.by_source == {"x": 9, "reddit": 2, "trustpilot": 1}
    days = list(r.by_day)
    assert (days[0], days[-1], len(days)) == ("2026-11-13", "2026-11-20", 8)
    assert r.by_day["2026-11-19"] == {"complaint": 2, "question": 0, "praise": 0, "other": 0}
    assert r.by_day["2026-11-17"]["praise"] == 5
    assert sum(sum(d.values()) for d in r.by_day.values()) == 12
    assert r.first_response_by_day["2026-11-19"] == 2100  # median of 600 s and 3600 s
    assert r.first_response_by_day["2026-11-18"] == 18000
    assert r.first_response_by_day["2026-11-17"] is None


def test_report__praise_trend_and_most_active_authors(shared: Store, settings: Settings) -> None:
    r = compute(shared, settings, since="7d", now=NOW)
    assert (r.praise.current, r.praise.previous, r.praise.change_pct) == (5, 2, 150.0)
    top = r.top_authors[0]
    assert (top.source, top.handle, top.mentions, top.followers, top.labels) == \
        ("x", "fan_big", 2, 5000, {"praise": 2})
    assert len(r.top_authors) == 5


def test_report__brand_filter_keeps_only_that_brand(shared: Store, settings: Settings) -> None:
    r = compute(shared, settings, since="7d", brand="lumo", now=NOW)
    assert (r.mentions, r.by_brand, r.cases, r.answered) == (1, {"lumo": 1}, 1, 1)
    assert r.first_response.median_seconds == 18000
    assert r.first_contact_resolution == 0.0


def test_report__relabel_in_slack_counts_under_the_new_label(store: Store, seeded: Seeded,
                                                             settings: Settings) -> None:
    from monitor import triage

    triage.relabel(store, seeded.cases["p5"], actor="U1", label="complaint")
    r = compute(store, settings, since="7d", now=NOW)
    assert (r.by_label["praise"], r.by_label["complaint"]) == (4, 5)


def test_report__empty_store_gives_zeros(store: Store, settings: Settings) -> None:
    r = compute(store, settings, since="30d", now=NOW)
    assert (r.mentions, r.cases, r.answered, r.handled) == (0, 0, 0, 0)
    assert (r.first_response.count, r.first_response.median_seconds,
            r.first_response.p90_seconds) == (0, 0.0, 0.0)
    assert r.within_target_share == 0.0 and r.first_contact_resolution == 0.0
    assert all(t.share == 0.0 for t in r.within_target)
    assert (r.praise.current, r.praise.previous, r.praise.change_pct) == (0, 0, 0.0)
    assert r.by_label == {} and r.top_authors == []
    assert len(r.by_day) == 31 and all(sum(d.values()) == 0 for d in r.by_day.values())
    json.dumps(r.to_json())  # serialisable as it is


def test_report__window_is_half_open(store: Store, settings: Settings) -> None:
    from monitor.models import Label
    from tests.reports.conftest import add

    end = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    add(store, label=Label.PRAISE, posted=end)  # at the end: the next period's
    add(store, label=Label.PRAISE, posted=end - timedelta(days=1))  # at the start: this one
    r = compute(store, settings, since="24h", now=end)
    assert r.mentions == 1
    assert list(r.by_day) == ["2026-11-19"]
