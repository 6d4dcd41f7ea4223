"""`brand-monitor report`: JSON for scripts, the terminal table, the PNG chart, bad input."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from monitor.cli import app, main
from monitor.clock import utcnow
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.reports.chart import DPI, HEIGHT, WIDTH, render_png
from monitor.reports.period import compute
from monitor.store import Store
from tests.clirun import REPO, run_cli
from tests.reports.conftest import NOW, Seeded, seed


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\nlog_level: WARNING\n")
    return path


@pytest.fixture
def cli_store(tmp_path: Path) -> Iterator[Store]:
    (tmp_path / "data").mkdir()
    s = Store.from_url(f"sqlite:///{tmp_path / 'data' / 'brand-monitor.sqlite'}")
    yield s
    s.close()


def decode(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")


def share_of(img: np.ndarray, rgb: str) -> float:
    """The share of pixels of colour `rgb` ('#rrggbb'), within rounding."""
    want = np.array([int(rgb[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    close = np.all(np.abs(img[:, :, :3] - want) < 0.02, axis=2)
    return float(close.mean())


def test_chart__png_decodes_at_the_expected_size_with_bars_and_line(
        store: Store, seeded: Seeded, settings: Settings) -> None:
    from monitor.reports.chart import COLORS, RESPONSE_COLOR

    png = render_png(compute(store, settings, since="7d", now=NOW))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = decode(png)
    assert img.shape[:2] == (int(HEIGHT * DPI), int(WIDTH * DPI)) == (600, 1200)
    for label in ("complaint", "question", "praise", "other"):
        assert share_of(img, COLORS[label]) > 0.001, label  # every label's bars are drawn
    assert share_of(img, RESPONSE_COLOR) > 0.0005  # the response-time line and markers


def test_chart__empty_report_still_renders(store: Store, settings: Settings) -> None:
    img = decode(render_png(compute(store, settings, since="24h", now=NOW)))
    assert img.shape[:2] == (600, 1200)


def test_report_cli__json_is_the_only_stdout(cli_store: Store, cfg: Path, tmp_path: Path
                                            ) -> None:
    seed(cli_store, now=utcnow())
    out = tmp_path / "chart.png"
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--since", "7d",
                                      "--json", "--png", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["mentions"], data["cases"], data["answered"]) == (12, 6, 3)
    assert data["first_response"] == {"count": 3, "median_seconds": 3600.0,
                                      "p90_seconds": pytest.approx(15120.0)}
    assert data["praise"] == {"current": 5, "previous": 2, "change_pct": 150.0}
    assert "chart written to" in result.stderr
    assert decode(out.read_bytes()).shape[:2] == (600, 1200)


def test_report_cli__brand_option_filters(cli_store: Store, cfg: Path) -> None:
    seed(cli_store, now=utcnow())
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--brand", "brewbird",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["by_brand"] == {"brewbird": 1}


def test_report_cli__table_for_people(cli_store: Store, cfg: Path) -> None:
    seed(cli_store, now=utcnow())
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--since", "7d"],
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for text in ("12 mentions", "first response", "1h 00m", "fan_big", "urgent",
                 "3 of 6 cases answered", "within target 50%"):
        assert text in result.stdout, text


def test_report_cli__empty_store_reports_zeros(cli_store: Store, cfg: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["mentions"], data["cases"], data["first_contact_resolution"]) == (0, 0, 0.0)


def test_report_cli__bad_since_is_one_line(cfg: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--since", "1y"])
    assert isinstance(result.exception, ConfigError)
    monkeypatch.setattr(sys, "argv", ["brand-monitor", "report", "--since", "1y"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err == "error: --since: expected a period like 30m, 24h, 7d or 2w, got '1y'\n"


def test_report_cli__unwritable_png_is_one_line(cli_store: Store, cfg: Path, tmp_path: Path
                                                ) -> None:
    target = tmp_path / "missing-dir" / "chart.png"
    result = CliRunner().invoke(app, ["report", "--config", str(cfg), "--png", str(target)])
    assert isinstance(result.exception, ConfigError)
    assert "--png: cannot write the chart to" in str(result.exception)


def test_report_cli__missing_database_is_named_not_created(cfg: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--config", str(cfg)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith("data_dir: no database at ")
    assert not (tmp_path / "data" / "brand-monitor.sqlite").exists()


# --- as a user runs it (python -m monitor) ---------------------------------------------------

def rules_cfg(tmp_path: Path) -> Path:
    path = tmp_path / "with-rules.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\nrules_dir: {REPO / 'rules'}\n"
                    "log_level: WARNING\n")
    return path


def test_report_cli__brand_by_its_display_name(cli_store: Store, tmp_path: Path) -> None:
    seed(cli_store, now=utcnow())
    cfg = rules_cfg(tmp_path)
    res = run_cli("report", "--config", str(cfg), "--brand", "Lumo", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["by_brand"] == {"lumo": 1}
    res = run_cli("report", "--config", str(cfg), "--brand", "Lumoo", cwd=tmp_path)
    assert res.returncode == 1
    (line,) = res.stderr.splitlines()
    assert line == ("error: --brand: unknown brand 'Lumoo'; the rules files know: "
                    "brewbird (Brewbird), lumo (Lumo Bank), parcelly (Parcelly)")


def test_report_cli__json_lists_only_days_with_mentions(cli_store: Store, cfg: Path,
                                                       tmp_path: Path) -> None:
    seed(cli_store, now=utcnow())
    res = run_cli("report", "--config", str(cfg), "--json", "--since", "3650d", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert 1 <= len(data["by_day"]) <= 9  # the seeded fortnight, not 3,651 empty days
    assert all(sum(counts.values()) or data["first_response_by_day"][day] is not None
               for day, counts in data["by_day"].items())
    assert sum(sum(c.values()) for c in data["by_day"].values()) == data["mentions"]


def test_report_cli__missing_database_advice_is_right(cfg: Path, tmp_path: Path) -> None:
    res = run_cli("report", "--config", str(cfg), cwd=tmp_path)
    assert res.returncode == 1
    (line,) = res.stderr.splitlines()
    assert "no database at" in line and "demo" not in line  # no demo ran: no advice about it
    demo_cfg = tmp_path / ".local" / "share" / "brand-monitor" / "demo" / "config.yaml"
    demo_cfg.parent.mkdir(parents=True)
    demo_cfg.write_text("data_dir: x\n")
    (line,) = run_cli("report", "--config", str(cfg), cwd=tmp_path).stderr.splitlines()
    assert line.endswith(f"for the demo's data: --config {demo_cfg}")
