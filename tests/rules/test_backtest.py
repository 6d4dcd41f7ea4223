"""The backtest core: stored mentions replayed through new rules, changes counted by kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.models import Mention
from monitor.periods import parse_period as parse_since
from monitor.rules.backtest import backtest
from tests.rules.helpers import load_yaml, mention


@dataclass(frozen=True)
class Stored:
    mention: Mention
    brand: str | None
    rule: str | None


def test_backtest__counts_each_kind_of_change(tmp_path: Path) -> None:
    rules = load_yaml(tmp_path, """
        brands:
          - id: acme
            query: acme
            queries:
              app: '"acme app"'
          - id: zeta
            query: zeta
        """)
    stored = [
        Stored(mention("acme rocks", external_id="1"), "acme", "acme.query"),  # unchanged
        Stored(mention("zeta rocks", external_id="2"), "acme", "acme.query"),  # change brand
        Stored(mention("nothing", external_id="3"), "acme", "acme.query"),  # stop matching
        Stored(mention("the acme app", external_id="4"), "acme", "acme.app"),  # change rule
        Stored(mention("acme again", external_id="5"), None, None),  # newly match
        Stored(mention("nothing", external_id="6", author="x"), "acme", "acme.query"),
    ]
    report = backtest(stored, rules, examples=1)
    assert report.total == 6 and report.unchanged == 1 and report.changed == 5
    assert dict(report.counts) == {"change_brand": 1, "stop_matching": 2, "change_rule": 1,
                                   "newly_match": 1}
    assert len(report.examples["stop_matching"]) == 1  # capped at `examples`
    stop = report.examples["stop_matching"][0]
    assert (stop.old_brand, stop.new_brand, stop.reason) == ("acme", None, "no rule")
    moved = report.examples["change_brand"][0]
    assert (moved.old_brand, moved.new_brand, moved.new_rule) == ("acme", "zeta", "zeta.query")


def test_backtest__exclusions_show_as_the_drop_reason(tmp_path: Path) -> None:
    rules = load_yaml(tmp_path, "brands: [{id: acme, handles: [acme], query: acme}]")
    report = backtest([Stored(mention("acme news", author="acme"), "acme", "acme.query")], rules)
    assert report.examples["stop_matching"][0].reason == "excluded: own account"


@pytest.mark.parametrize(("text", "delta"), [
    ("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)),
    ("2w", timedelta(weeks=2)), (" 1D ", timedelta(days=1)),
])
def test_parse_since__units(text: str, delta: timedelta) -> None:
    assert parse_since(text) == delta


@pytest.mark.parametrize("text", ["", "7", "d7", "7y", "-1d", "seven days"])
def test_parse_since__rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_since(text)
