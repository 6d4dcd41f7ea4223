"""The weekly digest: due once a week, uploaded through the real WebClient to a fake Slack."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib import image as mpimg
from rich.console import Console
from slack_sdk import WebClient

from monitor.clock import utcnow
from monitor.config import OutboxSettings, ReportSettings, Settings, SlackSettings
from monitor.models import Label
from monitor.readmodels import Window
from monitor.reports.digest import KV_KEY, DigestJob, best_praise, due_at, week_name
from monitor.slack.delivery import SlackDelivery, TerminalDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack
from tests.reports.conftest import MIN, NOW, Seeded, add

TOKEN = "xoxb-digest-test"


@pytest.fixture
def slack(fake_server: FakeServer) -> FakeSlack:
    return FakeSlack(fake_server)


def digest_settings(tmp_path: Path, **reports: object) -> Settings:
    # NOW is Friday 12:00 UTC: the digest is due exactly then
    return Settings(data_dir=tmp_path / "data", slack=SlackSettings(),
                    reports=ReportSettings(digest_weekday="fri", digest_hour=12,
                                           **reports))  # type: ignore[arg-type]


def slack_worker(store: Store, slack: FakeSlack) -> OutboxWorker:
    client = WebClient(token=TOKEN, base_url=slack.base_url, timeout=5)
    return OutboxWorker(store=store, delivery=SlackDelivery(client), settings=OutboxSettings(),
                        slack=SlackSettings())


def drain(worker: OutboxWorker) -> int:
    """Deliver everything due (the seeded cases' posts come first); the number sent. Outbox
    rows are due by the wall clock, so delivery runs at the real time, not at NOW."""
    sent = 0
    for _ in range(20):
        stats = worker.run_once()
        sent += stats.sent
        if not stats.sent:
            break
    return sent


def job_at(store: Store, settings: Settings, at: datetime) -> DigestJob:
    return DigestJob(store=store, settings=settings, clock=lambda: at)


def test_due_at__this_iso_weeks_weekday_and_hour() -> None:
    assert due_at(NOW, weekday="mon", hour=9) == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert due_at(NOW, weekday="sun", hour=23) == datetime(2026, 11, 22, 23, tzinfo=UTC)
    assert week_name(NOW) == "2026-W47"
    assert week_name(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"  # ISO year, not calendar


def test_best_praise__confidence_then_followers_one_per_author(store: Store, seeded: Seeded
                                                               ) -> None:
    best = best_praise(store, Window(NOW - timedelta(days=7), NOW))
    # fan_small's 0.953 ties fan_big's 0.95 at two decimals and has fewer followers; fan_big's
    # second post (0.94) would beat celebrity's 0.80 but an author is quoted once
    assert [q.author_handle for q in best] == ["fan_big", "fan_small", "celebrity"]


def test_digest__not_due_before_the_hour(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    settings = digest_settings(tmp_path)
    assert job_at(store, settings, NOW - MIN).run() is None
    assert not [r for r in store.outbox_rows() if r.kind == "upload"]


def test_digest__uploads_chart_through_fake_slack_once_a_week(
        store: Store, seeded: Seeded, slack: FakeSlack, fake_server: FakeServer,
        tmp_path: Path) -> None:
    settings = digest_settings(tmp_path)
    assert job_at(store, settings, NOW + 10 * MIN).run() == "digest:2026-W47"
    assert job_at(store, settings, NOW + 20 * MIN).run() is None  # same week: nothing more
    assert job_at(store, settings, NOW + timedelta(days=2)).run() is None
    assert store.kv_get(KV_KEY)["key"] == "digest:2026-W47"  # type: ignore[index]

    sent = drain(slack_worker(store, slack))
    methods = [m for m, _ in slack.calls]
    assert "files.getUploadURLExternal" in methods and "files.completeUploadExternal" in methods
    assert methods.index("files.getUploadURLExternal") < \
        methods.index("files.completeUploadExternal")
    assert any(r.path.startswith("/upload/") for r in fake_server.requests)
    upload = [f for f in slack.files if f.get("channel")]
    assert len(upload) == 1 and sent >= 1
    (file,) = upload
    assert file["channel"] == "C0MARKET01"  # slack.channels.praise, resolved to its id
    assert file["filename"] == "brand-mentions-2026-W47.png"
    img = mpimg.imread(io.BytesIO(file["data"]), format="png")
    assert img.shape[:2] == (600, 1200)
    # shared by a message that links it and carries the row's key: reconcilable like posts
    message = slack.shared_in(file)
    assert message.key == "digest:2026-W47" and message.channel == "C0MARKET01"
    comment = message.text
    assert "*12* mentions" in comment and "Praise *5* (▲ 150% vs 2)" in comment
    assert "First response (median) *1h 00m*" in comment
    assert comment.index("fan_big") < comment.index("fan_small") < comment.index("celebrity")
    assert "<https://x.com/fan_big/status/" in comment

    next_week = NOW + timedelta(days=7, minutes=1)
    assert job_at(store, settings, next_week).run() == "digest:2026-W48"
    drain(slack_worker(store, slack))
    assert len([f for f in slack.files if f.get("channel")]) == 2


def test_digest__public_text_is_escaped(store: Store, tmp_path: Path, slack: FakeSlack
                                        ) -> None:
    add(store, label=Label.PRAISE, posted=NOW - timedelta(days=1), handle="<!channel>",
        text="love it <!here> & <https://evil.example|your bank> @parcelly")
    job_at(store, digest_settings(tmp_path, digest_channel="#social-care"), NOW).run()
    drain(slack_worker(store, slack))
    (file,) = [f for f in slack.files if f.get("channel")]
    comment = slack.shared_in(file).text
    assert file["channel"] == "C0SOCIAL01"  # reports.digest_channel wins over praise's channel
    assert "<!here>" not in comment and "<!channel>" not in comment
    assert "&lt;!here&gt; &amp; &lt;https://evil.example|your bank&gt;" in comment
    assert "@&lt;!channel&gt;" in comment


def test_digest__empty_store_still_posts_zeros(store: Store, tmp_path: Path) -> None:
    # the installation has watched the whole week (its job ran before the week began): a
    # quiet week is reported as zeros
    assert job_at(store, digest_settings(tmp_path), NOW - timedelta(days=7, hours=1)).run() \
        is None
    assert job_at(store, digest_settings(tmp_path), NOW).run() == "digest:2026-W47"
    (row,) = [r for r in store.outbox_rows() if r.kind == "upload"]
    assert "*0* mentions (same as the week before)" in row.payload["initial_comment"]
    assert "No praise this week" in row.payload["initial_comment"]
    assert base64.b64decode(row.payload["content_b64"]).startswith(b"\x89PNG")


def test_digest__slack_failure_retries_through_the_outbox(
        store: Store, seeded: Seeded, slack: FakeSlack, tmp_path: Path) -> None:
    worker = slack_worker(store, slack)
    drain(worker)  # the seeded cases' posts
    job_at(store, digest_settings(tmp_path), NOW).run()
    slack.fail("files.completeUploadExternal", status=500)
    first = worker.run_once()
    assert (first.sent, first.retried) == (0, 1)
    (row,) = [r for r in store.outbox_rows() if r.kind == "upload"]
    assert row.status == "pending" and "files_upload_v2" in (row.last_error or "")
    again = worker.run_once(now=utcnow() + timedelta(hours=1))
    assert again.sent == 1
    assert [f["channel"] for f in slack.files if f.get("channel")] == ["C0MARKET01"]


def test_digest__terminal_delivery_writes_the_png(store: Store, seeded: Seeded,
                                                  tmp_path: Path) -> None:
    job_at(store, digest_settings(tmp_path), NOW).run()
    console = Console(record=True, width=120)
    files = tmp_path / "uploads"
    worker = OutboxWorker(store=store, delivery=TerminalDelivery(console, files_dir=files),
                          settings=OutboxSettings(), slack=SlackSettings())
    drain(worker)
    png = files / "brand-mentions-2026-W47.png"
    assert mpimg.imread(png).shape[:2] == (600, 1200)
    shown = console.export_text()
    assert "Weekly brand mentions" in shown and "uploads" in shown


def test_digest__compares_response_time_with_the_week_before(store: Store, seeded: Seeded,
                                                            tmp_path: Path) -> None:
    from monitor import triage

    before = NOW - timedelta(days=9)
    case_id = add(store, label=Label.COMPLAINT, posted=before)
    triage.claim(store, case_id, actor="U3", at=before + timedelta(hours=2))
    job_at(store, digest_settings(tmp_path), NOW).run()
    (row,) = [r for r in store.outbox_rows() if r.kind == "upload"]
    comment = row.payload["initial_comment"]
    assert "First response (median) *1h 00m* (▼ 50% vs 2h 00m) · p90 4h 12m" in comment
    assert "Complaints *4* (▲ 300% vs 1)" in comment
    assert "answered within target *50%*" in comment
    assert "Resolved at first contact: *67%* of 3 handled" in comment


def test_digest__new_install_skips_its_empty_first_week(store: Store, tmp_path: Path) -> None:
    settings = digest_settings(tmp_path)
    assert job_at(store, settings, NOW - 30 * MIN).run() is None  # installed: not due yet
    assert job_at(store, settings, NOW + MIN).run() is None  # due, but nothing was watched
    assert job_at(store, settings, NOW + 20 * MIN).run() is None  # and it stays skipped
    assert not [r for r in store.outbox_rows() if r.kind == "upload"]
    # a week later the installation has watched a whole week: zeros are news now
    assert job_at(store, settings, NOW + timedelta(days=7, minutes=1)).run() == \
        "digest:2026-W48"


def test_digest__new_install_with_mentions_posts_its_first_week(store: Store, tmp_path: Path
                                                                ) -> None:
    add(store, label=Label.COMPLAINT, posted=NOW - timedelta(hours=3))
    assert job_at(store, digest_settings(tmp_path), NOW + MIN).run() == "digest:2026-W47"


def test_digest__monday_digest_is_named_after_the_week_it_covers(
        store: Store, seeded: Seeded, tmp_path: Path) -> None:
    # due Monday 23 Nov 09:00, it covers Monday 16 Nov 09:00 to then: ISO week 47, not 48
    settings = digest_settings(tmp_path).model_copy(update={"reports": ReportSettings(
        digest_weekday="mon", digest_hour=9)})
    monday = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    assert job_at(store, settings, monday).run() == "digest:2026-W47"
    (row,) = [r for r in store.outbox_rows() if r.kind == "upload"]
    assert row.payload["filename"] == "brand-mentions-2026-W47.png"
    assert "16 Nov – 23 Nov 2026" in row.payload["initial_comment"]
    # and the next Monday's is W48, one key per week
    assert job_at(store, settings, monday + timedelta(days=7)).run() == "digest:2026-W48"
