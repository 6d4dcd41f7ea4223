"""Follow-through figures: CSAT proxy, follow-up rate, reopen after reply, stars after reply."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.readmodels import CaseFact, EventFact, Facts, FollowUpFact, Window
from monitor.reports.digest import digest_text
from monitor.reports.followup import FollowUpStats, follow_up_lines, follow_up_stats
from monitor.reports.metrics import build_report
from tests import factories as f

T0 = f.NOW - timedelta(days=2)
H = timedelta(hours=1)


def fact(cid: int, *events: tuple[str, float]) -> CaseFact:
    """A complaint opened at T0 with `events` (action, hours after T0), ids in order; a
    "reopened by follow-up" is the system's, every other action an agent's."""
    evs = [EventFact(cid * 100, "created", "system", T0)]
    for i, (action, hours) in enumerate(events, 1):
        system = action == "reopened by follow-up"
        evs.append(EventFact(cid * 100 + i, "reopened" if system else action,
                             "system" if system else "U1", T0 + hours * H))
    return CaseFact(cid, "complaint", 1, "handled", T0, 0, tuple(evs), posted_at=T0)


def said(cid: int, hours: float, signal: str | None, *, label: str = "complaint",
         rating: int | None = None, before: int | None = None, reopened: bool = False
         ) -> FollowUpFact:
    return FollowUpFact(cid, "x" if rating is None else "trustpilot",
                        "reply" if rating is None else "review_update", label, T0 + hours * H,
                        signal, rating, before, reopened)


def test_follow_up_stats__the_latest_signal_of_each_answered_case_decides_the_csat_proxy(
        ) -> None:
    cases = [
        fact(1, ("replied", 1), ("handled", 2), ("reopened by follow-up", 3), ("handled", 5)),
        fact(2, ("replied", 1), ("handled", 2)),  # answered with a question only: neutral
        fact(3, ("replied", 1)),  # still a complaint afterwards
        fact(4, ("replied", 1)),  # never heard back
        fact(5, ("handled", 1)),  # not answered publicly: not measured
    ]
    answers = [said(1, 3, "dissatisfaction", reopened=True),
               said(1, 6, "satisfaction", label="praise"),
               said(2, 3, None, label="question"),
               said(3, 2, "satisfaction", label="praise"),
               said(3, 4, "dissatisfaction"),
               said(5, 2, "satisfaction", label="praise")]
    s = follow_up_stats(cases, answers)
    assert (s.answered, s.with_follow_up) == (4, 3)
    assert s.follow_up_rate == 3 / 4
    assert (s.positive, s.negative, s.neutral) == (1, 1, 1)
    assert s.csat == 1 / 3
    assert (s.reopened_after_reply, s.reopened_by_follow_up) == (1, 1)
    assert s.reopen_after_reply_rate == 1 / 4


def test_follow_up_stats__a_reopen_before_our_reply_is_not_a_reopen_after_it() -> None:
    cases = [fact(1, ("handled", 1), ("reopened", 2), ("replied", 3)),
             fact(2, ("replied", 1), ("handled", 2), ("reopened", 4))]  # by an agent: counts
    s = follow_up_stats(cases, [])
    assert (s.reopened_after_reply, s.reopened_by_follow_up, s.answered) == (1, 0, 2)


def test_follow_up_stats__stars_after_our_reply_are_the_latest_against_those_we_fetched(
        ) -> None:
    cases = [fact(i, ("replied", 1)) for i in (1, 2, 3, 4)]
    answers = [said(1, 2, None, rating=1, before=1),  # edited, stars unchanged
               said(1, 5, "satisfaction", label="praise", rating=4, before=1),  # 1 -> 4
               said(2, 2, "dissatisfaction", rating=1, before=3),  # 3 -> 1
               said(3, 2, "satisfaction", label="praise", rating=5, before=5),  # kept 5
               ]
    s = follow_up_stats(cases, answers)
    assert (s.reviews_rerated, s.rating_up, s.rating_down) == (2, 1, 1)
    assert s.rating_change == 0.5  # (+3 - 2) / 2


def test_follow_up_stats__nothing_answered_is_zeros_and_no_lines() -> None:
    s = follow_up_stats([], [])
    assert s == FollowUpStats()
    assert follow_up_lines(s) == []


def test_report__json_and_digest_carry_the_follow_through() -> None:
    window = Window(T0 - 12 * H, f.NOW)
    cases = [fact(1, ("replied", 1), ("handled", 2), ("reopened by follow-up", 3))]
    facts = Facts(window, [], cases, 0, (),
                  (said(1, 3, "dissatisfaction", reopened=True),
                   said(1, 6, "satisfaction", label="praise", rating=4, before=1)))
    report = build_report(facts, targets={"normal": 240}, now=f.NOW)
    out = report.to_json()["follow_up"]
    assert (out["csat"], out["follow_up_rate"], out["reopen_after_reply_rate"]) == (1.0, 1.0,
                                                                                     1.0)
    assert out["rating_change"] == 3.0
    empty = build_report(Facts(window.previous(), [], [], 0), targets={}, now=f.NOW)
    text = digest_text(report, empty, [])
    assert ("Follow-through: customer answered 1 of 1 replied (100%) · CSAT proxy 100% "
            "(1 positive, 0 negative, 0 neutral) · reopened after our reply 100% (1)") in text
    assert "reviews re-rated after our reply: 1 · average change +3.0★ (1 up, 0 down)" in text
    assert isinstance(report.start, datetime)
