"""`brand-monitor demo` as a user runs it: config and environment honoured, nothing pending
unsaid, and the commands it prints work as printed."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from monitor.demo.run import BUNDLED_RULES, demo_settings
from tests.clirun import cli_env, run_cli
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack


def test_demo_settings__user_settings_with_the_demo_rules_source_and_data(tmp_path: Path
                                                                         ) -> None:
    cfg = tmp_path / "my.yaml"
    cfg.write_text("rules_dir: /srv/real-rules\nknowledge_dir: /srv/kb\n"
                   "sources:\n  x: {enabled: true}\n  sample: {rounds: 1}\n"
                   "slack: {base_url: 'http://file.example/api/'}\n")
    env = {"BRAND_MONITOR_DATA_DIR": str(tmp_path / "state"),
           "BRAND_MONITOR_DATABASE_URL": "sqlite:////tmp/elsewhere.sqlite",
           "BRAND_MONITOR_SLACK__TIMEOUT": "3"}
    s = demo_settings(config=cfg, environ=env)
    assert s.slack.base_url == "http://file.example/api/" and s.slack.timeout == 3
    assert s.db_url == "sqlite:////tmp/elsewhere.sqlite"  # the database the user asked for
    assert s.data_dir == tmp_path / "state" / "demo"  # never the real data directory itself
    assert s.rules_dir == BUNDLED_RULES and s.kb_dir == BUNDLED_RULES / "knowledge"
    assert s.enabled_sources() == ["sample"] and s.sources["sample"]["rounds"] == 1


@pytest.mark.slow
def test_demo__config_and_environment_honoured_pending_said_and_next_commands_work(
        tmp_path: Path, fake_server: FakeServer) -> None:
    down = FakeSlack(fake_server)  # reachable, but every post fails: delivery must wait
    down.fail("chat.postMessage", status=500, times=1000)
    cfg = tmp_path / "my.yaml"
    cfg.write_text(f"sources:\n  sample:\n    rounds: 1\nslack:\n  base_url: {down.base_url}\n")
    token = {"SLACK_BOT_TOKEN": "xoxb-demo-test"}

    first = run_cli("demo", "--config", str(cfg), cwd=tmp_path, env=token)
    assert first.returncode == 1, first.stdout + first.stderr
    assert [m for m, _ in down.calls].count("chat.postMessage") >= 1  # the config's Slack
    error = first.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and "not delivered yet" in error
    assert "Traceback" not in first.stderr
    assert "not delivered yet" in first.stdout  # the summary says it too
    assert re.search(r"classifier \S+ loaded in \d+\.\ds", first.stdout)  # the slow part

    with FakeServer() as server:
        up = FakeSlack(server)
        env = {**token, "BRAND_MONITOR_SLACK__BASE_URL": up.base_url}  # wins over the file
        second = run_cli("demo", "--config", str(cfg), cwd=tmp_path, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "every Slack message is delivered" in second.stdout
        assert "Nothing new" in second.stdout  # the samples were stored by the first run
        assert len(up.posted(top_level=True)) > 0  # what the first run left is delivered
        keys = [m.metadata["event_payload"]["outbox_key"] for m in up.posted()]  # type: ignore[index]
        assert len(keys) == len(set(keys))

    printed = [line.strip() for line in second.stdout.splitlines()
               if " --config " in line and "demo" in line]
    assert [shlex.split(p)[3] for p in printed] == ["report", "status", "rules"]
    for line in printed:  # as printed, in a shell without the demo's environment
        res = subprocess.run(shlex.split(line), capture_output=True, text=True, cwd=tmp_path,
                             env=cli_env(tmp_path), timeout=300)
        assert res.returncode == 0, f"{line}\n{res.stdout}\n{res.stderr}"
        assert "error" not in res.stderr.lower(), res.stderr
