"""Sending a public reply from Slack: signed clicks, approval, the reply worker, the message."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from monitor.config import ApprovalRule, OutboxSettings, Settings
from monitor.replies.publishing import Publishing
from monitor.replies.sender import ReplyWorker
from monitor.slack.app import build_bolt_app
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reply_blocks import APPROVE, REJECT, SEND
from monitor.slack.reply_notices import notice_row
from monitor.store import Store
from tests import factories as f
from tests.fakes.bolt import TrackingExecutor
from tests.fakes.publisher import MemoryPublisher
from tests.fakes.slack import FakeSlack, Message
from tests.slack.conftest import SIGNING_SECRET, click, post_case, signed_request

SAM, KIM, LEE = "U0SAM0001", "U0KIM0002", "U0LEE0003"
LEADS = "S0LEADS001"


@pytest.fixture
def publisher() -> MemoryPublisher:
    return MemoryPublisher()


def publishing(publisher: MemoryPublisher | None, *, approval: bool = False) -> Publishing:
    return Publishing({"x": publisher} if publisher else {},
                      {} if publisher else {"x": "X_USER_TOKEN is not set"},
                      [ApprovalRule(group=LEADS, labels=["complaint"])] if approval else [])


def bolt_for(store: Store, settings: Settings, client: WebClient, executor: TrackingExecutor,
             pub: Publishing) -> App:
    return build_bolt_app(store=store, settings=settings, client=client,
                          signing_secret=SIGNING_SECRET, listener_executor=executor,
                          publishing=pub)


def reply_section(msg: Message) -> dict[str, Any]:
    return next(b for b in msg.blocks if str(b.get("block_id", "")).startswith("reply:"))


def button_click(msg: Message, block: dict[str, Any], element: dict[str, Any], *, user: str
                 ) -> dict[str, Any]:
    """A block_actions payload for a click on `element` of `block` in `msg`."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE0001"},
        "api_app_id": "A0BRANDMON1", "token": "legacy", "trigger_id": "1.2.abc",
        "team": {"id": "T0FAKE0001", "domain": "fake"},
        "container": {"type": "message", "message_ts": msg.ts, "channel_id": msg.channel},
        "channel": {"id": msg.channel, "name": "social-care"},
        "message": {"type": "message", "ts": msg.ts, "text": msg.text, "blocks": msg.blocks},
        "actions": [{"action_id": element["action_id"], "block_id": block.get("block_id", ""),
                     "type": "button", "value": element.get("value", ""),
                     "text": element["text"], "action_ts": f"{time.time():.6f}"}],
    }


def send_click(msg: Message, *, user: str) -> dict[str, Any]:
    section = reply_section(msg)
    return button_click(msg, section, section["accessory"], user=user)


def approval_click(msg: Message, action_id: str, *, user: str) -> dict[str, Any]:
    block = next(b for b in msg.blocks if b.get("type") == "actions")
    element = next(e for e in block["elements"] if e["action_id"] == action_id)
    return button_click(msg, block, element, user=user)


def ephemerals_for(slack: FakeSlack, user: str) -> list[str]:
    return [str(e["text"]) for e in slack.ephemerals if e["user"] == user]


def thread(slack: FakeSlack, msg: Message) -> list[Message]:
    return [m for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]


def test_send_button__signed_click_posts_once_and_the_message_shows_who_and_where(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    pub = publishing(publisher)
    bolt = bolt_for(store, settings, client, executor, pub)
    case_id, msg = post_case(store, worker, slack, reply="Sorry! DM us your order number.")
    button = reply_section(msg)["accessory"]
    assert button["action_id"] == SEND and button["text"]["text"] == "Send suggested reply"
    assert "Sorry! DM us your order number." in button["confirm"]["text"]["text"]
    stale = send_click(msg, user=KIM)  # Kim still sees the button
    body, headers = signed_request(send_click(msg, user=SAM))
    started = time.perf_counter()
    assert bolt.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    print(f"\nSend: ack after {1000 * (time.perf_counter() - started):.1f} ms")
    executor.drain()
    assert "Sending the reply on X" in reply_section(msg)["text"]["text"]
    assert "accessory" not in reply_section(msg)  # no second Send while it is on its way
    assert click(bolt, executor, stale).status == 200
    assert "being posted right now" in ephemerals_for(slack, KIM)[0]

    replies = ReplyWorker(store=store, publishing=pub, settings=OutboxSettings(),
                          notify=notice_row)
    assert replies.run_once().sent == 1
    worker.drain()
    (posted,) = publisher.platform.replies
    assert posted.text == "Sorry! DM us your order number."
    section = reply_section(msg)["text"]["text"]
    assert section.startswith(f"*Replied by <@{SAM}>* <!date^")
    assert f"<https://x.test/brand/status/{posted.platform_id}|view the reply on X>" in section
    (notice,) = thread(slack, msg)
    assert notice.text.startswith(f"✅ Replied on X by <@{SAM}>")
    assert [e.action for e in store.case_events(case_id)][-3:] == \
        ["claimed", "reply_requested", "replied"]  # answering an unclaimed case claims it
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.owner) == ("claimed", SAM)  # handling stays a separate click


def test_send_button__approval_by_another_member_of_the_group_then_sent(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    slack.usergroups[LEADS] = [SAM, LEE]
    pub = publishing(publisher, approval=True)
    bolt = bolt_for(store, settings, client, executor, pub)
    replies = ReplyWorker(store=store, publishing=pub, settings=OutboxSettings(),
                          notify=notice_row)
    case_id, msg = post_case(store, worker, slack, reply="We're on it <!channel>")
    click(bolt, executor, send_click(msg, user=SAM))
    assert "waiting for approval" in reply_section(msg)["text"]["text"]
    assert f"<!subteam^{LEADS}>" in ephemerals_for(slack, SAM)[0]
    worker.drain()
    (ask,) = thread(slack, msg)
    assert ask.text.startswith("Approval needed")
    assert ask.blocks[0]["text"]["text"].startswith(f"<!subteam^{LEADS}> <@{SAM}> wants")
    assert "We're on it &lt;!channel&gt;" in ask.blocks[1]["text"]["text"]  # escaped

    click(bolt, executor, approval_click(ask, APPROVE, user=KIM))  # not in the group
    assert "Only members of" in ephemerals_for(slack, KIM)[-1]
    click(bolt, executor, approval_click(ask, APPROVE, user=SAM))  # the drafter
    assert "someone else must approve" in ephemerals_for(slack, SAM)[-1]
    assert replies.run_once().sent == 0 and publisher.platform.replies == []

    stale = approval_click(ask, APPROVE, user=LEE)  # the same click again, later
    click(bolt, executor, approval_click(ask, APPROVE, user=LEE))
    assert ask.updates and "Approved by <@U0LEE0003>" in ask.text
    assert not [b for b in ask.blocks if b.get("type") == "actions"]
    click(bolt, executor, stale)
    assert "changed" in ephemerals_for(slack, LEE)[-1]
    assert replies.run_once().sent == 1
    worker.drain()
    assert len(publisher.platform.replies) == 1
    assert reply_section(msg)["text"]["text"].startswith(f"*Replied by <@{SAM}>*")
    events = [(e.action, e.actor) for e in store.case_events(case_id)
              if e.action.startswith("repl") or e.action == "claimed"]
    assert events == [("claimed", SAM), ("reply_requested", SAM), ("reply_approved", LEE),
                      ("replied", SAM)]


def test_send_button__a_rejected_reply_is_never_posted_and_can_be_sent_again(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    slack.usergroups[LEADS] = [LEE]
    pub = publishing(publisher, approval=True)
    bolt = bolt_for(store, settings, client, executor, pub)
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, send_click(msg, user=SAM))
    worker.drain()
    (ask,) = thread(slack, msg)
    click(bolt, executor, approval_click(ask, REJECT, user=LEE))
    assert "Rejected by <@U0LEE0003>" in ask.text
    assert "not approved" in reply_section(msg)["text"]["text"]
    ReplyWorker(store=store, publishing=pub, settings=OutboxSettings()).run_once()
    assert publisher.platform.replies == []
    click(bolt, executor, send_click(msg, user=SAM))  # the button is back: attempt 2
    assert store.get_case(case_id).case.reply_attempt == 2  # type: ignore[union-attr]


def test_send_button__group_membership_is_checked_with_slack_and_cached(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    slack.usergroups[LEADS] = [LEE]
    bolt = bolt_for(store, settings, client, executor, publishing(publisher, approval=True))
    _case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, send_click(msg, user=SAM))
    worker.drain()
    (ask,) = thread(slack, msg)
    click(bolt, executor, approval_click(ask, APPROVE, user=KIM))
    click(bolt, executor, approval_click(ask, APPROVE, user=KIM))
    calls = [p for m, p in slack.calls if m == "usergroups.users.list"]
    assert len(calls) == 1 and calls[0]["usergroup"] == LEADS


def test_send_button__approvers_cannot_be_checked_refuses_to_approve(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    slack.usergroups[LEADS] = [LEE]
    slack.scopes = slack.scopes.replace("usergroups:read", "")
    bolt = bolt_for(store, settings, client, executor, publishing(publisher, approval=True))
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, send_click(msg, user=SAM))
    worker.drain()
    (ask,) = thread(slack, msg)
    click(bolt, executor, approval_click(ask, APPROVE, user=LEE))
    assert "usergroups:read" in ephemerals_for(slack, LEE)[-1]
    assert store.get_case(case_id).case.reply_state == "awaiting_approval"  # type: ignore


def test_send_button__account_not_set_up_says_so_and_queues_nothing(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor) -> None:
    bolt = bolt_for(store, settings, client, executor, publishing(None))
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, send_click(msg, user=SAM))
    assert ephemerals_for(slack, SAM) == ["Replies on X are not set up (X_USER_TOKEN is not "
                                          "set)."]
    assert store.get_case(case_id).case.reply_state is None  # type: ignore[union-attr]
    assert not [r for r in store.outbox_rows() if r.kind == "reply"]


def test_send_button__feeds_link_the_original_instead(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    item = f.item(f.mention(source="rss", url="https://blog.example/post/1"))
    _case_id, msg = post_case(store, worker, slack, item=item)
    button = reply_section(msg)["accessory"]
    assert button["url"] == "https://blog.example/post/1"
    assert button["text"]["text"] == "Answer on Feed ↗" and "value" not in button


def test_send_button__not_offered_for_a_suggestion_over_the_limit(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    item = f.item(f.mention(source="googleplay"), reply="a" * 351)
    _case_id, msg = post_case(store, worker, slack, item=item)
    assert "accessory" not in reply_section(msg)


def test_send_button__over_http_mode_queues_the_reply(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    import threading
    import urllib.request

    from monitor.slack.http import EVENTS_PATH, make_app_server
    from tests.slack.conftest import signed_request

    bolt = bolt_for(store, settings, client, executor, publishing(publisher))
    server = make_app_server(bolt, host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        case_id, msg = post_case(store, worker, slack)
        body, headers = signed_request(send_click(msg, user=SAM))
        req = urllib.request.Request(f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}",
                                     data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        executor.drain()
    finally:
        server.shutdown()
        server.server_close()
    assert store.get_case(case_id).case.reply_state == "queued"  # type: ignore[union-attr]


def test_send_button__over_socket_mode_queues_the_reply(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        publisher: MemoryPublisher, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.slack import socket as socket_mode
    from tests.slack.conftest import TOKEN
    from tests.slack.socket_fake import FakeSocketMode
    from tests.slack.test_socket_mode import APP_TOKEN, REAL_SLEEP

    monkeypatch.setattr(time, "sleep", REAL_SLEEP)  # the websocket client's threads pace on it
    ws = FakeSocketMode()
    slack.socket_url = ws.url  # type: ignore[attr-defined]
    case_id, msg = post_case(store, worker, slack)
    service = socket_mode.socket_service(store=store, slack=settings.slack, bot_token=TOKEN,
                                         app_token=APP_TOKEN, publishing=publishing(publisher))
    assert service is not None
    service.start()
    try:
        assert ws.connected.wait(10)
        ws.send({"envelope_id": "env-send", "type": "interactive",
                 "accepts_response_payload": False, "payload": send_click(msg, user=SAM)})
        assert ws.wait_ack("env-send")
        deadline = time.monotonic() + 10
        while store.get_case(case_id).case.reply_state is None \
                and time.monotonic() < deadline:  # type: ignore[union-attr]
            REAL_SLEEP(0.02)
    finally:
        service.stop()
        ws.close()
    assert store.get_case(case_id).case.reply_state == "queued"  # type: ignore[union-attr]


def test_send_button__the_drafter_may_withdraw_a_draft_without_being_an_approver(
        store: Store, worker: OutboxWorker, slack: FakeSlack, settings: Settings,
        client: WebClient, executor: TrackingExecutor, publisher: MemoryPublisher) -> None:
    slack.usergroups[LEADS] = [LEE]  # Sam is not an approver
    bolt = bolt_for(store, settings, client, executor, publishing(publisher, approval=True))
    case_id, msg = post_case(store, worker, slack)
    click(bolt, executor, send_click(msg, user=SAM))
    worker.drain()
    (ask,) = thread(slack, msg)
    click(bolt, executor, approval_click(ask, REJECT, user=SAM))
    assert store.get_case(case_id).case.reply_state == "declined"  # type: ignore[union-attr]
    assert store.case_events(case_id)[-1].actor == SAM
