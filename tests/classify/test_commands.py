"""`model train` and `model eval`: JSON output, metrics, reproducibility, feedback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.classify.artifact import PACKAGED_DIR, find_artifact, read_metadata
from monitor.classify.base import ClassifierInput
from monitor.classify.builtin import BuiltinClassifier
from monitor.classify.commands import app
from monitor.classify.metrics import report
from monitor.models import LABELS

pytestmark = pytest.mark.slow

TINY = [
    ("the checkout page keeps failing and my card got charged anyway", "complaint", 1),
    ("my parcel is two weeks late and nobody replies to my emails", "complaint", None),
    ("terrible update, the app freezes on the home screen", "complaint", 2),
    ("they cancelled my booking without telling me, furious", "complaint", None),
    ("the headphones stopped charging after a month", "complaint", 1),
    ("still waiting on my refund, third time asking", "complaint", None),
    ("does the family plan work across different countries?", "question", None),
    ("how can I download my invoices as pdf?", "question", 4),
    ("is there a size guide for the winter boots?", "question", None),
    ("can I pause my subscription for a month?", "question", None),
    ("what's the battery life of the new model?", "question", 3),
    ("do you deliver on saturdays?", "question", None),
    ("the staff were lovely and the room was spotless", "praise", 5),
    ("super quick delivery, really happy with it", "praise", 5),
    ("thanks for sorting my account out so fast!", "praise", None),
    ("best running shoes I have ever owned", "praise", 5),
    ("this app makes budgeting actually fun", "praise", 4),
    ("great service, will order again", "praise", None),
    ("shares rose 4 percent after the earnings call", "other", None),
    ("join our team: we are hiring store managers", "other", None),
    ("the river near my house is called amazon lol", "other", None),
    ("giveaway time! follow and retweet to win", "other", None),
    ("new store opening downtown next spring", "other", None),
    ("watching the match with friends tonight", "other", None),
]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    rows = [{"text": t, "label": lab, **({"rating": r} if r else {})} for t, lab, r in TINY]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("BRAND_MONITOR_DATA_DIR", str(tmp_path / "data"))
    yield CliRunner()


def test_eval__json_metrics_match_the_classifier(runner: CliRunner, tiny: Path,
                                                 builtin: BuiltinClassifier) -> None:
    result = runner.invoke(app, ["eval", "--data", str(tiny), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert {"macro_f1", "per_class", "confusion", "n", "texts_per_second", "labels"} <= set(got)
    assert got["n"] == len(TINY)
    assert got["labels"] == [label.value for label in LABELS]
    predicted = [r.label for r in builtin.classify(
        [ClassifierInput(text=t, rating=r) for t, _, r in TINY])]
    truth = [LABELS.index(next(x for x in LABELS if x.value == lab)) for _, lab, _ in TINY]
    expected = report(truth, [LABELS.index(p) for p in predicted])
    assert got["confusion"] == expected["confusion"]
    assert got["macro_f1"] == pytest.approx(expected["macro_f1"])
    assert sum(map(sum, got["confusion"])) == len(TINY)
    assert got["texts_per_second"] > 0


def test_eval__table_output_and_missing_file(runner: CliRunner, tiny: Path,
                                             tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--data", str(tiny)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and "texts/s" in result.stdout
    missing = runner.invoke(app, ["eval", "--data", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.output


def test_eval__python_m_monitor_prints_only_json(tiny: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
           "BRAND_MONITOR_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "model", "eval", "--data", str(tiny), "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == len(TINY)
    assert proc.stdout.strip().count("\n") == 0


def _train(runner: CliRunner, tiny: Path, out: Path, *extra: str) -> dict[str, object]:
    result = runner.invoke(app, ["train", "--data", str(tiny), "--out", str(out), "--seed", "7",
                                 "--epochs", "1", "--layers", "1", *extra])
    assert result.exit_code == 0, result.output
    found = find_artifact(out)
    assert found is not None
    return read_metadata(found)


def test_train__same_seed_same_metrics_and_weights(runner: CliRunner, tiny: Path,
                                                   tmp_path: Path) -> None:
    a = _train(runner, tiny, tmp_path / "a")
    b = _train(runner, tiny, tmp_path / "b")
    assert a["metrics"] == b["metrics"]
    assert a["version"] == b["version"] and a["seed"] == 7
    wa = (tmp_path / "a" / str(a["version"]) / "weights.safetensors").read_bytes()
    wb = (tmp_path / "b" / str(b["version"]) / "weights.safetensors").read_bytes()
    assert wa == wb


def test_train__artifact_in_data_dir_is_what_build_classifier_loads(
    runner: CliRunner, tiny: Path, tmp_path: Path
) -> None:
    from monitor.classify import build_classifier, resolve_artifact
    from monitor.config import Settings

    data_dir = tmp_path / "data"
    assert resolve_artifact(Settings(data_dir=data_dir)) == find_artifact(PACKAGED_DIR)
    meta = _train(runner, tiny, data_dir / "model")
    assert resolve_artifact(Settings(data_dir=data_dir)).name == meta["version"]
    clf = build_classifier(Settings(data_dir=data_dir))
    assert clf.name == f"builtin:{meta['version']}"
    assert len(clf.classify([ClassifierInput(text="hello")])) == 1


def test_train__include_feedback_adds_slack_corrections(
    runner: CliRunner, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.store as store_mod

    closed: list[bool] = []

    class FakeStore:
        def iter_label_feedback(self) -> Iterator[tuple[str, str, int | None]]:
            yield "app logs me out every hour", "complaint", 2
            yield "is dark mode coming?", "question", None

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(store_mod.Store, "from_settings", classmethod(lambda cls, s: FakeStore()))
    meta = _train(runner, tiny, tmp_path / "fb", "--include-feedback")
    assert meta["n"]["feedback"] == 2  # type: ignore[index]
    assert closed == [True]
