"""Connector-test fixtures: one loopback server per test module, cleaned for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.server import FakeServer


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeServer]:
    with FakeServer() as server:  # one per module: each shutdown costs serve_forever's 0.5 s poll
        yield server


@pytest.fixture
def fake_server(shared_server: FakeServer) -> FakeServer:
    """A clean server per test (no routes, no requests), without a shutdown per test."""
    shared_server.routes.clear()
    shared_server.requests.clear()
    return shared_server


@pytest.fixture
def server(fake_server: FakeServer) -> FakeServer:
    """The same clean server, under the name the review-source tests use."""
    return fake_server
