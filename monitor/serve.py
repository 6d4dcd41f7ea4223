"""`brand-monitor run`'s process: its claim on a SQLite file, its probe port, the daemon's life."""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor import metrics
from monitor.config import Secrets, Settings
from monitor.errors import ConfigError, MonitorError
from monitor.fleet import replica_id
from monitor.probes import ProbeServer, Readiness
from monitor.store.locks import SingleProcess

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What `run --once` did, and the undelivered messages' line if any are left."""

    polled: int
    stored: int
    undelivered: str | None = None


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None: PostgreSQL, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def start_probes(settings: Settings, readiness: Readiness) -> ProbeServer | None:
    if not settings.metrics_port:
        return None
    try:
        server = ProbeServer(settings.metrics_address, settings.metrics_port, readiness)
    except OSError as e:
        raise ConfigError(f"cannot listen on {settings.metrics_address}:{settings.metrics_port}"
                          f" ({e.strerror or e})", key="metrics_port") from e
    logger.info("metrics, /healthz and /readyz on http://%s:%d", settings.metrics_address,
                server.port)
    return server.start()


def _version() -> str:
    try:
        return version("brand-monitor")
    except PackageNotFoundError:  # a source tree on PYTHONPATH
        return "source"


def run_daemon(settings: Settings, *, secrets: Secrets, once: bool, no_source: str
               ) -> Round | None:
    """Run the daemon until it is stopped (None), or one round with `once`. On SQLite the
    process first claims the database file: a second daemon on it is refused in one line."""
    from monitor.app import build_app, build_daemon
    from monitor.pending import undelivered

    claim = None
    db_file = sqlite_file(settings.db_url)
    if db_file is not None:
        claim = SingleProcess(db_file)
        claim.acquire()
    readiness = Readiness()
    probes = None if once else start_probes(settings, readiness)
    metrics.describe(replica=replica_id(), database=make_url(settings.db_url).get_backend_name(),
                     version=_version(), python=platform.python_version())
    try:
        application = build_app(settings, secrets=secrets)
        try:
            if not application.connectors:
                raise MonitorError(no_source)
            daemon = build_daemon(application)
            if once:
                results = daemon.run_once()
                left = undelivered(application.store)
                return Round(len(application.connectors), sum(s.stored for s in results),
                             left.message() if left else None)
            readiness.ready_when(application.readiness_problems)
            daemon.run_forever()
            return None
        finally:
            application.close()
    finally:
        if probes is not None:
            probes.stop()
        if claim is not None:
            claim.release()
