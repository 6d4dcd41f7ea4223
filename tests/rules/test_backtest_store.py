"""`rules backtest` on a real store: what the pipeline stored, replayed through the rules files."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.classify.base import ClassifierInput
from monitor.config import load_settings
from monitor.models import Batch, Classification, Label, Mention, RuleMatch
from monitor.pipeline import Pipeline
from monitor.rules.backtest import router
from monitor.rules.watcher import RulesWatcher
from monitor.store import Store
from tests import factories as f
from tests.clirun import REPO, run_cli
from tests.factories import KeywordClassifier


class ScoredClassifier(KeywordClassifier):
    """The keyword stand-in, with scores, as the real model stores them."""

    def classify(self, inputs: Sequence[ClassifierInput]) -> list[Classification]:
        return [Classification(label=c.label, confidence=0.8, scores={c.label.value: 0.8},
                               reasons=c.reasons) for c in super().classify(inputs)]


def recent(m: Mention) -> Mention:
    from dataclasses import replace

    return replace(m, created_at=datetime.now(UTC) - timedelta(hours=2))


MENTIONS = [
    f.mention("Service update: tracking broke for some customers", source="rss",
              kind="article", brand="parcelly", url="https://status.parcelly.com/1"),
    f.mention("App broke after the update, parcel lost", source="appstore", kind="review",
              brand="parcelly", rating=1),
    f.mention("Trustpilot: love the beans", source="trustpilot", kind="review",
              brand="brewbird", rating=5),
    f.mention("@parcelly where is my parcel?? lawsuit incoming"),
    f.mention("love parcelly, the driver was lovely"),
]


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """The mentions above, processed by the real pipeline with the shipped rules; the config."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\nrules_dir: {REPO / 'rules'}\n")
    settings = load_settings(cfg, environ={})
    store = Store.from_settings(settings)
    pipeline = Pipeline(store=store, rules=RulesWatcher(settings.rules_dir).current,
                        classifier=ScoredClassifier(), suggester=None, slack=settings.slack)
    for source in dict.fromkeys(m.source for m in MENTIONS):
        batch = tuple(recent(m) for m in MENTIONS if m.source == source)
        assert pipeline.process(source, Batch(mentions=batch, next_cursor=None)).stored == \
            len(batch)
    store.close()
    return cfg


def test_backtest_cli__unchanged_rules_change_nothing(stored: Path, tmp_path: Path) -> None:
    res = run_cli("rules", "backtest", "--config", str(stored), "--since", "1d", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    # review and feed items keep the brand their target gave them: nothing "stops matching"
    assert res.stdout.splitlines()[0] == \
        "5 stored mention(s) in the last 1d: 5 unchanged, 0 would change"
    assert "replaying stored mentions: 5/5 in " in res.stderr  # progress, on stderr


def test_backtest_cli__priority_label_and_channel_changes(stored: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited"
    shutil.copytree(REPO / "rules", edited)
    path = edited / "parcelly.yaml"
    text = path.read_text()
    for old, new in [
        ('stolen OR lawsuit OR "data breach"', 'stolen OR "data breach"'),  # priority
        ('      complaint: "#care-parcelly"', '      complaint: "#care-escalations"'),  # channel
        ("    channels:\n", "    overrides:\n      - name: status-posts\n        label: other\n"
                            "        query: '\"service update\"'\n    channels:\n"),  # label
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    res = run_cli("rules", "backtest", "--config", str(stored), "--rules", str(edited),
                  "--since", "1d", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.splitlines()[0] == \
        "5 stored mention(s) in the last 1d: 2 unchanged, 3 would change"
    assert "change priority: 1" in out and "parcelly: urgent -> normal" in out
    assert "change label: 1" in out and "parcelly: complaint -> other" in out
    assert "change channel: 2" in out
    assert "parcelly: #care-parcelly -> #care-escalations" in out
    assert "parcelly: #care-parcelly -> -" in out  # relabelled other: no longer posted


@pytest.mark.parametrize("label", list(Label))
def test_router__agrees_with_the_pipeline(label: Label) -> None:
    settings = load_settings(None, environ={})
    pipeline = Pipeline(store=None, rules=lambda: None, classifier=None,  # type: ignore[arg-type]
                        suggester=None, slack=settings.slack)
    for channels in ({}, {"complaint": "#c", "praise": "#p"}, {label.value: "#mine"}):
        match = RuleMatch(brand="acme", rule="acme.query", channels=channels)
        assert router(settings.slack)(match, label) == pipeline.route(match, label)
