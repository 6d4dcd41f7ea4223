"""The weekly digest job: this week's numbers against last week's, the chart, the best praise."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from connectors.registry import source_title
from monitor.clock import utcnow
from monitor.readmodels import Quote, Window
from monitor.reports import copy
from monitor.reports.followup import follow_up_lines
from monitor.reports.metrics import Report, build_report
from monitor.slack.text import escape, link, quote, truncate
from monitor.store.keys import OutboxKind, digest_key

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.store import Store

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KV_KEY = "reports:digest"
FIRST_RUN_KEY = "reports:digest:first_run"
QUOTES = 3
QUOTE_CHARS = 300
WEEK = timedelta(days=7)
WATCHED_GRACE = timedelta(days=1)  # a week counts as watched by an install at most this late


def due_at(now: datetime, *, weekday: str, hour: int) -> datetime:
    """When this ISO week's digest is due (UTC)."""
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return datetime.combine(monday + timedelta(days=WEEKDAYS.index(weekday)), time(hour),
                            tzinfo=UTC)


def week_name(at: datetime) -> str:
    iso = at.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def digest_week(due: datetime) -> str:
    """The ISO week a digest due at `due` reports on: the one holding most of the seven days
    before it (the middle day's), so Monday's digest is named after the week that just ended."""
    return week_name(due - WEEK / 2)


def same_name(brand: str) -> str:
    return brand


def best_praise(store: Store, window: Window, *, n: int = QUOTES) -> list[Quote]:
    """The `n` best praise quotes: highest classifier confidence, rounded to two decimals so
    that near-ties go to the author with more followers; one quote per author."""
    candidates = sorted(store.quotes(window, "praise", limit=n * 20),
                        key=lambda q: (-round(q.confidence, 2), -(q.author_followers or 0)))
    chosen: list[Quote] = []
    seen: set[tuple[str, str]] = set()
    for q in candidates:
        if (q.source, q.author_handle) not in seen:
            seen.add((q.source, q.author_handle))
            chosen.append(q)
    return chosen[:n]


def author(q: Quote) -> str:
    prefix = {"x": "@", "reddit": "u/"}.get(q.source, "")
    followers = copy.FOLLOWERS.format(n=f"{q.author_followers:,}") if q.author_followers else ""
    return f"{escape(prefix + q.author_handle)}{followers}"


def quote_lines(q: Quote) -> str:
    """A quote block of the (escaped, shortened) text, then who said it, with a link."""
    text, _ = truncate(" ".join(q.text.split()), QUOTE_CHARS)
    where = link(q.url, source_title(q.source))
    return f"{quote(escape(text))}\n{copy.QUOTE_BY.format(author=author(q), link=where)}"


def change(current: float, previous: float, fmt: Callable[[float], str] = str) -> str:
    if not previous:
        return copy.CHANGE_FLAT if not current else copy.CHANGE_NEW
    if current == previous:
        return copy.CHANGE_FLAT
    pct = f"{abs(100 * (current - previous) / previous):.0f}%"
    return copy.CHANGE.format(arrow="▲" if current > previous else "▼", pct=pct,
                              previous=fmt(previous))


def digest_text(this: Report, last: Report, praise: Sequence[Quote], *,
                brand_name: Callable[[str], str] = same_name) -> str:
    """The digest message in Slack mrkdwn; every piece of public text in it is escaped."""
    end = this.end - timedelta(seconds=1)
    lines = [copy.DIGEST_TITLE.format(start=this.start.strftime("%d %b"),
                                      end=end.strftime("%d %b %Y")),
             copy.DIGEST_TOTAL.format(n=this.mentions, change=change(this.mentions,
                                                                     last.mentions))]
    parts = [copy.DIGEST_LABEL_PART.format(
        title=title, n=this.by_label.get(label, 0),
        change=change(this.by_label.get(label, 0), last.by_label.get(label, 0)))
        for label, title in copy.LABEL_TITLE.items()]
    lines.append(" · ".join(parts))
    fr, before = this.first_response, last.first_response
    if fr.count:
        lines.append(copy.DIGEST_RESPONSE.format(
            median=copy.duration(fr.median_seconds),
            change=(" " + change(fr.median_seconds, before.median_seconds, copy.duration)
                    if before.count else ""),
            p90=copy.duration(fr.p90_seconds), share=copy.percent(this.within_target_share)))
    else:
        lines.append(copy.DIGEST_NO_RESPONSE)
    if this.handled:
        lines.append(copy.DIGEST_FCR.format(share=copy.percent(this.first_contact_resolution),
                                            n=this.handled))
    lines += team_lines(this)
    lines += [copy.DIGEST_FOLLOW_UP.format(line=x) for x in follow_up_lines(this.follow_up)]
    if this.by_brand:
        lines.append(copy.DIGEST_BRANDS.format(parts=" · ".join(
            f"{escape(brand_name(b))} {n}" for b, n in this.by_brand.items())))
    lines += ["", copy.DIGEST_QUOTES]
    lines += [quote_lines(q) for q in praise] or [copy.DIGEST_NO_QUOTES]
    return "\n".join(lines)


def team_lines(r: Report) -> list[str]:
    """Public replies and the team's work: first public response, handle time, reopen rate
    and the open backlog (README.md: "Public replies and the team")."""
    lines = []
    pub = r.public_response
    if pub.count:
        due = sum(t.due for t in r.public_within_target)
        lines.append(copy.DIGEST_PUBLIC.format(
            n=pub.count, median=copy.duration(pub.median_seconds),
            fetched=copy.duration(r.public_response_from_fetch.median_seconds),
            share=copy.percent(r.public_within_target_share) if due else copy.NO_VALUE))
    old = sum(b.cases for b in r.backlog if b.from_hours >= 24)
    if r.handle_time.count or r.closed or r.open_backlog:
        lines.append(copy.DIGEST_TEAM.format(
            handle=copy.duration(r.handle_time.median_seconds if r.handle_time.count else None),
            rate=copy.percent(r.reopen_rate) if r.closed else copy.NO_VALUE,
            backlog=r.open_backlog, oldest=copy.DIGEST_OLDEST.format(n=old) if old else ""))
    return lines


@dataclass(frozen=True, slots=True)
class Digest:
    key: str
    week: str
    channel: str
    text: str
    png: bytes
    report: Report

    def payload(self) -> dict[str, Any]:
        return {"filename": f"brand-mentions-{self.week}.png",
                "title": copy.DIGEST_CHART_TITLE.format(week=self.week),
                "initial_comment": self.text,
                "content_b64": base64.b64encode(self.png).decode("ascii")}


def digest_channel(settings: Settings) -> str:
    return (settings.reports.digest_channel or settings.slack.channels.get("praise")
            or settings.slack.default_channel)


def build_digest(store: Store, settings: Settings, *, end: datetime,
                 brand_name: Callable[[str], str] = same_name) -> Digest:
    """The digest of the seven days before `end`, against the seven days before those."""
    from monitor.reports.chart import render_png  # matplotlib only when a digest is built

    targets = settings.reports.response_target_minutes
    window = Window(end - WEEK, end)
    this = build_report(store.report_facts(window), targets=targets, now=end)
    last = build_report(store.report_facts(window.previous()), targets=targets, now=window.start)
    week = digest_week(end)
    return Digest(key=digest_key(week), week=week, channel=digest_channel(settings),
                  text=digest_text(this, last, best_praise(store, window),
                                   brand_name=brand_name),
                  png=render_png(this), report=this)


class DigestJob:
    """Run it often (every 15 minutes): it queues this week's digest once it is due, once.

    A week the installation did not watch (it started more than WATCHED_GRACE into the week)
    with nothing to report gets no digest: a new install does not open with an empty one;
    quiet weeks after that still post their zeros."""

    def __init__(self, *, store: Store, settings: Settings,
                 clock: Callable[[], datetime] = utcnow,
                 brand_name: Callable[[str], str] = same_name) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.brand_name = brand_name

    def first_run(self, now: datetime) -> datetime:
        """When this job first ran on this database (recorded on that run)."""
        seen = (self.store.kv_get(FIRST_RUN_KEY) or {}).get("at")
        if seen:
            return datetime.fromisoformat(str(seen))
        self.store.kv_set(FIRST_RUN_KEY, {"at": now})
        return now

    def run(self) -> str | None:
        """The outbox key of the digest queued now, or None (not due, already queued, or a
        new installation's empty first week)."""
        now = self.clock()
        started = self.first_run(now)
        cfg = self.settings.reports
        due = due_at(now, weekday=cfg.digest_weekday, hour=cfg.digest_hour)
        if now < due:
            return None
        key = digest_key(digest_week(due))
        if (self.store.kv_get(KV_KEY) or {}).get("key") == key \
                or self.store.outbox_row(key) is not None:
            return None
        digest = build_digest(self.store, self.settings, end=due, brand_name=self.brand_name)
        if not digest.report.mentions and started > due - WEEK + WATCHED_GRACE:
            self.store.kv_set(KV_KEY, {"key": key, "skipped_at": now,
                                       "why": "new installation, nothing to report yet"})
            logger.info("weekly digest %s skipped: installed %s, after the week began, and "
                        "nothing to report", key, started.isoformat())
            return None
        queued = self.store.enqueue(key=key, kind=OutboxKind.UPLOAD, channel=digest.channel,
                                    payload=digest.payload())
        self.store.kv_set(KV_KEY, {"key": key, "queued_at": now, "channel": digest.channel,
                                   "mentions": digest.report.mentions})
        logger.info("weekly digest %s queued for %s (%d mentions)", key, digest.channel,
                    digest.report.mentions)
        return key if queued else None
