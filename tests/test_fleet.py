"""Three real daemons on one PostgreSQL, one killed -9 twice: every case posted exactly once,
every source kept polling, the survivors took the dead one's leases over."""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import text

from monitor.clock import utcnow
from monitor.store import Store
from tests.clirun import Daemon
from tests.fakes.server import FakeServer, Request, Response
from tests.fakes.slack import FakeSlack, Message
from tests.store.conftest import _pg_store
from tests.test_crash_loop import ROUNDS, small_samples

REPO = Path(__file__).resolve().parents[1]
REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant
REPLICAS = 3
FEED_STEP = 4  # feed entries published at the start and after each kill
INTERVAL = 2.0  # seconds between polls of a source (fleet-wide)
LEASE = 4.0  # fleet.lease_seconds (= 4 x slack.timeout)


@pytest.fixture
def pg() -> Iterator[Store]:
    yield from _pg_store()


COMPLAINT = ("@parcelly tracking says delivered at 14:02 but I was home all day, nobody "
             "knocked, no photo. Where is my parcel?? order PX-{}")


class Feed:
    """An RSS feed on loopback that publishes more entries when told (`publish`)."""

    def __init__(self, server: FakeServer) -> None:
        self.visible = 0
        self.polls = 0
        self.url = server.url + "/feed.xml"
        server.route("GET", "/feed.xml", self._serve)

    def publish(self, n: int) -> None:
        self.visible += n

    def _serve(self, _req: Request) -> Response:
        self.polls += 1
        items = "".join(
            f"<item><title>Order PX-{8800 + i}</title><guid>fleet-{i}</guid>"
            f"<link>https://status.example/{i}</link>"
            f"<pubDate>Mon, 30 Nov 2026 09:{i:02d}:00 GMT</pubDate>"
            f"<description>{escape(COMPLAINT.format(i))}</description></item>"
            for i in range(self.visible))
        body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>status</title>'
                f"<link>https://status.example</link>{items}</channel></rss>")
        return Response(body=body, headers={"Content-Type": "application/rss+xml"})


def write_config(tmp_path: Path, *, db: str, slack: str, feed: str) -> Path:
    samples = tmp_path / "samples.yaml"
    small_samples(samples)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("\n".join([
        f"data_dir: {tmp_path / 'data'}",
        f"database_url: {db}",
        f"rules_dir: {REPO / 'rules'}",
        "log_level: INFO",
        "sources:",
        "  sample:",
        "    enabled: true",
        f"    path: {samples}",
        f"    interval: {INTERVAL}",
        "  rss:",
        "    enabled: true",
        f"    interval: {INTERVAL}",
        f"    feeds: [{{url: '{feed}', brand: parcelly}}]",
        "slack:",
        f"  base_url: {slack}",
        "  timeout: 1",
        "outbox:",
        "  interval: 0.3",
        "  batch_size: 2",
        "  backoff_base: 0.2",
        "  backoff_max: 1.5",
        "  max_attempts: 1000",
        "fleet:",
        f"  lease_seconds: {LEASE}",
        "  check_seconds: 0.5",
    ]) + "\n")
    return cfg


class Replica(Daemon):
    """One `python -m monitor run` process, its log in a file."""

    def __init__(self, cfg: Path, log: Path) -> None:
        super().__init__(cfg, log, slack_token="xoxb-fleet-test")
        self.tag = f"-{self.proc.pid}-"  # in its replica id: host-pid-random

    def running(self, timeout: float, *, every: float = 0.2) -> bool:
        return super().running(timeout, every=every)

    def stop(self, *, timeout: float = 90) -> int:
        return super().stop(timeout=timeout)


@dataclass
class Kill:
    at: datetime
    victim: str  # its tag
    in_flight: list[str] = field(default_factory=list)  # outbox keys it held a lease on
    locked: list[str] = field(default_factory=list)  # advisory locks it held (source polls)
    rows_taken_after: float | None = None  # seconds until its rows were delivered by others
    polled_after: dict[str, float] = field(default_factory=dict)  # source -> seconds


def held_by(store: Store, tag: str) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT key FROM outbox WHERE status = 'sending' AND lease_owner LIKE :t"),
            {"t": f"%{tag}%"})]


def locks_of(store: Store, tag: str) -> list[str]:
    with store.engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(text(
            "SELECT l.objid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE :t"),
            {"t": f"%{tag}%"})]


def kill_holding_a_lease(store: Store, replica: Replica, timeout: float) -> Kill:
    """Kill -9 `replica` while it holds an outbox lease (or after `timeout`)."""
    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline and not held_by(store, replica.tag):
        REAL_SLEEP(0.05)
    locked = locks_of(store, replica.tag)
    replica.kill()
    return Kill(at=utcnow(), victim=replica.tag, in_flight=held_by(store, replica.tag),
                locked=locked)


def watch_takeover(store: Store, kill: Kill, timeout: float) -> None:
    """Until the dead replica's rows are delivered and each source was polled after the kill."""
    started = _time.monotonic()
    while _time.monotonic() - started < timeout:
        waited = _time.monotonic() - started
        rows = [store.outbox_row(k) for k in kill.in_flight]
        if kill.rows_taken_after is None and all(r and r.status == "sent" for r in rows):
            kill.rows_taken_after = waited
        for st in store.source_states():
            if st.last_success_at and st.last_success_at > kill.at:
                kill.polled_after.setdefault(st.source, waited)
        if kill.rows_taken_after is not None and len(kill.polled_after) == 2:
            return
        REAL_SLEEP(0.1)


def settled(store: Store, feed: Feed) -> bool:
    states = {s.source: s for s in store.source_states()}
    sample = states.get("sample")
    rss_ids = {m.mention.external_id for m in store.iter_mentions() if m.mention.source == "rss"}
    return (sample is not None and sample.cursor == str(ROUNDS)
            and len(rss_ids) == feed.visible
            and {r.status for r in store.outbox_rows()} <= {"sent"})


@pytest.mark.slow
@pytest.mark.postgres
def test_fleet__three_replicas_one_killed_twice_post_each_case_exactly_once(
        tmp_path: Path, fake_server: FakeServer, pg: Store) -> None:
    started = _time.monotonic()
    slack = FakeSlack(fake_server)

    def slow_post(_msg: Message) -> None:  # posts take a while: kills find rows in flight
        REAL_SLEEP(0.3)

    slack.on_post = slow_post
    feed = Feed(fake_server)
    feed.publish(FEED_STEP)
    db = pg.engine.url.render_as_string(hide_password=False)
    cfg = write_config(tmp_path, db=db, slack=slack.base_url, feed=feed.url)
    replicas = [Replica(cfg, tmp_path / f"replica-{n}.log") for n in range(REPLICAS)]
    lives = list(replicas)
    kills: list[Kill] = []
    try:
        for r in replicas:
            assert r.running(240), r.log.read_text()[-3000:]
        loaded = _time.monotonic() - started
        for n in range(2):  # the same slot, killed, restarted, killed again
            feed.publish(FEED_STEP)  # new work: posts the victim may be delivering
            kill = kill_holding_a_lease(pg, replicas[0], timeout=60)
            kills.append(kill)
            watch_takeover(pg, kill, timeout=60)
            replicas[0] = Replica(cfg, tmp_path / f"replica-0-life-{n + 1}.log")
            lives.append(replicas[0])
            assert replicas[0].running(240), replicas[0].log.read_text()[-3000:]
        deadline = _time.monotonic() + 120
        while not settled(pg, feed) and _time.monotonic() < deadline:
            REAL_SLEEP(0.5)
    finally:
        codes = []
        for r in replicas:
            if r.proc.poll() is None:
                codes.append(r.stop())
    assert codes == [0] * REPLICAS

    cases = [v for v in pg.cases() if v.case.channel]
    keys = [m.key for m in slack.messages if m.key]
    posts = [k for k in keys if k.startswith("post:")]
    duplicates = len(keys) - len(set(keys))
    logs = "".join(life.log.read_text() for life in lives)
    polled_by = {s.source: s.polled_by for s in pg.source_states()}
    taken = [k for kill in kills for k in kill.in_flight]
    rows = {k: pg.outbox_row(k) for k in taken}
    print(f"\nfleet: {REPLICAS} replicas, {len(kills)} kill -9s, models loaded in "
          f"{loaded:.0f}s; {len(cases)} actionable cases, {len(posts)} posts, {duplicates} "
          f"duplicates; rows in flight at the kills: {[len(k.in_flight) for k in kills]}, "
          f"delivered by survivors after {[k.rows_taken_after for k in kills]} s (lease "
          f"{LEASE:.0f}s); sources polled again after "
          f"{[{s: round(t, 1) for s, t in k.polled_after.items()} for k in kills]} s "
          f"(interval {INTERVAL:.0f}s); source locks held at the kills: "
          f"{[len(k.locked) for k in kills]}; feed polled {feed.polls}x; "
          f"{_time.monotonic() - started:.0f}s in all")

    assert settled(pg, feed), "the fleet did not finish the work"
    assert duplicates == 0, sorted(k for k in keys if keys.count(k) > 1)
    for view in cases:  # every actionable case exactly once, and the case knows its message
        (msg,) = slack.by_key(f"post:{view.case.id}")
        assert view.case.slack_ts == msg.ts
    for kill in kills:  # every source polled again after each kill, by a survivor
        assert set(kill.polled_after) == {"sample", "rss"}
    assert taken, "no kill found the replica holding a lease"
    for key, row in rows.items():  # the dead replica's rows: delivered by another replica
        assert row is not None and row.status == "sent"
        assert row.lease_owner is not None and kills[0].victim not in row.lease_owner \
            and kills[1].victim not in row.lease_owner, (key, row.lease_owner)
    assert "taking over" in logs  # the survivors said so
    assert all(p is not None for p in polled_by.values())
    assert "UniqueViolation" not in logs and "Traceback" not in logs, logs[-5000:]
