"""End to end, per platform: our reply goes out; the customer answers with a complaint, later a
thanks (a review: edited, its stars from 1 to 4); the daemon threads both under the original case
in Slack, reopens it once, records the signals, and `report --json` shows the CSAT proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from connectors.x import XConnector
from monitor import triage
from monitor.app import App, build_daemon
from monitor.classify import build_classifier
from monitor.classify.base import Classifier
from monitor.config import Secrets, Settings
from monitor.followup.watch import build_watch
from monitor.pipeline import Pipeline
from monitor.replies import flow
from monitor.replies.publishing import build_publishing
from monitor.replies.sender import ReplyWorker
from monitor.rules.watcher import RulesWatcher
from monitor.slack.delivery import SlackDelivery
from monitor.slack.follow_up_notices import follow_up_row
from monitor.slack.outbox import OutboxWorker
from monitor.slack.reply_notices import notice_row
from monitor.store import Store
from tests import factories as f
from tests.connectors.replies.conftest import KITS
from tests.fakes import publish_x
from tests.fakes.publish import Kit
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack, Message
from tests.followup.kits import REVIEWS, mention

ROOT = Path(__file__).resolve().parents[2]
SAM = "U0SAM0001"
TOKEN = "xoxb-1111-2222-test-secret-token"
RULES = "brands:\n  - id: parcelly\n    name: Parcelly\n    query: parcelly\n"
COMPLAINT = "Still not working <!channel>, nobody has fixed it. This is useless."
THANKS = "Thanks, sorted! Support was great."


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """The classifier the pipeline uses (the packaged model), loaded once for the module."""
    return build_classifier(Settings(data_dir=tmp_path_factory.mktemp("model")))


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    """The platform's fake on a server of its own (Slack's fake has /api/* on the other)."""
    with FakeServer() as server:
        yield KITS[request.param](server, tmp_path)


def daemon_for(kit: Kit, slack: FakeSlack, model: Classifier, tmp_path: Path) -> App:
    """The parts as monitor.app wires them: the platform's publisher and its watcher, the
    pipeline with the watch's claim hook, Slack delivery (and, on X, the keyword source)."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "parcelly.yaml").write_text(RULES)
    settings = Settings.model_validate({
        "data_dir": str(tmp_path / "data"), "rules_dir": str(tmp_path / "rules"),
        "slack": {"base_url": slack.base_url}, "replies": {kit.name: kit.options}})
    (tmp_path / "data").mkdir()
    store = Store.from_settings(settings)
    publishing = build_publishing(settings, environ=kit.env, sources=[kit.name])
    watch = build_watch(settings.follow_up, store=store, publishing=publishing,
                        classifier=model, notify=follow_up_row)
    assert watch is not None and set(watch.watchers) == {kit.name}
    rules = RulesWatcher.from_settings(settings)
    pipeline = Pipeline(store=store, rules=rules.current, classifier=model, suggester=None,
                        slack=settings.slack, follow_ups=watch.claims)
    connectors = {}
    if kit.name == "x":  # the brand's keyword search also finds the customer's answers
        connectors["x"] = XConnector.from_settings(
            {"base_url": kit.fake.url, "interval": 60}, environ={"X_BEARER_TOKEN":
                                                                 publish_x.BEARER})
    client = WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)
    outbox = OutboxWorker(store=store, delivery=SlackDelivery(client), settings=settings.outbox,
                          slack=settings.slack)
    replies = ReplyWorker(store=store, publishing=publishing, settings=settings.outbox,
                          notify=notice_row)
    return App(settings=settings, secrets=Secrets(kit.env), store=store, rules=rules,
               classifier=model, pipeline=pipeline, delivery=outbox.delivery, outbox=outbox,
               publishing=publishing, replies=replies, follow_up=watch, connectors=connectors)


def thread(slack: FakeSlack, msg: Message) -> list[str]:
    return [m.text for m in slack.posted(top_level=False) if m.thread_ts == msg.ts]


def mrkdwn(msg: Message) -> str:
    return json.dumps(msg.blocks, ensure_ascii=False)


@pytest.mark.slow
def test_follow_through__answers_join_the_case_reopen_once_and_report_the_csat_proxy(
        kit: Kit, model: Classifier, fake_server: FakeServer, tmp_path: Path) -> None:
    slack = FakeSlack(fake_server)
    app = daemon_for(kit, slack, model, tmp_path)
    daemon = build_daemon(app)
    daemon.jobs = tuple(j for j in daemon.jobs if j.name in ("replies", "follow-up"))
    store = app.store
    (case_id,) = store.save_batch(kit.name, [f.item(mention(kit))], None)
    daemon.run_once()
    (msg,) = slack.posted(top_level=True)

    # Sam answers publicly, then marks it handled
    assert flow.request(store, case_id, actor=SAM, text="Sorry! We've sent a replacement.",
                        source=kit.name, approval_group=None).changed
    daemon.run_once()
    assert store.get_case(case_id).case.reply_state == "replied"  # type: ignore[union-attr]
    assert triage.handle(store, case_id, actor=SAM).changed

    # the customer answers with a complaint: threaded under the case, which is reopened
    kit.fake.customer_says(kit.target.external_id, COMPLAINT)
    polls = daemon.run_once()
    if kit.name == "x":  # the keyword poll fetched it too: dropped, not a case of its own
        assert polls[0].dropped["follow-up"] == 1
    assert len(store.cases()) == 1
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.follow_up_label) == ("new", 1, "complaint")
    told = thread(slack, msg)[-1]
    assert "Still not working &lt;!channel&gt;" in told and "<!channel>" not in told
    assert "Reopened" in told
    assert "Customer answered" in mrkdwn(msg)  # the case message shows the latest answer

    # handled again; later the customer thanks us (a review: edited to four stars)
    assert triage.handle(store, case_id, actor=SAM).changed
    kit.fake.customer_says(kit.target.external_id, THANKS,
                           stars=4 if kit.name in REVIEWS else None)
    daemon.run_once()
    daemon.run_once()  # a later poll sees the same answers: nothing new
    case = store.get_case(case_id).case  # type: ignore[union-attr]
    assert (case.status, case.reopened, case.follow_ups) == ("handled", 1, 2)
    assert case.follow_up_signal == "satisfaction"
    follow_ups = [t for t in thread(slack, msg) if "customer" in t.lower()]
    assert len(follow_ups) == 2 and "Satisfaction signal" in follow_ups[-1]
    actions = [e.action for e in store.case_events(case_id)]
    assert actions.count("follow_up") == 2 and actions.count("reopened") == 1
    assert actions.count("dissatisfaction") == 1 and actions.count("satisfaction") == 1
    if kit.name in REVIEWS:
        assert "★1 → ★4" in mrkdwn(msg)
    store.close()

    # `report --json`, as an operator runs it, computes the CSAT proxy from those events
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "HOME": os.environ.get("HOME", "/tmp")}
    out = subprocess.run([sys.executable, "-m", "monitor", "report", "--json", "--since", "7d",
                          "--config", str(config)], capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)["follow_up"]
    assert {k: report[k] for k in ("answered", "with_follow_up", "follow_up_rate", "positive",
                                   "negative", "neutral", "csat", "reopened_after_reply",
                                   "reopen_after_reply_rate", "reopened_by_follow_up")} == {
        "answered": 1, "with_follow_up": 1, "follow_up_rate": 1.0, "positive": 1,
        "negative": 0, "neutral": 0, "csat": 1.0, "reopened_after_reply": 1,
        "reopen_after_reply_rate": 1.0, "reopened_by_follow_up": 1}
    if kit.name in REVIEWS:
        assert (report["reviews_rerated"], report["rating_change"], report["rating_up"]) == \
            (1, 3.0, 1)
    else:
        assert report["reviews_rerated"] == 0 and report["rating_change"] is None
