"""Untrusted public text in Block Kit: no pings, no disguised links, Slack limits respected."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from typing import Any

from monitor.models import Author, Priority
from monitor.slack.blocks import render_case, render_history
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.slack import FakeSlack, Message
from tests.slack.conftest import post_case

ATTACKS = ["<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM1>", "<#C0SOCIAL01>",
           "<https://evil.example|bank.com>", "<!subteam^S0ONCALL01>", "<mailto:a@b.c|x>"]
PAYLOAD = " ".join(ATTACKS) + " *bold* & _more_"


def mrkdwn_texts(msg: Message) -> list[str]:
    """The fallback text and every mrkdwn string in the blocks (what Slack parses)."""
    out = [msg.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                out.append(node["text"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(msg.blocks)
    return out


def assert_inert(texts: list[str]) -> None:
    joined = "\n".join(texts)
    for attack in ATTACKS:
        assert attack not in joined
    # every remaining <…> is markup we wrote: a date, our link, a link to a case's Slack thread
    # (built from the channel id and ts Slack gave us), or an agent from a signed click
    for token in re.findall(r"<([^>]*)>", joined):
        assert token.startswith(("!date^", "https://x.com/", "https://slack.com/archives/C",
                                 "@U0SAM")), token


def hostile_item(**kw: Any) -> Any:
    m = f.mention(PAYLOAD, title=f"Title {PAYLOAD}", source="reddit",
                  author=Author(handle="eve<!here>", name="<@U0VICTIM1> Eve", followers=5),
                  extra={"subreddit": "<!channel>"},
                  url="https://x.com/eve/status/1|<!channel>", **kw)
    item = f.item(m, reply=f"Hi {PAYLOAD}", priority=Priority.HIGH)
    cls = dataclasses.replace(item.classification, reasons=("<!channel> said 'broken'",))
    match = dataclasses.replace(item.match, priority_reasons=("<@U0VICTIM1> has followers",))
    return dataclasses.replace(item, classification=cls, match=match)


def test_render_case__hostile_text_everywhere_is_shown_not_parsed(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    case_id, msg = post_case(store, worker, slack, item=hostile_item())
    texts = mrkdwn_texts(msg)
    assert_inert(texts)
    joined = "\n".join(texts)
    assert "&lt;!channel&gt;" in joined and "&lt;@U0VICTIM1&gt; Eve" in joined
    assert "*bold* &amp; _more_" in joined  # formatting is harmless and kept
    assert "r/&lt;!channel&gt;" in joined  # subreddit
    assert "<https://x.com/eve/status/1%7C%3C!channel%3E|open original>" in joined
    assert msg.raw["unfurl_links"] is False and msg.raw["unfurl_media"] is False
    case, mention = store.get_case(case_id)  # type: ignore[misc]
    case = dataclasses.replace(case, owner="U0SAM0001", status="claimed",
                               claimed_at=case.created_at)
    _text, blocks = render_case(case, mention)
    assert_inert(mrkdwn_texts(Message("C", "1", _text, blocks)))


def test_render_case__untrusted_url_schemes_are_not_linked(store: Store, worker: OutboxWorker,
                                                           slack: FakeSlack) -> None:
    item = f.item(f.mention("hello", url="javascript:alert(1)"))
    _case_id, msg = post_case(store, worker, slack, item=item)
    assert "javascript" not in "\n".join(mrkdwn_texts(msg))


def test_render_case__long_text_is_cut_with_a_pointer_and_fits_slack(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    _case_id, msg = post_case(store, worker, slack,
                              item=f.item(f.mention("word & <!here> " * 2000)))
    body = msg.blocks[1]["text"]["text"]
    assert len(body) <= 3000 and "cut; read the whole post" in body
    assert_inert(mrkdwn_texts(msg))
    assert all(len(t) <= 3000 for t in mrkdwn_texts(msg)[1:])
    assert len(msg.blocks[0]["text"]["text"]) <= 150


def test_render_history__hostile_earlier_mentions_are_escaped_with_outcomes(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    earlier = hostile_item(created_at=f.NOW - timedelta(days=3))
    (old_id,) = store.save_batch("reddit", [earlier], None)
    store.transition(old_id, actor="U0SAM0001", action="handled", to_status="handled",
                     values={"owner": "U0SAM0001", "reply_final": "Sorry <!channel>, DM us"})
    again = f.item(f.mention("still broken", source="reddit",
                             author=Author(handle="eve<!here>")))
    _case_id, msg = post_case(store, worker, slack, item=again)
    worker.run_once()
    (reply,) = [m for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]
    text = reply.blocks[0]["text"]["text"]
    assert_inert(mrkdwn_texts(reply))
    assert "Earlier mentions by eve&lt;!here&gt;" in text
    assert "handled by <@U0SAM0001>" in text
    assert "_our reply:_ Sorry &lt;!channel&gt;, DM us" in text


def test_render_history__many_items_stay_within_one_section() -> None:
    m = f.mention("x" * 200)
    from monitor.readmodels import Case, CaseView, StoredMention

    stored = StoredMention(id=1, mention=dataclasses.replace(m, text="y " * 100), brand="acme",
                           rule="acme.query", label="complaint", confidence=0.9)
    case = Case(id=1, mention_id=1, status="handled", label="complaint", priority=1,
                channel="#c", created_at=m.created_at, updated_at=m.created_at,
                owner="U0SAM0001", reply_final="z " * 100)
    text, blocks = render_history("a", 30, [CaseView(case, stored)] * 40)
    assert len(blocks[0]["text"]["text"]) <= 3000
    assert "more" in text.splitlines()[-1]


def test_render_case__context_shows_label_and_score_once(store: Store) -> None:
    item = f.item()
    cls = dataclasses.replace(item.classification, confidence=0.91,
                              reasons=("complaint 0.91", "cues: 'never arrived'"))
    (case_id,) = store.save_batch("x", [dataclasses.replace(item, classification=cls)], None)
    case, mention = store.get_case(case_id)  # type: ignore[misc]
    _, blocks = render_case(case, mention)
    context = next(b for b in blocks if b["type"] == "context")
    texts = [e["text"] for e in context["elements"]]
    assert texts[:2] == ["Complaint 91%", "cues: 'never arrived'"]


def giant_item() -> Any:
    """Every field the public (or an agent, or the rules) controls, far past Slack's limits,
    full of characters that escaping makes longer."""
    amp = "&<>" * 2000
    m = f.mention("word & more " * 900 + "\n" * 3000, title=amp, source="reddit",
                  author=Author(handle="h&" * 3000, name="N<" * 3000, followers=12),
                  extra={"subreddit": "r&" * 1000}, url="https://x.com/" + "a" * 6000)
    item = f.item(m, reply="& " * 4000, brand="B&" * 400, priority=Priority.HIGH)
    cls = dataclasses.replace(item.classification, reasons=("complaint 0.90", amp, amp, amp))
    match = dataclasses.replace(item.match, priority_reasons=(amp,) * 6)
    return dataclasses.replace(item, classification=cls, match=match)


def test_render_case__every_field_is_cut_to_slack_limits_before_escaping(
        store: Store, worker: OutboxWorker, slack: FakeSlack) -> None:
    from tests.fakes import blockkit

    case_id, msg = post_case(store, worker, slack, item=giant_item())
    assert blockkit.problems(msg.blocks) == []  # the fake Slack accepted it, too
    assert len(msg.text) <= 400
    for text in mrkdwn_texts(msg):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "an escaped entity was cut"
    assert_inert(mrkdwn_texts(msg))
    assert "cut; read the whole post" in msg.blocks[1]["text"]["text"]
    store.transition(case_id, actor="U0SAM0001", action="claimed", to_status="claimed",
                     values={"owner": "U0SAM0001", "kb_url": "https://kb.example/" + "k" * 3000,
                             "kb_entry": "E&" * 500, "reply_final": "<&>" * 3000})
    case, mention = store.get_case(case_id)  # type: ignore[misc]
    text, blocks = render_case(case, mention)
    assert blockkit.problems(blocks) == []
    assert all(not re.search(r"&(?!amp;|lt;|gt;)", t)
               for t in mrkdwn_texts(Message("C", "1", text, blocks)))


def test_render_history__a_giant_author_and_links_stay_within_one_section() -> None:
    from monitor.readmodels import Case, CaseView, StoredMention
    from tests.fakes import blockkit

    m = f.mention("&" * 500, url="https://x.com/" + "u" * 5000)
    stored = StoredMention(id=1, mention=m, brand="acme", rule="acme.query",
                           label="complaint", confidence=0.9)
    case = Case(id=1, mention_id=1, status="handled", label="complaint", priority=1,
                channel="#c", created_at=m.created_at, updated_at=m.created_at,
                owner="U0SAM0001", reply_final="&" * 500)
    for views in ([CaseView(case, stored)] * 3, []):
        _text, blocks = render_history("&" * 5000, 30, views)
        assert blockkit.problems(blocks) == []
        assert not re.search(r"&(?!amp;|lt;|gt;)", json.dumps(blocks))
