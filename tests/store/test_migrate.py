"""Migrations: `db upgrade` killed half-way leaves a database the next `db upgrade` finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time as _time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, inspect

from monitor.store import Store, migrate
from tests import factories as f

REAL_SLEEP = _time.sleep  # captured before the autouse fixture makes sleep instant
REPO = Path(__file__).resolve().parents[2]

# `brand-monitor db upgrade`, stopped right after the first migration created its second table
# (the first, `kv`, is already there): the moment a kill -9 used to leave half a schema behind
PAUSED_UPGRADE = textwrap.dedent("""
    import runpy, sys, time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "after_cursor_execute")
    def pause(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE MENTIONS"):
            print("PAUSED", flush=True)
            time.sleep(600)

    sys.argv = ["brand-monitor", "db", "upgrade", "--config", sys.argv[1]]
    runpy.run_module("monitor", run_name="__main__")
""")


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
            "HOME": os.environ.get("HOME", "/tmp")}


@pytest.mark.slow
def test_db_upgrade__killed_during_the_first_migration_then_upgrade_again_succeeds(
        tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\n")
    proc = subprocess.Popen([sys.executable, "-c", PAUSED_UPGRADE, str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the child is inside the migration
        assert line.strip() == "PAUSED", proc.communicate(timeout=60)[1]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()

    again = subprocess.run([sys.executable, "-m", "monitor", "db", "upgrade", "--config",
                            str(cfg)], capture_output=True, text=True, timeout=120, env=_env())
    assert again.returncode == 0, again.stderr
    assert "database at revision" in again.stdout
    url = f"sqlite:///{tmp_path / 'data' / 'brand-monitor.sqlite'}"
    store = Store.from_url(url)
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert store.save_batch("x", [f.item()], "c1")  # the schema is whole and usable
    finally:
        store.close()


def test_upgrade__runs_the_whole_migration_in_one_transaction(tmp_path: Path) -> None:
    """The in-process view of the same promise: a migration that fails after its first table
    leaves no table behind (the sqlite3 driver used to commit each CREATE TABLE at once)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)

    def fail_on_mentions(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("CREATE TABLE MENTIONS"):
            raise RuntimeError("interrupted")

    store = Store.from_url(url, migrate_schema=False)
    event.listen(store.engine, "before_cursor_execute", fail_on_mentions)
    with pytest.raises(RuntimeError, match="interrupted"):
        store.upgrade()
    event.remove(store.engine, "before_cursor_execute", fail_on_mentions)
    assert inspect(engine).get_table_names() == []
    store.upgrade()
    assert "kv" in inspect(engine).get_table_names()
    store.close()
    engine.dispose()
