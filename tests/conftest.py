"""Suite-wide fixtures: no real sleeping, no secrets from the developer's environment."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import pytest

from tests.fakes.server import FakeServer

_SECRET_PREFIXES = ("SLACK_", "REDDIT_", "X_", "TRUSTPILOT_", "GOOGLE_PLAY_", "ASC_",
                    "BRAND_MONITOR_", "HTTPS_PROXY",
                    "HTTP_PROXY", "https_proxy", "http_proxy")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Sleeps(list[float]):
    """The durations code under test asked to sleep, in order."""


@pytest.fixture(autouse=True)
def instant_sleep(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """time.sleep returns at once and records how long it was asked to wait."""
    sleeps = Sleeps()
    monkeypatch.setattr(time, "sleep", lambda s: sleeps.append(float(s)))
    return sleeps


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(_SECRET_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Commands run in-process call setup_logging, which replaces the root handlers (bound to
    the runner's captured, soon closed stream) and level; put both back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server
