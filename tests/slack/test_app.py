"""Bolt handlers driven by signed block_actions requests: store, chat.update and ephemerals."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest

from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import (
    TrackingExecutor,
    block_actions,
    click,
    post_case,
    signed_request,
)


def actions(blocks: list[dict]) -> list[str]:
    block = next(b for b in blocks if b.get("type") == "actions")
    return [e["action_id"] for e in block["elements"]]


def status_text(blocks: list[dict]) -> str:
    contexts = [b for b in blocks if b.get("type") == "context"]
    return contexts[-1]["elements"][0]["text"]


def test_claim__signed_click_updates_store_and_message(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    started = time.perf_counter()
    resp = click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001"))
    print(f"\nclaim: ack + work {1000 * (time.perf_counter() - started):.1f} ms")
    assert resp.status == 200
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (case.status, case.owner) == ("claimed", "U0SAM0001")
    (update,) = msg.updates
    assert update["ts"] == msg.ts and update["channel"] == msg.channel
    assert status_text(msg.blocks).startswith("Claimed by <@U0SAM0001>")
    assert "case_claim" not in actions(msg.blocks)
    # the queued outbox row was settled by the fast path: no second chat.update
    assert all(r.status == "sent" for r in store.outbox_rows() if r.kind == "update")
    worker.run_once()
    assert len(msg.updates) == 1


def test_handled__after_claim_shows_minutes_and_reopen(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001"))
    click(bolt, executor, block_actions(msg, "case_handled", user="U0SAM0001"))
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert case.status == "handled" and case.handled_at is not None
    assert status_text(msg.blocks).startswith("Handled by <@U0SAM0001> in ")
    assert actions(msg.blocks) == ["case_reopen", "case_label"]
    click(bolt, executor, block_actions(msg, "case_reopen", user="U0KIM0002"))
    assert store.get_case(case_id)[0].status == "new"  # type: ignore[index]
    assert actions(msg.blocks)[0] == "case_claim"


def test_ack__answers_before_the_work_is_done(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    slack.fail("chat.update", status=500, delay=1.0)  # a slow Slack must not delay the ack
    body, headers = signed_request(block_actions(msg, "case_claim", user="U0SAM0001"))
    started = time.perf_counter()
    resp = bolt.dispatch(BoltRequest(body=body, headers=headers))
    ack_ms = 1000 * (time.perf_counter() - started)
    executor.drain()
    done_ms = 1000 * (time.perf_counter() - started)
    print(f"\nack after {ack_ms:.1f} ms; work finished after {done_ms:.1f} ms")
    assert resp.status == 200
    assert store.get_case(case_id)[0].status == "claimed"  # type: ignore[index]
    # the update failed: its outbox row is still pending and the worker delivers it
    assert [r.status for r in store.outbox_rows() if r.kind == "update"] == ["pending"]
    worker.run_once()
    assert status_text(msg.blocks).startswith("Claimed by <@U0SAM0001>")


def test_signature__unsigned_or_forged_requests_are_rejected(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    payload = block_actions(msg, "case_claim", user="U0EVE0666")
    body, headers = signed_request(payload)
    unsigned = {k: v for k, v in headers.items() if not k.startswith("x-slack")}
    assert bolt.dispatch(BoltRequest(body=body, headers=unsigned)).status == 401
    assert click(bolt, executor, payload, secret="not-the-secret").status == 401
    assert click(bolt, executor, payload, timestamp=int(time.time()) - 3600).status == 401
    tampered = body.replace("U0EVE0666", "U0SAM0001")
    assert bolt.dispatch(BoltRequest(body=tampered, headers=headers)).status == 401
    assert store.get_case(case_id)[0].status == "new"  # type: ignore[index]
    assert msg.updates == []


def test_claim__by_a_second_agent_gets_an_ephemeral_note(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    stale = block_actions(msg, "case_claim", user="U0KIM0002")  # Kim still sees "Claim"
    click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001"))
    click(bolt, executor, stale)
    assert store.get_case(case_id)[0].owner == "U0SAM0001"  # type: ignore[index]
    (note,) = slack.ephemerals
    assert (note["user"], note["channel"]) == ("U0KIM0002", msg.channel)
    assert note["text"] == "Already claimed by <@U0SAM0001>."
    assert len(msg.updates) == 1


def test_claim__two_signed_clicks_at_once_make_one_owner(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    users = ["U0SAM0001", "U0KIM0002", "U0LEE0003", "U0ANA0004"]
    requests = [signed_request(block_actions(msg, "case_claim", user=u)) for u in users]
    barrier = threading.Barrier(len(users))

    def send(req: tuple[str, dict[str, Any]]) -> int:
        barrier.wait()
        return bolt.dispatch(BoltRequest(body=req[0], headers=req[1])).status

    with ThreadPoolExecutor(len(users)) as pool:
        statuses = list(pool.map(send, requests))
    executor.drain()
    assert statuses == [200] * len(users)
    owner = store.get_case(case_id)[0].owner  # type: ignore[index]
    assert owner in users
    claims = [e for e in store.case_events(case_id) if e.action == "claimed"]
    assert [e.actor for e in claims] == [owner]
    assert sorted(n["user"] for n in slack.ephemerals) == sorted(set(users) - {owner})
    assert status_text(msg.blocks).startswith(f"Claimed by <@{owner}>")


def test_label__select_relabels_and_stores_training_feedback(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, block_actions(msg, "case_label", user="U0SAM0001",
                                        selected=f"{case_id}:question"))
    case, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (case.label, case.status, case.channel) == ("question", "new", "#social-care")
    assert [fb[1] for fb in store.iter_label_feedback()] == ["question"]
    header = msg.blocks[0]["text"]["text"]
    assert "Question" in header
    select = next(e for e in next(b for b in msg.blocks if b["type"] == "actions")["elements"]
                  if e["action_id"] == "case_label")
    assert select["initial_option"]["value"] == f"{case_id}:question"


def test_button__with_a_bad_value_changes_nothing(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    case_id, msg = post_case(store, worker, slack)
    resp = click(bolt, executor, block_actions(msg, "case_claim", user="U0SAM0001",
                                               value="not-a-case"))
    assert resp.status == 200
    assert store.get_case(case_id)[0].status == "new"  # type: ignore[index]
    assert msg.updates == [] and slack.ephemerals == []


def test_reply__opens_the_reply_editor_when_it_is_installed(
        store: Store, worker: OutboxWorker, slack: FakeSlack, bolt: App,
        executor: TrackingExecutor) -> None:
    _case_id, msg = post_case(store, worker, slack)
    assert click(bolt, executor, block_actions(msg, "case_reply", user="U0SAM0001")).status \
        == 200
    opened = [p for m, p in slack.calls if m == "views.open"]
    assert [p["trigger_id"] for p in opened] == ["1111.2222.abcdef"]
    assert slack.ephemerals == []
