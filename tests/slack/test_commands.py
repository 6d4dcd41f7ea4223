"""`slack serve|check`, the HTTP server over loopback, and secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from typer.testing import CliRunner

from monitor.slack import commands
from monitor.slack.http import make_app_server
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import (
    SIGNING_SECRET,
    TOKEN,
    TrackingExecutor,
    block_actions,
    click,
    post_case,
    signed_request,
)

runner = CliRunner()


@pytest.fixture
def served(bolt: App) -> Iterator[str]:
    server = make_app_server(bolt, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _post(url: str, body: str, headers: dict[str, Any]) -> int:
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_http_server__signed_click_over_loopback_claims_the_case(
        store: Store, worker: OutboxWorker, slack: FakeSlack, served: str,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    with urllib.request.urlopen(f"{served}/health", timeout=5) as resp:
        assert resp.read() == b"ok\n"
    body, headers = signed_request(block_actions(msg, "case_claim", user="U0SAM0001"))
    forged = dict(headers, **{"x-slack-signature": "v0=" + "0" * 64})
    assert _post(f"{served}/slack/events", body, forged) == 401
    assert store.get_case(case_id)[0].status == "new"  # type: ignore[index]
    assert _post(f"{served}/slack/events", body, headers) == 200
    executor.drain()
    assert store.get_case(case_id)[0].owner == "U0SAM0001"  # type: ignore[index]
    assert len(msg.updates) == 1
    assert _post(f"{served}/elsewhere", body, headers) == 404


def test_serve__without_secrets_exits_1_with_one_line() -> None:
    result = runner.invoke(commands.app, ["serve"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN not set" in lines[0]


@pytest.fixture
def check_env(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, tmp_path: Path) -> Path:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({
        "data_dir": str(tmp_path), "rules_dir": str(tmp_path / "no-rules"),
        "slack": {"base_url": slack.base_url, "default_channel": "#social-care",
                  "channels": {"praise": "#marketing", "question": "#care-lumo"},
                  "oncall_group": "S0ONCALL01"}}))
    return config


def test_check__healthy_workspace_passes(check_env: Path, slack: FakeSlack,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-check")  # a healthy setup answers the buttons
    result = runner.invoke(commands.app, ["check", "--config", str(check_env)])
    assert result.exit_code == 0, result.output
    assert "token ok: bot @brand-monitor in workspace Fake" in result.output
    assert "#social-care: the bot can post here" in result.output
    assert "on-call group S0ONCALL01 (@care-oncall)" in result.output
    assert "FAIL" not in result.output


def test_check__names_each_problem_and_exits_1(check_env: Path, slack: FakeSlack) -> None:
    slack.scopes = "chat:write,channels:read,groups:read,groups:history"
    slack.outside |= {"C0MARKET01", "C0LUMO0001"}
    slack.private.add("C0LUMO0001")
    result = runner.invoke(commands.app, ["check", "--config", str(check_env)])
    assert result.exit_code == 1
    out = result.output
    assert "FAIL scope channels:history is missing" in out
    assert "optional scope channels:join not granted" in out
    assert "FAIL #marketing: the bot is not a member" in out  # cannot join without the scope
    assert "FAIL #care-lumo: the bot is not a member" in out
    slack.scopes += ",channels:history,channels:join"
    out = runner.invoke(commands.app, ["check", "--config", str(check_env)]).output
    assert "#marketing: public; the bot will join it on its first post" in out
    assert "FAIL #care-lumo" in out  # private: only an invite helps


def test_check__rejected_token_is_one_clear_line(check_env: Path, slack: FakeSlack) -> None:
    slack.fail("auth.test", error="invalid_auth")
    result = runner.invoke(commands.app, ["check", "--config", str(check_env)])
    assert result.exit_code == 1
    assert "FAIL the bot token was rejected (invalid_auth)" in result.output
    assert TOKEN not in result.output


def test_logs__never_contain_tokens_or_the_signing_secret(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    case_id, msg = post_case(store, worker, slack)
    slack.fail("chat.update", status=500)
    click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001"))
    slack.fail("chat.update", error="invalid_auth")
    worker.run_once()
    click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001"),
          secret="wrong-secret")
    assert "message update failed" in caplog.text  # the failures were logged ...
    assert "invalid_auth" in caplog.text
    assert TOKEN not in caplog.text  # ... without the secrets
    assert SIGNING_SECRET not in caplog.text
    assert store.get_case(case_id)[0].status == "claimed"  # type: ignore[index]


def test_manifest__grants_every_scope_the_app_uses_and_socket_mode() -> None:
    import yaml

    from monitor.slack.check import OPTIONAL_SCOPES, REQUIRED_SCOPES

    path = Path(__file__).resolve().parents[2] / "deploy" / "slack-app-manifest.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == set(REQUIRED_SCOPES) | set(OPTIONAL_SCOPES)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "event_subscriptions" not in manifest["settings"]  # the app listens to no events


def test_serve__process_answers_signed_clicks_and_rejects_forged_ones(
        store: Store, worker: OutboxWorker, slack: FakeSlack, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    case_id, msg = post_case(store, worker, slack)
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "BRAND_MONITOR_SLACK__BASE_URL": slack.base_url,
           "BRAND_MONITOR_DATA_DIR": str(tmp_path),
           "BRAND_MONITOR_DATABASE_URL": store.engine.url.render_as_string(),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "slack", "serve", "--host",
                             "127.0.0.1", "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, (tmp_path / "serve.log").read_text()
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        body, headers = signed_request(block_actions(msg, "case_claim", user="U0SAM0001"))
        assert _post(url, body, dict(headers, **{"x-slack-signature": "v0=bad"})) == 401
        assert _post(url, body, headers) == 200
        deadline = time.monotonic() + 15
        while not msg.updates and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        assert store.get_case(case_id)[0].owner == "U0SAM0001"  # type: ignore[index]
        assert msg.updates and "Claimed by <@U0SAM0001>" in str(msg.blocks)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    assert TOKEN not in (tmp_path / "serve.log").read_text()


def test_check__approval_groups_must_exist_have_members_and_be_readable(
        check_env: Path, slack: FakeSlack) -> None:
    config = json.loads(check_env.read_text())
    config["replies"] = {"approval": [{"group": "S0LEADS001"}, {"group": "S0NOBODY01"}]}
    check_env.write_text(json.dumps(config))
    slack.usergroups["S0LEADS001"] = ["U0LEE0003", "U0SAM0001"]
    out = runner.invoke(commands.app, ["check", "--config", str(check_env)]).output
    assert "ok   reply approvers S0LEADS001: 2 member(s) can approve" in out
    assert "FAIL reply approvers S0NOBODY01: not usable (no_such_subteam)" in out
    slack.scopes = slack.scopes.replace(",usergroups:read", "")
    out = runner.invoke(commands.app, ["check", "--config", str(check_env)]).output
    assert "FAIL scope usergroups:read is missing: replies.approval needs it" in out


def closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"  # nothing listens there any more


def test_check_cli__unreachable_slack_is_one_line(tmp_path: Path) -> None:
    from tests.clirun import run_cli

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\nslack:\n  base_url: {closed_port_url()}\n"
                   "  timeout: 3\n")
    res = run_cli("slack", "check", "--config", str(cfg), cwd=tmp_path,
                  env={"SLACK_BOT_TOKEN": TOKEN})
    assert res.returncode == 1
    lines = (res.stdout + res.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("FAIL cannot reach Slack at http://127.0.0.1:")
    assert "Connection refused" in lines[0] and TOKEN not in lines[0]


def test_check_cli__buttons_nobody_answers_fail(tmp_path: Path, slack: FakeSlack) -> None:
    from tests.clirun import run_cli

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\nrules_dir: {tmp_path}\n"
                   f"slack:\n  base_url: {slack.base_url}\n  channels: {{}}\n")
    res = run_cli("slack", "check", "--config", str(cfg), cwd=tmp_path,
                  env={"SLACK_BOT_TOKEN": TOKEN})
    assert res.returncode == 1
    assert "FAIL buttons: nothing handles them" in res.stdout
    assert "ok   buttons" not in res.stdout
    res = run_cli("slack", "check", "--config", str(cfg), cwd=tmp_path,
                  env={"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "s3cret"})
    assert res.returncode == 0, res.stdout
    assert "ok   buttons: HTTP mode" in res.stdout
