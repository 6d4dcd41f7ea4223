"""What a part hands the daemon besides polling: periodic jobs and long-running services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic job (reminders, digest, spike alerts …): `func` runs every `seconds`.
    A failing run is logged and counted; the next run happens as scheduled."""

    name: str
    func: Callable[[], object]
    seconds: float


@dataclass(frozen=True, slots=True)
class Service:
    """Something that runs beside the scheduler (Socket Mode): started when the daemon starts,
    stopped when it stops. Neither may raise to stop the daemon."""

    name: str
    start: Callable[[], object]
    stop: Callable[[], object]
