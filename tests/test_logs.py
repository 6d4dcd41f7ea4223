"""log_format: json carries the extra fields and redacts secrets like the text format does."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from monitor import redact
from monitor.logs import setup_logging

TOKEN = "xoxb-1234-5678-abcdefghijkl"


class Stream:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def getvalue(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def stream(capsys: pytest.CaptureFixture[str]) -> Iterator[Stream]:
    yield Stream(capsys)
    redact.forget()


def test_json_logs__extra_fields_times_and_no_secret(stream: Stream) -> None:
    setup_logging("INFO", secrets=[TOKEN], fmt="json")
    log = logging.getLogger("monitor.test")
    log.info("posted with %s", TOKEN, extra={"case_id": 7, "source": "x", "channel": "#care",
                                           "actor": f"U1 {TOKEN}"})
    try:
        raise RuntimeError(f"Slack said no to {TOKEN}")
    except RuntimeError:
        log.exception("delivery failed", extra={"case_id": 8})
    out = stream.getvalue()
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["message"] == "posted with [redacted]"
    assert (first["case_id"], first["source"], first["channel"]) == (7, "x", "#care")
    assert first["actor"] == "U1 [redacted]" and first["level"] == "INFO"
    assert first["time"].endswith("+00:00") and len(first["time"].split(".")[1]) == 9  # ms
    assert second["case_id"] == 8 and "RuntimeError" in second["exc_info"]
    assert TOKEN not in out


def test_text_logs__time_has_milliseconds_and_zone(stream: Stream) -> None:
    setup_logging("INFO", secrets=[TOKEN], fmt="text")
    logging.getLogger("monitor.test").warning("token %s", TOKEN)
    line = stream.getvalue().strip()
    stamp = line.split(" ", 1)[0]
    assert stamp.endswith("+00:00") and "." in stamp and line.endswith("token [redacted]")
