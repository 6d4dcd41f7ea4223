"""The operator's port: /healthz, /readyz and /metrics, and `status` when the database is down."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from monitor.errors import MonitorError
from monitor.probes import ProbeServer, Readiness
from monitor.store import Store
from tests.clirun import run_cli

UNREACHABLE = "postgresql://brandmon:s3cret-pw@127.0.0.1:1/brandmon"  # nothing listens on 1


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def probes() -> tuple[ProbeServer, Readiness]:
    readiness = Readiness()
    server = ProbeServer("127.0.0.1", 0, readiness).start()
    yield server, readiness
    server.stop()


def ping(store: Store) -> list[str]:
    try:
        store.ping()
    except MonitorError as e:
        return [str(e)]
    return []


def test_probes__alive_at_once_ready_only_when_the_database_answers(
        probes: tuple[ProbeServer, Readiness], tmp_path: Path) -> None:
    server, readiness = probes
    base = f"http://127.0.0.1:{server.port}"
    assert get(base + "/healthz") == (200, "ok\n")
    code, body = get(base + "/readyz")
    assert code == 503 and "starting" in json.loads(body)["problems"][0]  # the model loads
    good = Store.from_url(f"sqlite:///{tmp_path / 'x.sqlite'}")
    readiness.ready_when(lambda: ping(good))
    assert get(base + "/readyz") == (200, json.dumps({"ready": True, "problems": []}) + "\n")
    gone = Store.from_url(UNREACHABLE, migrate_schema=False)
    readiness.ready_when(lambda: ping(gone))
    code, body = get(base + "/readyz")
    problems = json.loads(body)["problems"]
    assert code == 503 and len(problems) == 1
    assert problems[0].startswith("cannot reach the database") and "s3cret" not in body
    assert get(base + "/healthz")[0] == 200  # alive all the same: no restart for a db outage
    from monitor import metrics as m

    m.POLL_SECONDS.labels("probe-test").observe(42)  # a poll of tens of seconds
    code, metrics = get(base + "/metrics")
    assert code == 200
    # it lands in a bucket of its own size, not only in +Inf (the default buckets end at 10s)
    assert 'brand_monitor_poll_seconds_bucket{le="30.0",source="probe-test"} 0.0' in metrics
    assert 'brand_monitor_poll_seconds_bucket{le="45.0",source="probe-test"} 1.0' in metrics
    good.close()
    gone.close()


def test_status__unreachable_database_is_one_problem_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\ndatabase_url: {UNREACHABLE}\n"
                   "sources: {sample: {enabled: true}}\n")
    res = run_cli("status", "--config", str(cfg), cwd=tmp_path, timeout=120)
    assert res.returncode == 1
    out = res.stdout + res.stderr
    assert "Traceback" not in out and "s3cret" not in out
    lines = [ln for ln in out.splitlines() if "cannot reach the database" in ln]
    assert len(lines) == 1 and "127.0.0.1:1/brandmon" in lines[0], out
    assert "unhealthy" in out
