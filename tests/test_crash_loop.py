"""The real daemon, killed -9 at random moments against a faulty Slack: every post exactly once."""

from __future__ import annotations

import os
import random
import threading
import time as _time
from importlib import resources
from pathlib import Path

import pytest
import yaml

from monitor.store import Store
from tests.clirun import Daemon
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack, Message
from tests.fakes.slack_faults import Chaos

REPO = Path(__file__).resolve().parents[1]
REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant
KILLS = int(os.environ.get("BRAND_MONITOR_CRASH_KILLS", "20"))
ITEMS, ROUNDS = 20, 3
SEED = int(os.environ.get("BRAND_MONITOR_CRASH_SEED", "1212"))


def small_samples(path: Path) -> None:
    """ITEMS actionable sample mentions in ROUNDS rounds, with the authors who write more than
    once (their later mentions get an author-history thread reply)."""
    text = resources.files("monitor.demo").joinpath("samples.yaml").read_text()
    items = [i for i in yaml.safe_load(text)["items"]
             if i.get("expect") in ("complaint", "question", "praise")]
    handles = [i["author"]["handle"] for i in items]
    repeat = [i for i in items if handles.count(i["author"]["handle"]) > 1]
    chosen = repeat + [i for i in items if i not in repeat][: ITEMS - len(repeat)]
    for n, item in enumerate(sorted(chosen, key=lambda i: i["round"])):
        item["round"] = 1 + n * ROUNDS // len(chosen)
    path.write_text(yaml.safe_dump({"items": chosen}, allow_unicode=True))


def write_config(tmp_path: Path, slack_url: str) -> Path:
    samples = tmp_path / "samples.yaml"
    small_samples(samples)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("\n".join([
        f"data_dir: {tmp_path / 'data'}",
        f"rules_dir: {REPO / 'rules'}",
        "log_level: INFO",
        "sources:",
        "  sample:",
        "    enabled: true",
        f"    path: {samples}",
        "    interval: 1",
        "slack:",
        f"  base_url: {slack_url}",
        "  timeout: 1",
        "outbox:",
        "  interval: 0.3",
        "  batch_size: 4",
        "  backoff_base: 0.2",
        "  backoff_max: 1.5",
        "  max_attempts: 1000",
    ]) + "\n")
    return cfg


class Life(Daemon):
    """One run of `python -m monitor run`, its log in a file."""

    def __init__(self, cfg: Path, log: Path) -> None:
        super().__init__(cfg, log, slack_token="xoxb-crash-loop")

    def calling(self, slack: FakeSlack, timeout: float) -> bool:
        """Wait until this life calls Slack (its model is loaded and its outbox is at work)."""
        before = len(slack.calls)
        deadline = _time.monotonic() + timeout
        while _time.monotonic() < deadline and self.proc.poll() is None:
            if len(slack.calls) > before:
                return True
            REAL_SLEEP(0.05)
        return False


class WorstMoment:
    """Kill the daemon right after Slack stored a message and before its answer leaves."""

    def __init__(self, slack: FakeSlack) -> None:
        self.armed = threading.Event()
        self.posted = threading.Event()
        self.killed = threading.Event()
        slack.on_post = self._on_post

    def _on_post(self, _msg: Message) -> None:
        if self.armed.is_set():
            self.armed.clear()
            self.posted.set()
            self.killed.wait(0.5)  # hold the answer until the process is gone

    def wait(self, timeout: float) -> bool:
        self.killed.clear()
        self.posted.clear()
        self.armed.set()
        hit = self.posted.wait(timeout)
        self.armed.clear()
        return hit


def everything_delivered(store: Store, samples_rounds: int) -> bool:
    states = {s.source: s for s in store.source_states()}
    sample = states.get("sample")
    if sample is None or sample.cursor != str(samples_rounds):
        return False
    return {r.status for r in store.outbox_rows()} <= {"sent"}


@pytest.mark.slow
def test_daemon__killed_at_random_moments_posts_each_case_and_reply_exactly_once(
        tmp_path: Path, fake_server: FakeServer) -> None:
    started = _time.monotonic()
    rng = random.Random(SEED)
    slack = FakeSlack(fake_server)
    chaos = slack.chaos = Chaos(random.Random(SEED + 1), rate=0.25, slow=2.5)
    cfg = write_config(tmp_path, slack.base_url)
    db = f"sqlite:///{tmp_path / 'data' / 'brand-monitor.sqlite'}"
    (tmp_path / "data").mkdir()
    store = Store.from_url(db)  # migrated up front: interrupted migrations are another test's
    worst = WorstMoment(slack)
    moments: list[str] = []
    for n in range(KILLS):
        life = Life(cfg, tmp_path / f"life-{n:02d}.log")
        try:
            how = rng.choice(["startup", "random", "random", "worst", "worst", "worst"])
            if how == "startup":  # while it loads the model or polls for the first time
                REAL_SLEEP(rng.uniform(0.5, 4.0))
            elif everything_delivered(store, ROUNDS):  # nothing left to do: any moment
                how = "idle"
                assert life.running(180), life.log.read_text()[-3000:]
                REAL_SLEEP(rng.uniform(0.0, 2.0))
            else:
                assert life.calling(slack, 180), life.log.read_text()[-3000:]
                if how == "worst" and not worst.wait(rng.uniform(0.5, 3.0)):
                    how = "worst-missed"  # nothing was posted in time: a random moment
                elif how == "random":
                    REAL_SLEEP(rng.uniform(0.0, 2.5))
            moments.append(how)
        finally:
            life.kill()
            worst.killed.set()
    kills = len(moments)

    slack.chaos = None  # Slack heals; one more life finishes the backlog
    final = Life(cfg, tmp_path / "final.log")
    try:
        assert final.running(180), final.log.read_text()[-3000:]
        deadline = _time.monotonic() + 120
        while not everything_delivered(store, ROUNDS) and _time.monotonic() < deadline:
            REAL_SLEEP(0.5)
    finally:
        code = final.stop()
    assert code == 0

    rows = list(store.outbox_rows())
    cases = [v for v in store.cases() if v.case.channel]
    posts = [m for m in slack.messages if m.key and m.key.startswith("post:")]
    replies = [m for m in slack.messages if m.key and m.key.startswith("history:")]
    keys = [m.key for m in slack.messages if m.key]
    duplicates = len(keys) - len(set(keys))
    faults = {name: [f for _, f in chaos.picked].count(name)
              for name in sorted({f for _, f in chaos.picked})}
    reconciled = sum(log.read_text().count("was already in Slack")
                     for log in tmp_path.glob("*.log"))
    print(f"\ncrash loop: seed {SEED}, kills {kills} "
          f"{ {m: moments.count(m) for m in sorted(set(moments))} }, Slack faults {faults}, "
          f"cases {len(cases)}, posts {len(posts)}, thread replies {len(replies)}, "
          f"reconciled {reconciled}, duplicates {duplicates}, "
          f"wall {_time.monotonic() - started:.0f}s")
    assert kills >= KILLS
    assert {r.status for r in rows} == {"sent"}, [(r.key, r.status, r.last_error) for r in rows]
    assert duplicates == 0, sorted(k for k in keys if keys.count(k) > 1)
    # every actionable case is in Slack exactly once, and the case knows its message
    by_key: dict[str, Message] = {str(m.key): m for m in posts}
    for view in cases:
        msg = by_key[f"post:{view.case.id}"]
        assert view.case.slack_ts == msg.ts and view.case.slack_channel == msg.channel
    assert len(posts) == len(cases) >= 10
    # every author-history reply that had something to show went out once, in its thread
    sent_replies = [r for r in rows if r.kind == "history" and r.slack_ts]
    assert len(replies) == len(sent_replies) >= 1
    for reply in replies:
        parent = by_key[str(reply.key).replace("history:", "post:")]
        assert reply.thread_ts == parent.ts
    store.close()
