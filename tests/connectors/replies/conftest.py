"""Publisher-test fixtures: one kit (platform fake + publisher setup) per platform."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors import registry
from connectors.replies.base import Publisher
from tests.fakes import (
    publish_appstore,
    publish_googleplay,
    publish_reddit,
    publish_trustpilot,
    publish_x,
)
from tests.fakes.publish import Kit
from tests.fakes.server import FakeServer

KITS: dict[str, Callable[[FakeServer, Path], Kit]] = {
    "x": lambda server, _tmp: publish_x.kit(server),
    "reddit": lambda server, _tmp: publish_reddit.kit(server),
    "googleplay": publish_googleplay.kit,
    "appstore": publish_appstore.kit,
    "trustpilot": lambda server, _tmp: publish_trustpilot.kit(server),
}


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest, fake_server: FakeServer, tmp_path: Path) -> Kit:
    return KITS[request.param](fake_server, tmp_path)


def build(kit: Kit, **options: Any) -> Publisher:
    """The registered publisher of `kit`'s platform, built as the app builds it."""
    cls = registry.load_publisher(kit.name)
    assert cls is not None
    return cls.from_settings({**kit.options, **options}, environ=kit.env)
