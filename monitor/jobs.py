"""What a part hands the daemon besides polling: periodic jobs and long-running services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic job (reminders, digest, spike alerts …): `func` runs every `seconds`.
    A failing run is logged and counted; the next run happens as scheduled. `once_per_fleet`:
    one replica runs it each period (monitor.fleet); False for a job that shares its work out
    itself (a worker that leases rows) and so runs on every replica."""

    name: str
    func: Callable[[], object]
    seconds: float
    once_per_fleet: bool = True


@dataclass(frozen=True, slots=True)
class Service:
    """Something that runs beside the scheduler (Socket Mode): started when the daemon starts,
    stopped when it stops. Neither may raise to stop the daemon."""

    name: str
    start: Callable[[], object]
    stop: Callable[[], object]
