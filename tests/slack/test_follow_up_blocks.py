"""The customer's answer in Slack: the line on the case message, the thread message, the history."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from monitor.models import Author
from monitor.readmodels import Case, CaseView, FollowUp, StoredMention
from monitor.slack.blocks import render_case, render_history, thread_url
from monitor.slack.follow_up_notices import follow_up_row, follow_up_text
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack, Message
from tests.slack.conftest import post_case
from tests.slack.test_blocks import ATTACKS, assert_inert, mrkdwn_texts

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def review(rating: int = 1) -> StoredMention:
    m = f.mention("Third late parcel", source="trustpilot", rating=rating, kind="review",
                  author=Author(handle="Sam"))
    return StoredMention(id=1, mention=m, brand="parcelly", rule="parcelly.query",
                         label="complaint", confidence=0.9)


def case(**kw: object) -> Case:
    base = Case(id=7, mention_id=1, status="handled", label="complaint", priority=1,
                channel="#social-care", created_at=NOW - timedelta(days=2),
                updated_at=NOW, owner="U0SAM0001", handled_at=NOW - timedelta(hours=1))
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def context_texts(blocks: list[dict[str, object]]) -> list[str]:
    status = [b for b in blocks if b["type"] == "context"][-1]
    return [e["text"] for e in status["elements"]]  # type: ignore[index,union-attr]


def test_render_case__shows_the_customers_latest_answer_and_the_stars_since_our_fetch() -> None:
    c = case(follow_ups=2, follow_up_at=NOW, follow_up_label="praise",
             follow_up_signal="satisfaction", follow_up_rating=4)
    _text, blocks = render_case(c, review(rating=1))
    line = context_texts(blocks)[-1]
    assert line.startswith("Customer answered <!date^")
    assert "😊 praise · ★1 → ★4 · 2 answers" in line


def test_render_case__no_answer_no_line() -> None:
    _text, blocks = render_case(case(), review())
    assert len(context_texts(blocks)) == 1


def test_follow_up_text__the_customers_words_are_escaped_with_signal_and_reopen() -> None:
    hostile = " ".join(ATTACKS) + " still broken"
    fu = FollowUp(id=1, case_id=7, source="x", external_id="1870000000000000050",
                  kind="reply", text=hostile, author_handle="pat_q", posted_at=NOW,
                  label="complaint", url="https://x.com/pat_q/status/1870000000000000050",
                  confidence=0.93, signal="dissatisfaction", reopened=True)
    text = follow_up_text(fu)
    assert_inert([text])
    assert "*The customer answered* on X · <https://x.com/pat_q/status/1870000000000000050|open>" \
        in text
    assert "&lt;!channel&gt;" in text and "Complaint 93%" in text
    assert "Dissatisfaction signal" in text and "Reopened" in text


def test_follow_up_row__one_thread_message_per_answer_and_review_version() -> None:
    fu = FollowUp(id=0, case_id=7, source="trustpilot", external_id="64f0", kind="review_update",
                  text="Sorted, thanks", author_handle="Sam", posted_at=NOW, label="praise",
                  revision="2026-11-25T12:00:00Z~ab", rating=4, previous_rating=1,
                  signal="satisfaction")
    view = CaseView(case(), review())
    row = follow_up_row(view, fu)
    assert row is not None and row["thread_key"] == "post:7" and row["kind"] == "raw"
    assert row == follow_up_row(view, fu)  # the same answer: the same key (queued once)
    other = follow_up_row(view, dataclasses.replace(fu, revision="2026-11-26T09:00:00Z~cd"))
    assert other is not None and other["key"] != row["key"]
    assert "★1 → ★4" in row["payload"]["text"]
    assert follow_up_row(CaseView(case(channel=None), review()), fu) is None


def test_render_history__earlier_cases_show_reply_reopen_answer_and_link_their_thread(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    first_id, first_msg = post_case(store, worker, slack, item=f.item(f.mention(
        "parcel never came", source="reddit", author=Author(handle="pat_q"),
        created_at=f.NOW - timedelta(days=2))))
    store.transition(first_id, actor="U0SAM0001", action="handled", to_status="handled",
                     values={"owner": "U0SAM0001", "reply_state": "replied", "reopened": 1,
                             "follow_up_at": f.NOW, "follow_up_label": "praise",
                             "follow_up_signal": "satisfaction", "follow_ups": 1})
    _id, msg = post_case(store, worker, slack, item=f.item(f.mention(
        "again!", source="reddit", author=Author(handle="pat_q"))))
    worker.run_once()
    (reply,) = [m for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]
    text = reply.blocks[0]["text"]["text"]
    assert "handled by <@U0SAM0001> · replied publicly · reopened ×1 · customer answered 😊" \
        in text
    link = f"https://slack.com/archives/{first_msg.channel}/p{first_msg.ts.replace('.', '')}"
    assert f"<{link}|thread>" in text
    assert_inert(mrkdwn_texts(Message("C", "1", "", reply.blocks)))


def test_thread_url__needs_the_posted_message() -> None:
    assert thread_url(case()) is None
    c = case(slack_channel="C0SOCIAL01", slack_ts="1795990169.000001")
    assert thread_url(c) == "https://slack.com/archives/C0SOCIAL01/p1795990169000001"
    assert render_history("pat_q", 30, [CaseView(c, review())],
                          archive="https://slack-gov.com/archives")[0].count(
        "https://slack-gov.com/archives/C0SOCIAL01/p1795990169000001") == 1
