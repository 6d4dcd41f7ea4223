"""`brand-monitor init DIR`: a starter config and rules that work as written, and next steps."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from monitor.config import load_settings
from tests.clirun import cli_env, run_cli


def test_init__writes_a_working_site_and_prints_next_steps_that_run(tmp_path: Path) -> None:
    site = tmp_path / "site"
    res = run_cli("init", str(site), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (site / "config.yaml").is_file() and (site / "rules" / "acme.yaml").is_file()
    settings = load_settings(site / "config.yaml", environ={})
    assert (settings.rules_dir, settings.data_dir) == (site / "rules", site / "data")
    assert settings.enabled_sources() == []  # nothing polls until the admin says so
    steps = [line.strip() for line in res.stdout.splitlines() if " rules " in line
             and "--config" in line]
    assert len(steps) == 2  # rules check, rules test: run them as printed, from elsewhere
    for line in steps:
        done = subprocess.run(shlex.split(line), capture_output=True, text=True,
                              cwd=tmp_path / "site" / "rules", env=cli_env(tmp_path),
                              timeout=120)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    assert "5 passed, 0 failed" in done.stdout  # the example brand's examples hold
    assert "run --config" in res.stdout and "status --config" in res.stdout


def test_init__never_overwrites(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "rules").mkdir(parents=True)
    (site / "rules" / "acme.yaml").write_text("# mine\n")
    res = run_cli("init", str(site), cwd=tmp_path)
    assert res.returncode == 1
    (line,) = res.stderr.splitlines()
    assert line.startswith("error: ") and "acme.yaml already exists" in line
    assert not (site / "config.yaml").exists()  # checked before anything was written
    assert (site / "rules" / "acme.yaml").read_text() == "# mine\n"


def test_init__default_is_the_working_directory(tmp_path: Path) -> None:
    res = run_cli("init", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "config.yaml").is_file() and (tmp_path / ".gitignore").read_text() == \
        "data/\n"
