"""The sample connector for the shared connector contract test: no server, the packaged file."""

from __future__ import annotations

from pathlib import Path

from connectors.base import Connector
from connectors.sample import SampleConnector
from monitor.models import SourceQuery
from tests.fakes.server import FakeServer


def make(fake_server: FakeServer, tmp_path: Path) -> tuple[Connector, list[SourceQuery]]:
    """The packaged samples, first round only, so a second poll with its cursor yields nothing.

    `fake_server` and `tmp_path` are unused: the sample source reads a local file and ignores
    its queries.
    """
    connector = SampleConnector.from_settings({"rounds": 1})
    return connector, [SourceQuery(brand="parcelly", query="parcelly")]
