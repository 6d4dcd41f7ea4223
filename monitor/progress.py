"""Progress of long work, on stderr: a live bar on a terminal, a line now and then otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

EVERY = 5.0  # seconds between progress lines when stderr is not a terminal


class Counter:
    """Counts work done toward `total`; shown as a bar on a terminal, else as a line at the
    start, every EVERY seconds and at the end (logs and CI keep a readable record)."""

    def __init__(self, what: str, total: int | None, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.clock = clock
        self.started = self.last = clock()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Counter:
        if self.stream.isatty():
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        else:
            self._line()
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)
        elif self.clock() - self.last >= EVERY:
            self._line()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._line(end=True)

    def _line(self, *, end: bool = False) -> None:
        self.last = self.clock()
        of = f"/{self.total:,}" if self.total is not None else ""
        took = f" in {self.last - self.started:.1f}s" if end else ""
        print(f"{self.what}: {self.done:,}{of}{took}", file=self.stream, flush=True)


@contextmanager
def _logs_through(stream: TextIO) -> Iterator[None]:
    """Point the root logger's stream handlers at `stream` for the duration."""
    handlers = [h for h in logging.getLogger().handlers
                if isinstance(h, logging.StreamHandler) and h.stream in (sys.__stderr__,
                                                                         sys.__stdout__)]
    saved = [(h, h.setStream(stream)) for h in handlers]
    try:
        yield
    finally:
        for h, old in saved:
            if old is not None:
                h.setStream(old)


@contextmanager
def working(what: str, *, stream: TextIO | None = None) -> Iterator[None]:
    """A spinner with the elapsed time around work of unknown length (a terminal), else a
    line before and after it."""
    out = stream or sys.stderr
    started = time.monotonic()
    if out.isatty():
        # the live display proxies sys.stderr once started: log lines then print above it
        with Console(file=out).status(f"{what} …"), _logs_through(sys.stderr):
            yield
    else:
        print(f"{what} …", file=out, flush=True)
        yield
    print(f"{what}: done in {time.monotonic() - started:.1f}s", file=out, flush=True)
