"""`brand-monitor status` says unhealthy whenever the installation is not doing its job."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clirun import REPO, run_cli


def status(tmp_path: Path, *args: str, env: dict[str, str] | None = None
           ) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = run_cli("status", "--json", *args, cwd=tmp_path, env=env)
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout)


def test_status__no_config_no_rules_is_unhealthy_and_creates_nothing(tmp_path: Path) -> None:
    code, report = status(tmp_path)
    assert code == 1 and not report["healthy"]
    text = " | ".join(report["problems"])
    for expected in ("does not exist", "no database at", "no source is enabled",
                     "rules directory"):
        assert expected in text, text
    assert not (tmp_path / ".local").exists()  # no data directory, no empty database


def test_status__missing_data_dir_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'nowhere'}\nrules_dir: {REPO / 'rules'}\n"
                   "sources: {sample: {enabled: true}}\n")
    code, report = status(tmp_path, "--config", str(cfg))
    assert code == 1
    assert f"data_dir {tmp_path / 'nowhere'} does not exist" in report["problems"]
    assert not (tmp_path / "nowhere").exists()


def test_status__enabled_source_without_credentials_or_never_polled(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\nrules_dir: {REPO / 'rules'}\n"
                   "sources: {x: {enabled: true}}\n")
    assert run_cli("db", "upgrade", "--config", str(cfg), cwd=tmp_path).returncode == 0
    code, report = status(tmp_path, "--config", str(cfg))
    assert code == 1
    (problem,) = [p for p in report["problems"] if p.startswith("x is enabled but cannot run")]
    assert "X_BEARER_TOKEN" in problem
    code, report = status(tmp_path, "--config", str(cfg), env={"X_BEARER_TOKEN": "t"})
    assert code == 1
    assert report["problems"] == ["x has never been polled: is the daemon running?"]
