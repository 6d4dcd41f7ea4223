"""Training progress for a person watching: phase, epoch, step, loss, held-out F1 and an ETA."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`."""
    s = round(max(seconds, 0.0))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """Reports about every `every` seconds (and at each epoch's end) through `emit`
    (default: this module's logger at INFO, which `model train` prints on stderr).

    The ETA is the time per step so far times the steps left, plus `tail_per_step` times the
    steps of the work after the last epoch (calibration, evaluation, projection)."""

    def __init__(self, *, epochs: int, steps_per_epoch: int, every: float = 10.0,
                 emit: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.epochs = epochs
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = epochs * self.steps_per_epoch
        self.every = every
        self.emit = emit or (lambda line: logger.info("%s", line))
        self.clock = clock
        self.began = clock()
        self._last = self.began
        self.done = 0
        self.started_steps: float | None = None  # when the first step ended: the pace is
        # measured from there, so loading and the first step's warm-up do not skew it

    def phase(self, text: str) -> None:
        self.emit(f"[{duration(self.clock() - self.began)}] {text}")

    def eta(self) -> float:
        if self.started_steps is None or self.done < 2:
            return 0.0
        per_step = (self.clock() - self.started_steps) / (self.done - 1)
        return per_step * (self.total - self.done)

    def step(self, epoch: int, step: int, loss: float) -> None:
        """After step `step` (1-based) of epoch `epoch` (1-based)."""
        now = self.clock()
        if self.started_steps is None:
            self.started_steps = now
        self.done += 1
        if now - self._last >= self.every and step < self.steps_per_epoch and self.done > 1:
            self._last = now
            self.emit(f"[{duration(now - self.began)}] epoch {epoch}/{self.epochs} step "
                      f"{step}/{self.steps_per_epoch} ({self.done / self.total:.0%}) loss "
                      f"{loss:.4f}, ETA {duration(self.eta())}")

    def epoch(self, epoch: int, loss: float, f1: float | None) -> None:
        self._last = self.clock()
        held_out = f", held-out macro-F1 {f1:.4f}" if f1 is not None else ""
        self.emit(f"[{duration(self._last - self.began)}] epoch {epoch}/{self.epochs} done: "
                  f"loss {loss:.4f}{held_out}, ETA {duration(self.eta())}")
