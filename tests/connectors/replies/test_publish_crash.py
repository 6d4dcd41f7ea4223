"""Crash between the platform's answer and our commit: the retry finds the reply, posts none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.connectors.replies.conftest import build
from tests.fakes.publish import Kit

ROOT = Path(__file__).resolve().parents[3]
TEXT = "Hi! We've found your parcel; it arrives tomorrow."


def test_publish__killed_after_the_platform_stored_it_is_reconciled_not_resent(
        kit: Kit, tmp_path: Path) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    record = tmp_path / "recorded"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"source": kit.name, "options": kit.options, "env": kit.env,
                                "target": asdict(kit.target), "text": TEXT,
                                "record": str(record)}))
    kit.fake.stall = 60.0  # the platform stores the reply, then holds its answer
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "tests.fakes.publish_child", str(spec)],
                             cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        assert kit.fake.stored.wait(60), child.stderr.read().decode() if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)  # the worst moment: posted, nothing recorded
        child.wait(30)
    kit.fake.stall = 0.0
    assert child.returncode == -signal.SIGKILL and not record.exists()

    # the second attempt: reconcile first, post only when nothing is found
    publisher = build(kit)
    found = publisher.find(kit.target, text=TEXT, since=since)
    if found is None:
        publisher.publish(kit.target, TEXT)
    assert found is not None
    assert kit.fake.replies_to(kit.target.external_id) == [TEXT]  # on the platform once
