"""The command line end to end: run --once against a fake Slack, status, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store.migrate import head_revision
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack

REPO = Path(__file__).resolve().parents[1]


def write_config(tmp_path: Path, slack_url: str, **extra: str) -> Path:
    cfg = tmp_path / "config.yaml"
    lines = [
        f"data_dir: {tmp_path / 'data'}",
        f"rules_dir: {REPO / 'rules'}",
        "sources:",
        "  sample:",
        "    enabled: true",
        "    rounds: 1",  # one polling round of the bundled samples, then nothing new
        "slack:",
        f"  base_url: {slack_url}",
        *[f"{k}: {v}" for k, v in extra.items()],
    ]
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


@pytest.mark.slow
def test_run_once__twice_posts_nothing_new(tmp_path: Path, fake_server: FakeServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    slack = FakeSlack(fake_server)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-test")
    cfg = write_config(tmp_path, slack.base_url)
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--config", str(cfg), "--once"])
    assert first.exit_code == 0, first.output
    posted = len(slack.posted(top_level=True))
    assert posted > 0
    assert all("<!channel>" not in json.dumps(m.blocks) for m in slack.posted())
    total = len(slack.posted(top_level=True))
    again = runner.invoke(app, ["run", "--config", str(cfg), "--once"])
    assert again.exit_code == 0, again.output
    assert "stored 0 new mention(s)" in again.output
    assert len(slack.posted(top_level=True)) == total
    keys = [m.metadata["event_payload"]["outbox_key"] for m in slack.posted()]
    assert len(keys) == len(set(keys))  # no outbox key was ever posted twice

    status = runner.invoke(app, ["status", "--config", str(cfg), "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert report["healthy"], report["problems"]
    assert set(report["outbox"]) == {"sent"}  # nothing pending, nothing dead
    (sample,) = [s for s in report["sources"] if s["source"] == "sample"]
    assert sample["failures"] == 0 and sample["stored_total"] == report["mentions"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                               "HOME": str(cwd)})


def test_cli__broken_config_is_one_line_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("outbox:\n  batch_size: lots\n")
    res = run_cli("status", "--config", str(cfg), cwd=tmp_path)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "outbox.batch_size" in lines[0] and "Traceback" not in res.stderr


def test_cli__run_without_sources_says_what_to_do(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\nrules_dir: {REPO / 'rules'}\n")
    res = run_cli("run", "--config", str(cfg), "--once", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1].startswith("error: no source is enabled")
    assert "Traceback" not in res.stderr


def test_cli__db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\n")
    res = run_cli("db", "upgrade", "--config", str(cfg), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"database at revision {head_revision()}" in res.stdout


def test_cli__example_config_is_valid() -> None:
    from monitor.config import load_settings

    settings = load_settings(REPO / "deploy" / "config.example.yaml", environ={})
    assert settings.rules_dir.resolve() == (REPO / "rules").resolve()


def test_cli__unwritable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {blocker / 'data'}\nrules_dir: {REPO / 'rules'}\n"
                   "sources: {sample: {enabled: true}}\n")
    for args in (("run", "--config", str(cfg), "--once"), ("db", "upgrade", "--config", str(cfg)),
                 ("demo", "--data-dir", str(blocker / "demo"))):
        res = run_cli(*args, cwd=tmp_path)
        assert res.returncode == 1, args
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in res.stderr, (args, res.stderr)
        assert lines[0].startswith("error: ") and str(blocker) in lines[0], lines


@pytest.mark.slow
def test_run_once__undelivered_messages_are_said_and_fail_the_run(
        tmp_path: Path, fake_server: FakeServer) -> None:
    slack = FakeSlack(fake_server)
    slack.fail("chat.postMessage", status=500, times=1000)
    cfg = write_config(tmp_path, slack.base_url)
    res = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(cfg), "--once"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                              "HOME": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-once",
                              "NO_PROXY": "127.0.0.1", "HF_HUB_OFFLINE": "1"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "stored " in res.stdout  # the mentions are safe in the database
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "not delivered yet" in last, last
    # the failing post's error, not a thread reply's "waiting for its parent"
    assert "(last error: Slack chat_postMessage" in last and "waiting for" not in last, last


def test_ensure_data_dir__replicas_probing_the_same_folder_at_once_all_pass(tmp_path: Path
                                                                           ) -> None:
    """Every replica of a fleet checks the shared data_dir as it starts: one's probe file
    must not be another's (one removed it under the other: 'cannot write .write-test')."""
    import threading

    from monitor.cli import ensure_data_dir
    from monitor.errors import ConfigError

    errors: list[ConfigError] = []
    start = threading.Barrier(4)

    def replica() -> None:
        start.wait()
        for _ in range(300):
            try:
                ensure_data_dir(tmp_path / "data")
            except ConfigError as e:
                errors.append(e)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list((tmp_path / "data").iterdir()) == []  # no probe left behind
