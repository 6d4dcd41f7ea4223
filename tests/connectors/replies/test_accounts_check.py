"""`brand-monitor accounts check` as an operator runs it, against the platform fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from connectors.replies.options import RepliesSettings
from monitor.accounts.check import check_accounts, publisher_options
from monitor.config import Secrets, Settings
from tests.fakes import publish_googleplay, publish_x
from tests.fakes.server import FakeServer

ROOT = Path(__file__).resolve().parents[3]


def _run(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("X_", "REDDIT_", "TRUSTPILOT_", "GOOGLE_", "ASC_", "SLACK_",
                                  "BRAND_MONITOR_"))}
    return subprocess.run([sys.executable, "-m", "monitor", "accounts", "check", "-c",
                           str(config), *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, **env, "PYTHONPATH": str(ROOT)}, timeout=120)


def _config(tmp_path: Path, replies: dict[str, object]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "replies": replies}))
    return path


def test_accounts_check__a_writable_account_passes(fake_server: FakeServer,
                                                   tmp_path: Path) -> None:
    kit = publish_x.kit(fake_server)
    result = _run(_config(tmp_path, {"x": kit.options}), kit.env)
    assert result.returncode == 0, result.stderr
    assert "X: can post replies" in result.stdout
    assert "Reddit: not configured" in result.stdout and "REDDIT_USERNAME" in result.stdout
    assert "Feed: cannot be answered here" in result.stdout


def test_accounts_check__an_account_without_write_access_fails_naming_it(
        fake_server: FakeServer, tmp_path: Path) -> None:
    kit = publish_x.kit(fake_server)
    kit.fake.read_only()
    result = _run(_config(tmp_path, {"x": kit.options}), kit.env)
    assert result.returncode == 1
    assert "X: CANNOT post replies" in result.stdout and "Read and write" in result.stdout
    assert not [s for s in kit.secrets if s in result.stdout + result.stderr]


def test_accounts_check__nothing_configured_is_not_a_failure(tmp_path: Path) -> None:
    result = _run(_config(tmp_path, {}), {}, "--json")
    assert result.returncode == 0, result.stderr
    states = {s["source"]: s["state"] for s in json.loads(result.stdout)}
    assert states["x"] == "not_configured" and states["rss"] == "cannot_answer"
    assert "sample" not in states


def test_check_accounts__a_broken_key_file_cannot_write(tmp_path: Path) -> None:
    bad = tmp_path / "key.json"
    bad.write_text("{not json")
    statuses = {s.source: s for s in check_accounts(
        Settings(), Secrets({"GOOGLE_PLAY_SERVICE_ACCOUNT": str(bad)}))}
    assert statuses["googleplay"].state == "cannot_write"
    assert "GOOGLE_PLAY_SERVICE_ACCOUNT" in statuses["googleplay"].details[0]


def test_publisher_options__check_targets_default_to_the_polled_apps(
        fake_server: FakeServer, tmp_path: Path) -> None:
    settings = Settings(sources={"googleplay": {"apps": [
        {"id": publish_googleplay.APP, "brand": "parcelly"}]}}, replies=RepliesSettings())
    assert publisher_options(settings, "googleplay")["apps"] == [publish_googleplay.APP]
