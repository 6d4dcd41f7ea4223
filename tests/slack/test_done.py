"""Issue 6 "done means", end to end: daemon rounds against a fake Slack, signed clicks, audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from slack_sdk import WebClient

from monitor.config import Settings, SlackSettings
from monitor.daemon import Daemon
from monitor.reports import response
from monitor.rules.watcher import RulesWatcher
from monitor.slack import reminders
from monitor.slack.app import build_bolt_app
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import (
    SIGNING_SECRET,
    TrackingExecutor,
    block_actions,
    click,
)
from tests.slack.test_blocks import assert_inert, mrkdwn_texts


def test_done__complaint_claimed_handled_with_history_reminder_and_first_response(
        store: Store, slack: FakeSlack, client: WebClient, worker: OutboxWorker,
        executor: TrackingExecutor) -> None:
    settings = Settings(slack=SlackSettings(base_url=slack.base_url, oncall_group="S0ONCALL01"))
    rules = RulesWatcher(Path(__file__).resolve().parents[2] / "rules")  # the shipped rules
    clock = SimpleNamespace(now=datetime.now().astimezone())
    daemon = Daemon(connectors={}, pipeline=None, rules=rules,  # type: ignore[arg-type]
                    store=store, outbox=worker, clock=lambda: clock.now,
                    jobs=reminders.reminder_jobs(store, settings.slack,
                                                 clock=lambda: clock.now))

    # what the pipeline stored: an earlier question by the same author, then a complaint
    earlier = f.item(f.mention("how do I change my address?", handle="dana",
                               created_at=f.NOW - timedelta(days=4)), label=f.Label.QUESTION)
    store.save_batch("x", [earlier], None)
    complaint = f.item(f.mention("<!channel> parcelly lost my parcel AGAIN <@U0BOSS001>",
                                 handle="dana"))
    (case_id,) = store.save_batch("x", [complaint], None)
    created = store.case_events(case_id)[0].at
    clock.now = created + timedelta(minutes=5)
    daemon.run_once()

    # the complaint appears with its buttons and escaped text, the history in its thread
    msg = next(m for m in slack.posted(top_level=True)
               if (m.metadata or {})["event_payload"]["outbox_key"] == f"post:{case_id}")
    actions = next(b for b in msg.blocks if b["type"] == "actions")["elements"]
    assert [e["action_id"] for e in actions] == ["case_claim", "case_handled", "case_reply",
                                                 "case_not_relevant", "case_label"]
    assert "&lt;!channel&gt; parcelly lost my parcel AGAIN &lt;@U0BOSS001&gt;" in \
        msg.blocks[1]["text"]["text"]
    assert_inert(mrkdwn_texts(msg))
    (history,) = [m for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]
    assert "Earlier mentions by dana" in history.text and "how do I change my address?" in \
        history.text

    # nobody claims it for two hours: a reminder pings the on-call group in the thread
    posted = next(e.at for e in store.case_events(case_id) if e.action == "posted")
    clock.now = posted + timedelta(minutes=121)
    daemon.run_once()
    thread = [m.text for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]
    assert thread[-1].startswith("<!subteam^S0ONCALL01> :bell: This complaint has waited 121")

    # a signed Claim, then Mark handled, update the message and the store
    bolt = build_bolt_app(store=store, settings=settings, client=client,
                          signing_secret=SIGNING_SECRET, listener_executor=executor,
                          clock=lambda: clock.now)
    clock.now = created + timedelta(minutes=125)
    assert click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001")).status \
        == 200
    assert store.get_case(case_id)[0].owner == "U0SAM0001"  # type: ignore[index]
    assert "Claimed by <@U0SAM0001>" in msg.blocks[-2]["elements"][0]["text"]
    clock.now = created + timedelta(minutes=139)
    click(bolt, executor, block_actions(msg, "case_handled", user="U0SAM0001"))
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (case.status, case.handled_at) == ("handled", clock.now)
    assert msg.blocks[-2]["elements"][0]["text"] == "Handled by <@U0SAM0001> in 139 min"

    # handled: no more reminders, ever; no stray updates from the outbox either
    clock.now = created + timedelta(days=3)
    updates = len(msg.updates)
    daemon.run_once()
    assert len([m for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]) == 2
    assert len(msg.updates) == updates

    # the first-response time is read from the audit trail
    events = store.case_events(case_id)
    assert [e.action for e in events] == ["created", "posted", "reminded", "claimed", "handled"]
    assert response.first_response_seconds(events) == 125 * 60
    assert response.resolution_seconds(events) == 139 * 60
