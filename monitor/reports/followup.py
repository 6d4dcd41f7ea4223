"""Follow-through figures: how customers answered our public replies (a CSAT proxy) and reopens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.reports import copy
from monitor.reports.response import first_public_reply

if TYPE_CHECKING:
    from monitor.readmodels import CaseFact, FollowUpFact

SATISFACTION, DISSATISFACTION = "satisfaction", "dissatisfaction"


@dataclass(frozen=True, slots=True)
class FollowUpStats:
    """Of the period's complaints and questions answered publicly (a `replied` event): how
    many the customer answered afterwards, how (their latest signal), how many were reopened
    after our reply, and how review ratings moved. Definitions: README.md, "Follow-through"."""

    answered: int = 0  # cases with a public reply
    with_follow_up: int = 0  # of those, the customer answered after it
    follow_up_rate: float = 0.0
    positive: int = 0  # latest signal: satisfaction (thanks, praise, stars up)
    negative: int = 0  # latest signal: dissatisfaction (still a complaint, stars down)
    neutral: int = 0  # answered without a signal (a question, an aside)
    csat: float = 0.0  # positive / with_follow_up: the CSAT proxy
    reopened_after_reply: int = 0  # answered cases reopened after our first public reply
    reopen_after_reply_rate: float = 0.0
    reopened_by_follow_up: int = 0  # of those, reopened by the customer's answer
    reviews_rerated: int = 0  # answered reviews whose stars the customer changed afterwards
    rating_change: float | None = None  # mean (stars now - stars when fetched) of those
    rating_up: int = 0
    rating_down: int = 0


def follow_up_stats(cases: Sequence[CaseFact], follow_ups: Sequence[FollowUpFact]
                    ) -> FollowUpStats:
    """The follow-through figures of `cases` (the period's actionable cases) from their
    events and the answers recorded on them."""
    answers: dict[int, list[FollowUpFact]] = defaultdict(list)
    for f in sorted(follow_ups, key=lambda f: f.at):
        answers[f.case_id].append(f)
    answered = [c for c in cases if first_public_reply(c.events) is not None]
    followed = [c for c in answered if answers.get(c.id)]
    positive = negative = 0
    for c in followed:
        signals = [f.signal for f in answers[c.id] if f.signal]
        positive += bool(signals) and signals[-1] == SATISFACTION
        negative += bool(signals) and signals[-1] == DISSATISFACTION
    reopened = 0
    for c in answered:
        first = first_public_reply(c.events)
        assert first is not None
        reopened += any(e.action == "reopened" and e.at >= first.at for e in c.events)
    by_answer = sum(1 for c in answered if any(f.reopened for f in answers.get(c.id, ())))
    changes = []
    for c in followed:
        rated = [f for f in answers[c.id] if f.rating is not None and f.rating_before is not None]
        if rated and rated[-1].rating != rated[-1].rating_before:
            changes.append(rated[-1].rating - rated[-1].rating_before)  # type: ignore[operator]
    return FollowUpStats(
        answered=len(answered), with_follow_up=len(followed),
        follow_up_rate=len(followed) / len(answered) if answered else 0.0,
        positive=positive, negative=negative, neutral=len(followed) - positive - negative,
        csat=positive / len(followed) if followed else 0.0,
        reopened_after_reply=reopened,
        reopen_after_reply_rate=reopened / len(answered) if answered else 0.0,
        reopened_by_follow_up=by_answer, reviews_rerated=len(changes),
        rating_change=round(sum(changes) / len(changes), 2) if changes else None,
        rating_up=sum(1 for d in changes if d > 0), rating_down=sum(1 for d in changes if d < 0))


def stars(change: float | None) -> str:
    return copy.NO_VALUE if change is None else f"{change:+.1f}★"


def follow_up_lines(s: FollowUpStats) -> list[str]:
    """The follow-through lines of the `report` table and the digest (mrkdwn-safe: numbers)."""
    if not s.answered:
        return []
    lines = [copy.FOLLOW_UP_SUMMARY.format(
        followed=s.with_follow_up, answered=s.answered,
        rate=copy.percent(s.follow_up_rate),
        csat=copy.percent(s.csat) if s.with_follow_up else copy.NO_VALUE,
        positive=s.positive, negative=s.negative, neutral=s.neutral,
        reopen=copy.percent(s.reopen_after_reply_rate), reopened=s.reopened_after_reply)]
    if s.reviews_rerated:
        lines.append(copy.FOLLOW_UP_RATINGS.format(n=s.reviews_rerated,
                                                   change=stars(s.rating_change),
                                                   up=s.rating_up, down=s.rating_down))
    return lines
