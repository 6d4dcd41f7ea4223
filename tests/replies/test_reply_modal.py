"""The Reply… modal through bolt: signed clicks open it, signed submissions store the edit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from monitor.config import ApprovalRule
from monitor.models import Author
from monitor.replies.publishing import Publishing
from monitor.slack.approvers import ApproverGroups
from monitor.slack.reply_actions import ReplyHandlers
from monitor.slack.reply_modal import (
    ACTION_ID,
    BLOCK_ID,
    CALLBACK_ID,
    SAVE_ACTION,
    SAVE_BLOCK,
    register,
)
from monitor.store import Store
from tests import factories as f
from tests.fakes.bolt import TrackingExecutor, signed_request
from tests.fakes.publisher import MemoryPublisher
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-test-reply-modal"
SECRET = "reply-modal-signing-secret-0001"
AGENT = "U0AGENT001"


Executor = TrackingExecutor


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'replies.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def slack(fake_server: FakeServer) -> FakeSlack:
    return FakeSlack(fake_server)


@pytest.fixture
def executor() -> Iterator[Executor]:
    ex = Executor()
    yield ex
    ex.shutdown(wait=True)


@pytest.fixture
def app(store: Store, slack: FakeSlack, executor: Executor) -> App:
    bolt = App(token=TOKEN, signing_secret=SECRET, listener_executor=executor,
               client=WebClient(token=TOKEN, base_url=slack.base_url, timeout=5))
    register(bolt, store=store)
    return bolt


def case(store: Store, *, source: str = "x", reply: str = "Sorry! DM us.") -> int:
    m = f.mention(source=source, author=Author(handle="dani_k", name="Dani"))
    (case_id,) = store.save_batch(source, [f.item(m, reply=reply)], None)
    return case_id


def signed(payload: dict[str, Any], *, secret: str = SECRET) -> BoltRequest:
    body, headers = signed_request(payload, secret=secret)
    return BoltRequest(body=body, headers=headers)


def click(case_id: int) -> dict[str, Any]:
    return {"type": "block_actions", "trigger_id": "1337.42.abcd", "api_app_id": "A0APP00001",
            "team": {"id": "T0FAKE0001"}, "user": {"id": AGENT, "team_id": "T0FAKE0001"},
            "container": {"type": "message", "channel_id": "C0SOCIAL01"},
            "channel": {"id": "C0SOCIAL01"},
            "actions": [{"type": "button", "action_id": "case_reply", "value": str(case_id),
                         "block_id": f"case:{case_id}", "action_ts": "1700000000.1"}]}


def submission(case_id: int, text: str) -> dict[str, Any]:
    return {"type": "view_submission", "api_app_id": "A0APP00001",
            "team": {"id": "T0FAKE0001"}, "user": {"id": AGENT, "team_id": "T0FAKE0001"},
            "view": {"id": "V0VIEW0001", "type": "modal", "callback_id": CALLBACK_ID,
                     "private_metadata": str(case_id), "team_id": "T0FAKE0001",
                     "state": {"values": {BLOCK_ID: {ACTION_ID: {
                         "type": "plain_text_input", "value": text}}}}}}


def errors(resp: BoltResponse) -> dict[str, str]:
    body = json.loads(resp.body) if resp.body else {}
    assert body.get("response_action", "errors") == "errors"
    return body.get("errors", {})


def test_reply_button__signed_click_opens_the_prefilled_modal(
        app: App, store: Store, slack: FakeSlack, executor: Executor) -> None:
    case_id = case(store)
    assert app.dispatch(signed(click(case_id))).status == 200
    executor.drain()
    (params,) = [p for m, p in slack.calls if m == "views.open"]
    view = params["view"]
    assert params["trigger_id"] == "1337.42.abcd"
    assert view["callback_id"] == CALLBACK_ID and view["private_metadata"] == str(case_id)
    element = view["blocks"][0]["element"]
    assert element["type"] == "plain_text_input" and element["multiline"]
    assert element["initial_value"] == "Sorry! DM us."
    assert "X" in view["blocks"][0]["label"]["text"]


def test_reply_button__unsigned_click_is_refused(
        app: App, store: Store, slack: FakeSlack, executor: Executor) -> None:
    resp = app.dispatch(signed(click(case(store)), secret="someone-else"))
    executor.drain()
    assert resp.status == 401
    assert not [m for m, _ in slack.calls if m == "views.open"]


def test_reply_submit__stores_the_edit_audits_it_and_queues_the_update(
        app: App, store: Store, executor: Executor) -> None:
    case_id = case(store)
    edited = "Hi @dani_k, so sorry! DM us your tracking number: https://parcelly.com/help"
    resp = app.dispatch(signed(submission(case_id, edited)))
    executor.drain()
    assert resp.status == 200 and not resp.body
    row, _ = store.get_case(case_id)  # type: ignore[misc]
    assert row.reply_final == edited and row.reply_text == "Sorry! DM us."
    event = store.case_events(case_id)[-1]
    assert (event.action, event.actor) == ("reply_edited", AGENT)
    assert event.detail["edited"] is True and event.detail["platform"] == "x"
    assert f"update:{case_id}:{row.version}" in [r.key for r in store.outbox_rows()]


def test_reply_button__reopening_shows_the_edited_reply(
        app: App, store: Store, slack: FakeSlack, executor: Executor) -> None:
    case_id = case(store)
    app.dispatch(signed(submission(case_id, "Edited once.")))
    app.dispatch(signed(click(case_id)))
    executor.drain()
    (params,) = [p for m, p in slack.calls if m == "views.open"]
    assert params["view"]["blocks"][0]["element"]["initial_value"] == "Edited once."


@pytest.mark.parametrize(("source", "text", "why"), [
    ("x", "word " * 60, "X allows 280 characters; this reply counts 299"),
    ("x", "so sorry " + "https://parcelly.com/" + "a" * 300, None),  # a URL counts 23 on X
    ("googleplay", "a" * 351, "Google Play allows 350 characters"),
    ("x", "ask @ParcellyHelp or u/mods", "remove @ParcellyHelp"),
    ("reddit", "ask u/some_mod please", "remove u/some_mod"),
    ("trustpilot", "   ", "The reply is empty."),
])
def test_reply_submit__checks_the_platform_rules(
        app: App, store: Store, executor: Executor, source: str, text: str, why: str | None
) -> None:
    case_id = case(store, source=source)
    resp = app.dispatch(signed(submission(case_id, text)))
    executor.drain()
    row, _ = store.get_case(case_id)  # type: ignore[misc]
    if why is None:
        assert resp.status == 200 and not resp.body and row.reply_final == text
        return
    assert why in errors(resp)[BLOCK_ID]
    assert row.reply_final is None
    assert [e.action for e in store.case_events(case_id)] == ["created"]


def test_reply_submit__unknown_case_is_an_error_on_the_field(app: App) -> None:
    resp = app.dispatch(signed(submission(999, "hello")))
    assert "no longer exists" in errors(resp)[BLOCK_ID]


# -- Send from the modal -------------------------------------------------------------------------

class ShortPublisher(MemoryPublisher):
    """A platform that counts every character twice (its own counting, not ours)."""

    limit = 20

    def length(self, text: str) -> int:
        return 2 * len(text)


def sender(store: Store, slack: FakeSlack, executor: Executor, publisher: MemoryPublisher | None,
           *, approval: bool = False) -> App:
    client = WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)
    bolt = App(token=TOKEN, signing_secret=SECRET, listener_executor=executor, client=client)
    rules = [ApprovalRule(group="S0LEADS001")] if approval else []
    pub = Publishing({"x": publisher} if publisher else {},
                     {} if publisher else {"x": "X_USER_TOKEN is not set"}, rules)
    handlers = ReplyHandlers(store=store, publishing=pub, approvers=ApproverGroups(client),
                             push=lambda view: None)
    register(bolt, store=store, replies=handlers)
    return bolt


def send_submission(case_id: int, text: str, *, save_only: bool = False) -> dict[str, Any]:
    payload = submission(case_id, text)
    payload["view"]["private_metadata"] = f"{case_id}:send"
    chosen = [{"text": {"type": "plain_text", "text": "x"}, "value": SAVE_ACTION}] \
        if save_only else []
    payload["view"]["state"]["values"][SAVE_BLOCK] = {
        SAVE_ACTION: {"type": "checkboxes", "selected_options": chosen}}
    return payload


def opened_view(slack: FakeSlack) -> dict[str, Any]:
    return [p for m, p in slack.calls if m == "views.open"][-1]["view"]


def test_reply_button__account_set_up_offers_send_and_a_save_only_box(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, MemoryPublisher())
    case_id = case(store)
    app.dispatch(signed(click(case_id)))
    executor.drain()
    view = opened_view(slack)
    assert view["submit"]["text"] == "Send" and view["private_metadata"] == f"{case_id}:send"
    assert view["blocks"][1]["block_id"] == SAVE_BLOCK and view["blocks"][1]["optional"]
    assert "Posted publicly on X" in view["blocks"][-1]["elements"][0]["text"]


def test_reply_button__account_not_set_up_offers_save_with_the_reason(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, None)
    app.dispatch(signed(click(case(store))))
    executor.drain()
    view = opened_view(slack)
    assert view["submit"]["text"] == "Save reply" and ":" not in view["private_metadata"]
    assert "Replies on X are not set up (X_USER_TOKEN is not set)." in \
        view["blocks"][-1]["elements"][0]["text"]


def test_reply_submit__send_queues_the_edited_reply(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, MemoryPublisher())
    case_id = case(store)
    resp = app.dispatch(signed(send_submission(case_id, "Hi @dani_k, fixed now!")))
    executor.drain()
    assert resp.status == 200 and not resp.body
    row, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (row.reply_state, row.reply_final, row.reply_by) == ("queued", "Hi @dani_k, fixed now!",
                                                                AGENT)
    (queued,) = [r for r in store.outbox_rows() if r.kind == "reply"]
    assert queued.payload["text"] == "Hi @dani_k, fixed now!" and queued.channel == "x"
    event = store.case_events(case_id)[-1]
    assert (event.action, event.detail["edited"]) == ("reply_requested", True)


def test_reply_submit__save_only_box_stores_without_sending(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, MemoryPublisher())
    case_id = case(store)
    app.dispatch(signed(send_submission(case_id, "Later.", save_only=True)))
    executor.drain()
    row, _ = store.get_case(case_id)  # type: ignore[misc]
    assert (row.reply_final, row.reply_state) == ("Later.", None)
    assert not [r for r in store.outbox_rows() if r.kind == "reply"]


def test_reply_submit__send_counts_as_the_publisher_does(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, ShortPublisher())
    case_id = case(store)
    resp = app.dispatch(signed(send_submission(case_id, "eleven char")))
    assert "X allows 20 characters; this reply counts 22" in errors(resp)[BLOCK_ID]
    assert store.get_case(case_id).case.reply_state is None  # type: ignore[union-attr]


def test_reply_submit__with_an_approval_rule_asks_the_group_instead(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    app = sender(store, slack, executor, MemoryPublisher(), approval=True)
    case_id = case(store)
    app.dispatch(signed(click(case_id)))
    executor.drain()
    assert opened_view(slack)["submit"]["text"] == "Ask for approval"
    app.dispatch(signed(send_submission(case_id, "Sorry!")))
    executor.drain()
    assert store.get_case(case_id).case.reply_state == "awaiting_approval"  # type: ignore
    assert [r.key for r in store.outbox_rows() if r.kind in ("reply", "raw")] == \
        [f"approval:{case_id}:1"]
    resp = app.dispatch(signed(submission(case_id, "Edited meanwhile")))  # plain Save
    assert "waiting for approval" in errors(resp)[BLOCK_ID]
    assert store.get_case(case_id).case.reply_final == "Sorry!"  # type: ignore[union-attr]


def test_reply_submit__after_the_reply_went_out_an_edit_is_a_follow_up_or_nothing(
        store: Store, slack: FakeSlack, executor: Executor) -> None:
    from monitor.replies import flow

    app = sender(store, slack, executor, MemoryPublisher())
    case_id = case(store)
    flow.request(store, case_id, actor=AGENT, text="Sorry!", source="x", approval_group=None)
    flow.record_replied(store, case_id, attempt=1, platform_id="p1", url=None,
                        published_at=None, reconciled=False)
    resp = app.dispatch(signed(send_submission(case_id, "Changed", save_only=True)))
    assert "only be sent as a follow-up" in errors(resp)[BLOCK_ID]
    assert store.get_case(case_id).case.reply_final == "Sorry!"  # type: ignore[union-attr]
    app.dispatch(signed(click(case_id)))
    executor.drain()
    assert "sending posts another public reply" in \
        opened_view(slack)["blocks"][-1]["elements"][0]["text"]
    app.dispatch(signed(send_submission(case_id, "One more thing: it shipped today.")))
    executor.drain()
    case_now = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case_now.reply_state, case_now.reply_attempt) == ("queued", 2)
