"""Progress on stderr: a line at the start, every few seconds and at the end when not a terminal."""

from __future__ import annotations

import io

from monitor.progress import EVERY, Counter, working


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counter__lines_at_start_every_few_seconds_and_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    with Counter("replaying stored mentions", 3000, stream=out, clock=clock) as progress:
        progress.advance(1000)  # at once: no line yet
        clock.now += EVERY - 1
        progress.advance(1000)  # still under EVERY seconds since the last line
        clock.now += 1
        progress.advance(1000)  # EVERY seconds: a line
    lines = out.getvalue().splitlines()
    assert lines == ["replaying stored mentions: 0/3,000", "replaying stored mentions: 3,000/3,000",
                     f"replaying stored mentions: 3,000/3,000 in {EVERY:.1f}s"]


def test_working__says_when_it_starts_and_how_long_it_took() -> None:
    out = io.StringIO()
    with working("training", stream=out):
        pass
    first, last = out.getvalue().splitlines()
    assert first == "training …" and last.startswith("training: done in ")
