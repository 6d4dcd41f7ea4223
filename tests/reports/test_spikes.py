"""Complaint spikes: one alert per storm, against the same hour's 14-day baseline, cooldown."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient

from monitor.config import OutboxSettings, ReportSettings, Settings, SlackSettings
from monitor.models import Label, Priority
from monitor.reports.spikes import KV_PREFIX, SpikeJob, detect, hour_counts
from monitor.slack.delivery import SlackDelivery
from monitor.slack.outbox import OutboxWorker
from monitor.store import Store
from tests import factories as f
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack
from tests.reports.conftest import DAY, HOUR, MIN, NOW, add


def spike_settings(tmp_path: Path, **reports: object) -> Settings:
    return Settings(data_dir=tmp_path, slack=SlackSettings(oncall_group="S0ONCALL01"),
                    reports=ReportSettings(**reports))  # type: ignore[arg-type]


def complaints(store: Store, n: int, *, at: datetime, brand: str = "parcelly") -> None:
    """`n` complaints one minute apart, ending at `at`, stored in one batch."""
    items = [f.item(f.mention(posted_text(i), created_at=at - i * MIN), brand=brand)
             for i in range(n)]
    if items:
        store.save_batch("x", items, None)


def posted_text(i: int) -> str:
    return f"parcelly lost parcel number {i}"


def job(store: Store, settings: Settings, at: datetime) -> SpikeJob:
    return SpikeJob(store=store, settings=settings, clock=lambda: at)


def test_hour_counts__same_hour_on_each_earlier_day() -> None:
    times = [NOW - 5 * MIN, NOW - HOUR, NOW,  # [now - 1h, now): the start is in, the end out
             NOW - DAY - 30 * MIN, NOW - 3 * DAY - 1 * MIN, NOW - 14 * DAY - 10 * MIN,
             NOW - 15 * DAY - 10 * MIN]  # past the baseline
    current, baseline = hour_counts(times, end=NOW)
    assert current == 2
    assert baseline == [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert len(baseline) == 14


def test_detect__above_mean_plus_sigma_and_minimum(store: Store, tmp_path: Path) -> None:
    # parcelly: usually one complaint at this hour, now six -> spike (threshold 1 + 3·0)
    for d in range(1, 15):
        complaints(store, 1, at=NOW - d * DAY - 30 * MIN)
    complaints(store, 6, at=NOW - 2 * MIN)
    # lumo: 0 and 10 on alternate days (mean 5, σ 5 -> threshold 20), now 12 -> no spike
    for d in range(1, 15):
        complaints(store, 10 * (d % 2), at=NOW - d * DAY - 5 * MIN, brand="lumo")
    complaints(store, 12, at=NOW - 2 * MIN, brand="lumo")
    # brewbird: nothing usually, now 4 -> under spike_min_count (5)
    complaints(store, 4, at=NOW - 2 * MIN, brand="brewbird")
    # praise storms are not complaint spikes
    for i in range(8):
        add(store, label=Label.PRAISE, posted=NOW - i * MIN, brand="brewbird")
    (spike,) = detect(store, spike_settings(tmp_path), now=NOW)
    assert (spike.brand, spike.count, spike.mean, spike.std, spike.threshold) == \
        ("parcelly", 6, 1.0, 0.0, 1.0)
    lower = spike_settings(tmp_path, spike_sigma=1.0)  # lumo: 12 > 5 + 1·5
    assert [s.brand for s in detect(store, lower, now=NOW)] == ["lumo", "parcelly"]
    fewer = spike_settings(tmp_path, spike_min_count=4)
    assert [s.brand for s in detect(store, fewer, now=NOW)] == ["brewbird", "parcelly"]


def test_spike_job__fires_once_then_respects_cooldown(store: Store, tmp_path: Path) -> None:
    settings = spike_settings(tmp_path, spike_cooldown_minutes=180)
    complaints(store, 6, at=NOW - 2 * MIN)
    assert job(store, settings, NOW).run() == ["spike:parcelly:2026-11-20T12"]
    assert job(store, settings, NOW + 5 * MIN).run() == []  # the same storm: no second ping
    assert store.kv_get(KV_PREFIX + "parcelly")["count"] == 6  # type: ignore[index]
    later = NOW + 2 * HOUR
    complaints(store, 7, at=later - MIN)  # a new storm inside the cooldown: quiet
    assert job(store, settings, later).run() == []
    after = NOW + 3 * HOUR + MIN
    complaints(store, 8, at=after - MIN)  # after the cooldown: alert again
    assert job(store, settings, after).run() == ["spike:parcelly:2026-11-20T15"]
    assert [r.key for r in store.outbox_rows() if r.key.startswith("spike:")] == \
        ["spike:parcelly:2026-11-20T12", "spike:parcelly:2026-11-20T15"]


def test_spike_job__quiet_store_alerts_nothing(store: Store, tmp_path: Path) -> None:
    assert job(store, spike_settings(tmp_path), NOW).run() == []
    assert list(store.outbox_rows()) == []


@pytest.fixture
def slack(fake_server: FakeServer) -> FakeSlack:
    return FakeSlack(fake_server)


def test_spike_alert__one_escaped_message_with_top_examples(store: Store, tmp_path: Path,
                                                            slack: FakeSlack) -> None:
    complaints(store, 5, at=NOW - 2 * MIN)
    add(store, label=Label.COMPLAINT, posted=NOW - 30 * MIN, priority=Priority.URGENT,
        handle="angry_vip", followers=90,
        text="<!channel> my parcel was STOLEN & nobody answers <https://evil.example|refund>")
    settings = spike_settings(tmp_path, spike_channel="#care-parcelly")
    job(store, settings, NOW).run()
    rows = [r for r in store.outbox_rows() if r.key.startswith("spike:")]
    client = WebClient(token="xoxb-spike-test", base_url=slack.base_url, timeout=5)
    worker = OutboxWorker(store=store, delivery=SlackDelivery(client),
                          settings=OutboxSettings(), slack=SlackSettings())
    for _ in range(5):
        if not worker.run_once().sent:
            break
    (msg,) = [m for m in slack.posted("C0PARCEL01")
              if (m.metadata or {}).get("event_payload", {}).get("outbox_key") == rows[0].key]
    assert msg.blocks[0]["type"] == "header" and "parcelly" in msg.blocks[0]["text"]["text"]
    body = msg.blocks[1]["text"]["text"]
    assert "*6 complaints*" in body and "<!subteam^S0ONCALL01>" in body
    examples = [b["text"]["text"] for b in msg.blocks[3:]]
    assert len(examples) == 3
    assert "angry_vip" in examples[0]  # the urgent one leads
    assert "&lt;!channel&gt;" in examples[0] and "<!channel>" not in examples[0]
    assert "&lt;https://evil.example|refund&gt;" in examples[0]
    assert "<https://x.com/angry_vip/status/" in examples[0]  # our own link to the post


def test_report_jobs__digest_and_spike_jobs_on_the_daemon_clock(store: Store, tmp_path: Path
                                                                ) -> None:
    from monitor.reports.jobs import report_jobs

    settings = spike_settings(tmp_path, digest_weekday="fri", digest_hour=12)
    jobs = {j.name: j for j in report_jobs(store, settings, clock=lambda: NOW + MIN)}
    assert set(jobs) == {"digest", "spikes"}
    assert jobs["digest"].seconds == 900 and jobs["spikes"].seconds == 300
    complaints(store, 6, at=NOW)
    assert jobs["spikes"].func() == ["spike:parcelly:2026-11-20T12"]
    assert jobs["digest"].func() == "digest:2026-W47"


def test_app_spike_job__alert_names_the_brand_as_the_rules_do(store: Store, tmp_path: Path
                                                               ) -> None:
    from monitor.app import App, app_jobs
    from monitor.config import Secrets
    from monitor.rules.watcher import RulesWatcher

    rules = RulesWatcher(Path(__file__).resolve().parents[2] / "rules")
    app = App(settings=spike_settings(tmp_path), secrets=Secrets(), store=store, rules=rules,
              classifier=None, pipeline=None, delivery=None,  # type: ignore[arg-type]
              outbox=None)  # type: ignore[arg-type]
    (spikes,) = [j for j in app_jobs(app, clock=lambda: NOW) if j.name == "spikes"]
    complaints(store, 6, at=NOW - 2 * MIN, brand="lumo")
    assert spikes.func() == ["spike:lumo:2026-11-20T12"]
    (row,) = [r for r in store.outbox_rows() if r.key.startswith("spike:")]
    assert row.payload["blocks"][0]["text"]["text"] == "🚨 Complaint spike: Lumo Bank"
    assert "about *Lumo Bank*" in row.payload["blocks"][1]["text"]["text"]
    assert row.payload["text"].startswith("Complaint spike: Lumo Bank,")
