"""End to end, per platform: signed Slack clicks -> approval -> the REAL publisher -> the platform's
loopback fake holds exactly one reply -> the Slack message shows it; and a kill -9 between the
platform's answer and our commit posts nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time as _time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from monitor.clock import utcnow
from monitor.config import OutboxSettings, Settings
from monitor.models import Author
from monitor.readmodels import Window
from monitor.replies import flow
from monitor.replies.publishing import build_publishing
from monitor.replies.sender import LEASE, ReplyWorker
from monitor.reports.metrics import build_report
from monitor.slack.app import build_bolt_app
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reply_blocks import APPROVE
from monitor.slack.reply_modal import ACTION_ID, BLOCK_ID, CALLBACK_ID
from monitor.slack.reply_notices import notice_row
from monitor.store import Store
from tests import factories as f
from tests.connectors.replies.conftest import KITS
from tests.fakes.bolt import TrackingExecutor
from tests.fakes.publish import Kit
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import SIGNING_SECRET, block_actions, click, post_case
from tests.slack.test_replies import approval_click, reply_section, thread

REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant
SAM, LEE = "U0SAM0001", "U0LEE0003"
LEADS = "S0LEADS001"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    """The platform's fake on a server of its own (Slack's fake has /api/* on the other)."""
    with FakeServer() as server:
        yield KITS[request.param](server, tmp_path)


def settings_for(kit: Kit, slack: FakeSlack, tmp_path: Path, **replies: Any) -> Settings:
    return Settings.model_validate({
        "data_dir": str(tmp_path), "slack": {"base_url": slack.base_url},
        "replies": {kit.name: kit.options, **replies}})


def target_item(kit: Kit, *, reply: str = "Sorry about this!") -> Any:
    t = kit.target
    mention = f.mention(f"about {t.external_id}", source=t.source, external_id=t.external_id,
                        author=Author(handle=t.author_handle), parent_id=t.parent_id,
                        extra=dict(t.extra), url=t.url or "https://example.test/original")
    return f.item(mention, reply=reply)


def view_submission(view: dict[str, Any], *, user: str, text: str) -> dict[str, Any]:
    return {"type": "view_submission", "api_app_id": "A0BRANDMON1",
            "team": {"id": "T0FAKE0001"}, "user": {"id": user, "team_id": "T0FAKE0001"},
            "view": {**view, "id": "V0VIEW0001", "team_id": "T0FAKE0001",
                     "state": {"values": {BLOCK_ID: {ACTION_ID: {
                         "type": "plain_text_input", "value": text}}}}}}


def opened_view(slack: FakeSlack) -> dict[str, Any]:
    return [p for m, p in slack.calls if m == "views.open"][-1]["view"]


def test_reply_round_trip__reply_send_approve_puts_exactly_one_reply_on_the_platform(
        kit: Kit, store: Store, slack: FakeSlack, client: WebClient,
        executor: TrackingExecutor, tmp_path: Path) -> None:
    settings = settings_for(kit, slack, tmp_path, approval=[{"group": LEADS}])
    publishing = build_publishing(settings, environ=kit.env, sources=[kit.name])
    assert set(publishing.publishers) == {kit.name}, publishing.not_set_up
    slack.usergroups[LEADS] = [SAM, LEE]
    bolt = build_bolt_app(store=store, settings=settings, client=client,
                          signing_secret=SIGNING_SECRET, listener_executor=executor,
                          publishing=publishing)
    outbox = OutboxWorker(store=store, delivery=SlackDelivery(client), settings=OutboxSettings(),
                          slack=settings.slack)
    replies = ReplyWorker(store=store, publishing=publishing, settings=settings.outbox,
                          notify=notice_row)
    case_id, msg = post_case(store, outbox, slack, item=target_item(kit))
    click(bolt, executor, block_actions(msg, "case_claim", user=SAM))

    # Reply… -> the modal offers to ask the approvers; Sam edits and sends
    click(bolt, executor, block_actions(msg, "case_reply", user=SAM))
    view = opened_view(slack)
    assert view["callback_id"] == CALLBACK_ID and view["submit"]["text"] == "Ask for approval"
    text = f"Thanks {kit.target.author_handle}, we're sorry. It is fixed in today's update."
    resp = click(bolt, executor, view_submission(view, user=SAM, text=text))
    assert resp.status == 200 and not resp.body
    outbox.drain()
    (ask,) = thread(slack, msg)
    click(bolt, executor, approval_click(ask, APPROVE, user=LEE))

    started = _time.perf_counter()
    assert replies.run_once().sent == 1
    print(f"\n{kit.name}: publish through the real client + record: "
          f"{1000 * (_time.perf_counter() - started):.1f} ms")
    assert replies.run_once().sent == 0
    outbox.drain()
    assert kit.fake.replies_to(kit.target.external_id) == [text]
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reply_state == "replied" and case.reply_platform_id
    section = reply_section(msg)["text"]["text"]
    assert section.startswith(f"*Replied by <@{SAM}>*") and text in section
    if case.reply_url:
        assert case.reply_url.split("://")[1][:20] in section
    assert thread(slack, msg)[-1].text.startswith("✅ Replied on ")
    click(bolt, executor, block_actions(msg, "case_handled", user=SAM))

    # the report reads those events: one public response, one handle time
    now = utcnow()
    report = build_report(store.report_facts(Window(f.NOW - timedelta(days=1),
                                                    now + timedelta(minutes=1))),
                          targets=settings.reports.response_target_minutes, now=now)
    events = {e.action: e.at for e in store.case_events(case_id)}
    posted = store.get_case(case_id).mention.mention.created_at  # type: ignore[union-attr]
    assert report.public_response.count == 1
    assert report.public_response.median_seconds == (events["replied"] - posted).total_seconds()
    assert report.public_response_from_fetch.count == 1
    assert report.handle_time.median_seconds == \
        (events["handled"] - events["claimed"]).total_seconds()
    assert {a.agent: (a.claimed, a.handled, a.replied, a.approved) for a in report.agents} == \
        {SAM: (1, 1, 1, 0), LEE: (0, 0, 0, 1)}


CHILD = textwrap.dedent("""
    import json, sys
    from monitor.config import Secrets, Settings
    from monitor.replies.publishing import build_publishing
    from monitor.replies.sender import ReplyWorker
    from monitor.store import Store
    store = Store.from_url(sys.argv[1], migrate_schema=False)
    settings = Settings.model_validate(json.loads(sys.argv[2]))
    publishing = build_publishing(settings, environ=Secrets.from_environ(),
                                  sources=[sys.argv[3]])
    print("child: posting", flush=True)
    ReplyWorker(store=store, publishing=publishing, settings=settings.outbox).run_once()
    print("child: done (it should have been killed)", flush=True)
""")


@pytest.mark.slow
def test_reply_round_trip__killed_between_the_platforms_answer_and_our_commit_posts_once(
        kit: Kit, store: Store, slack: FakeSlack, tmp_path: Path) -> None:
    text = "Sorry! We have refunded the order."
    (case_id,) = store.save_batch(kit.name, [target_item(kit)], None)
    assert flow.request(store, case_id, actor=SAM, text=text, source=kit.name,
                        approval_group=None).changed
    kit.fake.stall = 60  # the platform keeps the reply, and its answer never comes back
    options = {**kit.options, "timeout": 60}
    config = {"data_dir": str(tmp_path), "replies": {kit.name: options}}
    env = {**os.environ, **kit.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(store.engine.url),
                             json.dumps(config), kit.name], env=env)
    try:
        assert kit.fake.stored.wait(60), "the child never reached the platform"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert kit.fake.replies_to(kit.target.external_id) == [text]
    row = next(r for r in store.outbox_rows() if r.kind == "reply")
    assert row.status == "sending"  # what the dead process left behind

    kit.fake.stall = 0
    settings = Settings.model_validate(config)
    publishing = build_publishing(settings, environ=kit.env, sources=[kit.name])
    restarted = ReplyWorker(store=store, publishing=publishing, settings=settings.outbox)
    assert restarted.run_once().sent == 0  # its lease has not run out: maybe still working
    started = _time.perf_counter()
    stats = restarted.run_once(now=utcnow() + LEASE + timedelta(seconds=1))
    print(f"\n{kit.name}: reconcile after kill -9 (find + record): "
          f"{1000 * (_time.perf_counter() - started):.1f} ms")
    assert (stats.sent, stats.reconciled) == (1, 1)
    assert kit.fake.replies_to(kit.target.external_id) == [text]  # still exactly one
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.reply_state == "replied"
    assert store.case_events(case_id)[-1].detail["reconciled"] is True
