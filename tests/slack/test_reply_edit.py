"""Saving an edited reply (HTTP mode): the message shows it at once, labelled as an edit."""

from __future__ import annotations

import dataclasses

from slack_bolt import App

from monitor.models import SuggestedReply
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reply_modal import ACTION_ID, BLOCK_ID, CALLBACK_ID
from monitor.store import Store
from tests import factories as f
from tests.fakes.bolt import TrackingExecutor
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import click, post_case

AGENT = "U0AGENT001"


def submission(case_id: int, text: str) -> dict[str, object]:
    return {"type": "view_submission", "api_app_id": "A0BRANDMON1",
            "team": {"id": "T0FAKE0001"}, "user": {"id": AGENT, "team_id": "T0FAKE0001"},
            "view": {"id": "V0VIEW0001", "type": "modal", "callback_id": CALLBACK_ID,
                     "private_metadata": str(case_id), "team_id": "T0FAKE0001",
                     "state": {"values": {BLOCK_ID: {ACTION_ID: {
                         "type": "plain_text_input", "value": text}}}}}}


def reply_section(blocks: list[dict[str, object]]) -> str:
    (text,) = [b["text"]["text"] for b in blocks  # type: ignore[index]
               if b.get("type") == "section" and "```" in str(b.get("text"))]
    return str(text)


def test_reply_submit__message_updates_at_once_labelled_as_the_agents_edit(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    item = f.item()
    item = dataclasses.replace(item, reply=SuggestedReply(
        text="Sorry! DM us.", kb_entry="Where is my parcel?",
        kb_url="https://help.parcelly.com/where"))
    case_id, msg = post_case(store, worker, slack, item=item)
    before = reply_section(msg.blocks)
    assert before.startswith("*Suggested reply*") and "help.parcelly.com" in before

    edited = "Hi there, we found your parcel: it is at the depot, DM us to rebook."
    resp = click(bolt, executor, submission(case_id, edited))
    assert resp.status == 200
    # no outbox run: the save itself updated the message
    assert msg.updates, "the message was not updated when the edit was saved"
    after = reply_section(msg.blocks)
    assert after.startswith("*Reply (edited in Slack)*") and edited in after
    assert "Suggested" not in after and "help.parcelly.com" not in after
    version = store.get_case(case_id).case.version  # type: ignore[union-attr]
    (row,) = [r for r in store.outbox_rows() if r.key == f"update:{case_id}:{version}"]
    assert row.status == "sent"  # settled: the outbox will not update it again
