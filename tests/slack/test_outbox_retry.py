"""`brand-monitor outbox retry`: dead messages go out once their cause is fixed, exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app
from monitor.clock import utcnow
from monitor.config import OutboxSettings, SlackSettings
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import TOKEN

REPO = Path(__file__).resolve().parents[2]


def make_worker(store: Store, slack: FakeSlack, **outbox: int) -> OutboxWorker:
    delivery = SlackDelivery.from_token(TOKEN, base_url=slack.base_url, timeout=1)
    return OutboxWorker(store=store, delivery=delivery, settings=OutboxSettings(**outbox),
                        slack=SlackSettings())


def cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def dead_count(cfg: Path) -> tuple[int, list[str]]:
    _code, out = cli("status", "--config", str(cfg), "--json")
    report = json.loads(out)
    return report["outbox"].get("dead", 0), report["problems"]


def test_outbox_retry__dead_post_goes_out_once_the_channel_exists(
        app_store: Store, slack: FakeSlack, cfg: Path) -> None:
    earlier = f.mention(handle="sam", created_at=f.NOW - timedelta(days=2))
    app_store.save_batch("x", [f.item(earlier, channel="#social-care")], None)
    (case_id,) = app_store.save_batch("x", [f.item(f.mention(handle="sam"),
                                                   channel="#care-new")], None)
    worker = make_worker(app_store, slack)
    worker.drain()
    assert dead_count(cfg)[0] == 2  # the post and its thread reply
    assert any("outbox retry --dead" in p for p in dead_count(cfg)[1])

    slack.channels["care-new"] = "C0CARENEW1"  # the operator created the channel
    code, out = cli("outbox", "retry", "--dead", "--config", str(cfg))
    assert code == 0, out
    assert f"queued again: post:{case_id}" in out and f"history:{case_id}" in out
    count, problems = dead_count(cfg)
    # dead now, not ever ("dead" alone would match this test's own tmp path in other lines)
    assert count == 0 and not any("could not be delivered (dead)" in p for p in problems)

    assert worker.drain() == 2
    (post,) = slack.by_key(f"post:{case_id}")
    (reply,) = slack.by_key(f"history:{case_id}")
    assert post.channel == "C0CARENEW1" and reply.thread_ts == post.ts
    assert cli("outbox", "retry", "--key", f"post:{case_id}", "--config", str(cfg))[1] \
        .startswith(f"left alone: post:{case_id} is sent")
    worker.drain()
    assert len(slack.by_key(f"post:{case_id}")) == 1


def test_outbox_retry__a_row_that_died_in_doubt_is_looked_up_first(
        app_store: Store, slack: FakeSlack, cfg: Path) -> None:
    (case_id,) = app_store.save_batch("x", [f.item()], None)
    worker = make_worker(app_store, slack, max_attempts=1)
    slack.fail("chat.postMessage", delay=3.0, after=True)  # posted; the answer came too late
    worker.run_once(now=utcnow())
    row = app_store.outbox_row(f"post:{case_id}")
    assert row is not None and row.status == "dead"
    code, out = cli("outbox", "retry", "--key", f"post:{case_id}", "--config", str(cfg))
    assert code == 0, out
    assert app_store.outbox_row(f"post:{case_id}").status == "unknown"  # type: ignore[union-attr]
    stats = worker.run_once(now=utcnow() + timedelta(seconds=1))
    assert stats.reconciled >= 1
    (msg,) = slack.by_key(f"post:{case_id}")
    assert app_store.get_case(case_id).case.slack_ts == msg.ts  # type: ignore[union-attr]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                               "HOME": str(cwd)})


def test_outbox_retry__says_what_to_choose_and_names_unknown_keys(cfg: Path,
                                                                 app_store: Store) -> None:
    res = run_cli("outbox", "retry", "--config", str(cfg), cwd=cfg.parent)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: say what to retry: --dead")
    res = run_cli("outbox", "retry", "--key", "post:999", "--config", str(cfg), cwd=cfg.parent)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == \
        "error: no outbox message has the key post:999"


def test_outbox_list__shows_dead_rows_with_their_error(app_store: Store, slack: FakeSlack,
                                                      cfg: Path) -> None:
    app_store.save_batch("x", [f.item(channel="#nowhere")], None)
    make_worker(app_store, slack).drain()
    code, out = cli("outbox", "list", "--status", "dead", "--config", str(cfg))
    assert code == 0
    assert "post:1  dead  attempts 1  #nowhere  Slack chat_postMessage: channel_not_found" in out
