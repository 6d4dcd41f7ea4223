"""The watch job: which cases, one classifier batch per run, backoff, the claim hook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.replies.watch import Answer, Answers, Watched, Watcher
from connectors.replies.x import XPublisher
from monitor import triage
from monitor.config import FollowUpSettings
from monitor.errors import PublishRateLimited, PublishUnavailable
from monitor.followup.watch import FollowUpWatch, follow_up_jobs
from monitor.models import Author, Batch
from monitor.pipeline import Pipeline
from monitor.store import Store
from tests import factories as f
from tests.factories import KeywordClassifier
from tests.followup.conftest import SAM, answered_case


class ScriptedWatcher(Watcher):
    """Answers what `said` holds for each watched case's mention; fails with `fail` if set."""

    def __init__(self, name: str) -> None:
        self.name = name  # type: ignore[misc]
        self.said: dict[str, list[tuple[str, str]]] = {}  # mention id -> [(answer id, text)]
        self.fail: Exception | None = None
        self.calls: list[list[str]] = []
        self.per_case = False

    def answers(self, watched: Sequence[Watched], *, budget: int = 1000) -> Answers:
        """One request for all (or one per case with `per_case`), within `budget`."""
        self.calls.append([w.ref for w in watched])
        if self.fail is not None:
            raise self.fail
        looked = watched[:budget] if self.per_case else watched
        out = [Answer(ref=w.ref, source=self.name, external_id=aid, text=text,
                      posted_at=datetime.now(UTC), author_handle=w.target.author_handle)
               for w in looked for aid, text in self.said.get(w.target.external_id, [])]
        return Answers(tuple(out), requests=len(looked) if self.per_case else 1,
                       left=tuple(w.ref for w in watched[len(looked):]))


def watch_for(store: Store, *watchers: Watcher, **settings: float) -> FollowUpWatch:
    return FollowUpWatch(store=store, watchers={w.name: w for w in watchers},
                         classifier=KeywordClassifier(),
                         settings=FollowUpSettings(**settings))  # type: ignore[arg-type]


def mention_id(store: Store, case_id: int) -> str:
    return store.get_case(case_id).mention.mention.external_id  # type: ignore[union-attr]


def test_watch__answers_of_every_platform_are_classified_in_one_batch_and_recorded_once(
        store: Store) -> None:
    x, reddit = ScriptedWatcher("x"), ScriptedWatcher("reddit")
    a = answered_case(store, source="x")
    b = answered_case(store, source="x", platform_id="1870000000000000002")
    c = answered_case(store, source="reddit", platform_id="t1_ours")
    x.said[mention_id(store, a)] = [("1870000000000000100", "it broke again")]
    x.said[mention_id(store, b)] = [("1870000000000000101", "love it, thanks")]
    reddit.said[mention_id(store, c)] = [("t1_zz9", "any news?")]
    watch = watch_for(store, x, reddit)

    stats = watch.run_once()
    assert (stats.answers, stats.recorded) == (3, 3)
    assert watch.classifier.batches == [3]  # type: ignore[attr-defined]
    assert (stats.watched["x"], stats.watched["reddit"]) == (2, 1)
    assert stats.per_case() == pytest.approx(2 / 3)  # one request per platform
    labels = {cid: store.get_case(cid).case.follow_up_label  # type: ignore[union-attr]
              for cid in (a, b, c)}
    assert labels == {a: "complaint", b: "praise", c: "question"}

    again = watch.run_once()  # the platforms still show the same answers
    assert (again.answers, again.recorded) == (0, 0)
    assert watch.classifier.batches == [3]  # type: ignore[attr-defined]
    assert [len(store.case_follow_ups(cid)) for cid in (a, b, c)] == [1, 1, 1]


def test_watch__a_failing_platform_backs_off_and_the_others_go_on(store: Store) -> None:
    x, reddit = ScriptedWatcher("x"), ScriptedWatcher("reddit")
    a = answered_case(store, source="x")
    c = answered_case(store, source="reddit", platform_id="t1_ours")
    reddit.said[mention_id(store, c)] = [("t1_zz9", "it broke")]
    x.fail = PublishRateLimited("x", 600, "HTTP 429 rate limited")
    watch = watch_for(store, x, reddit)
    now = datetime.now(UTC)

    stats = watch.run_once(now=now)
    assert stats.errors == 1 and stats.recorded == 1
    assert watch.run_once(now=now + timedelta(seconds=300)).paused == ["x"]
    assert len(x.calls) == 1  # asked to wait 600 s: not asked again before
    x.fail = None
    x.said[mention_id(store, a)] = [("1870000000000000100", "it broke too")]
    later = watch.run_once(now=now + timedelta(seconds=601))
    assert later.recorded == 1 and len(x.calls) == 2

    x.fail = PublishUnavailable("x", "HTTP 503")
    t = now + timedelta(seconds=700)
    watch.run_once(now=t)
    watch.run_once(now=t + timedelta(seconds=1))
    assert len(x.calls) == 3  # backing off (jittered, from the watch interval)


def test_watch__a_look_stays_within_its_request_budget_and_no_case_starves(
        store: Store) -> None:
    reviews = ScriptedWatcher("x")
    reviews.per_case = True  # one request per case, like App Store and Trustpilot
    cases = [answered_case(store, platform_id=f"18700000000000000{i:02d}") for i in range(5)]
    watch = watch_for(store, reviews, max_requests=2)
    looked: list[set[str]] = []
    for _ in range(3):
        stats = watch.run_once()
        assert sum(stats.requests.values()) == 2 and stats.left["x"] == 3
        looked.append(set(reviews.calls[-1][:2]))
    assert looked[0] | looked[1] | looked[2] == {str(c) for c in cases}  # all, in 3 looks
    assert looked[0].isdisjoint(looked[1])  # those left over went first


def test_watch__the_window_and_a_closed_quiet_case_end_the_watch(store: Store) -> None:
    now = datetime.now(UTC)
    recent = answered_case(store, replied_at=now - timedelta(days=1))
    old = answered_case(store, replied_at=now - timedelta(days=8))
    quiet = answered_case(store, replied_at=now - timedelta(days=3))
    handled_now = answered_case(store, replied_at=now - timedelta(days=3))
    triage.handle(store, quiet, actor=SAM, at=now - timedelta(hours=49))
    triage.handle(store, handled_now, actor=SAM, at=now - timedelta(hours=1))
    watch = watch_for(store, ScriptedWatcher("x"), window_days=7, quiet_hours=48)
    refs = {int(w.ref) for w in watch.watch_list(now=now)}
    assert refs == {recent, handled_now}
    assert old not in refs and quiet not in refs


def test_watch__job_runs_at_the_configured_interval_and_none_without_a_watch(
        store: Store) -> None:
    watch = watch_for(store, ScriptedWatcher("x"), interval=600)
    (job,) = follow_up_jobs(watch)
    assert (job.name, job.seconds) == ("follow-up", 600)
    assert follow_up_jobs(None) == []


def x_watcher() -> Watcher:
    from connectors.replies.watch import watcher_for

    publisher = XPublisher.from_settings({"base_url": "http://127.0.0.1:9"}, environ={
        "X_USER_TOKEN": "t"})
    watcher = watcher_for(publisher)
    assert watcher is not None
    return watcher


def test_claims__the_customers_post_in_a_watched_conversation_is_the_watchers_not_a_case(
        store: Store) -> None:
    root = f.mention("my parcelly parcel never arrived", source="x",
                     external_id="1860000000000000001", author=Author(handle="pat_q"),
                     extra={"conversation_id": "1860000000000000001"},
                     created_at=datetime.now(UTC) - timedelta(hours=2))
    case_id = answered_case(store, mention=root, platform_id="1870000000000000001")
    watch = FollowUpWatch(store=store, watchers={"x": x_watcher()},
                          classifier=KeywordClassifier(), settings=FollowUpSettings())
    answer = replace(root, external_id="1870000000000000050", text="@parcelly still broke",
                     parent_id="1870000000000000001")
    bystander = replace(answer, external_id="1870000000000000051",
                        author=Author(handle="someone_else"))
    elsewhere = replace(answer, external_id="1870000000000000052",
                        extra={"conversation_id": "1860000000000000999"})
    before = replace(answer, external_id="1860000000000000002")  # older than our reply
    root_post = replace(answer, external_id="1870000000000000053", parent_id=None)

    assert watch.claims("x", [answer, bystander, elsewhere, before, root_post]) == \
        {"1870000000000000050": case_id}
    assert watch.claims("reddit", [answer]) == {}  # no watcher there: nothing is claimed


def test_pipeline__drops_an_answer_the_watch_claims_instead_of_opening_a_case(
        store: Store, tmp_path: Path) -> None:
    from monitor.config import SlackSettings
    from monitor.rules.loader import load_rules

    root = f.mention("my parcelly parcel never arrived", source="x",
                     external_id="1860000000000000001", author=Author(handle="pat_q"),
                     extra={"conversation_id": "1860000000000000001"},
                     created_at=datetime.now(UTC) - timedelta(hours=2))
    case_id = answered_case(store, mention=root, platform_id="1870000000000000001")
    watch = FollowUpWatch(store=store, watchers={"x": x_watcher()},
                          classifier=KeywordClassifier(), settings=FollowUpSettings())
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "parcelly.yaml").write_text(
        "brands:\n  - id: parcelly\n    name: Parcelly\n    query: parcelly\n")
    rules = load_rules(tmp_path / "rules")
    answer = replace(root, external_id="1870000000000000050", text="@parcelly it broke again",
                     created_at=datetime.now(UTC), parent_id="1870000000000000001")
    other = replace(answer, external_id="1870000000000000060", author=Author(handle="kim"),
                    text="parcelly broke my parcel")

    def pipeline(hook: bool) -> Pipeline:
        return Pipeline(store=store, rules=lambda: rules, classifier=KeywordClassifier(),
                        suggester=None, slack=SlackSettings(),
                        follow_ups=watch.claims if hook else None)

    stats = pipeline(True).process("x", Batch((answer, other), "c1"))
    assert stats.dropped["follow-up"] == 1 and stats.stored == 1
    assert store.seen_ids("x", [answer.external_id, other.external_id]) == {other.external_id}
    assert len(store.cases()) == 2  # the answered case and kim's; pat_q's answer is case 1's
    assert case_id in {c.case.id for c in store.cases()}
