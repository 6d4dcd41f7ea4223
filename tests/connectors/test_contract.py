"""The Connector contract, run over every registered source whose module exists in connectors/.

Each such source provides `tests/connectors/fakes_<name>.py` with
`make(fake_server, tmp_path) -> (Connector, list[SourceQuery])`: the connector built by
`from_settings` and pointed at `fake_server`, which is already loaded with a few items.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import connectors
from connectors import registry
from connectors.base import Connector
from monitor.models import Batch
from tests.fakes.server import FakeServer

CONNECTORS_DIR = Path(connectors.__file__).parent



def _present() -> list[str]:
    """Registered names whose module has landed (others join the test when they do)."""
    names = []
    for name, info in registry.SOURCES.items():
        module = info.path.partition(":")[0].removeprefix("connectors.").replace(".", "/")
        if (CONNECTORS_DIR / f"{module}.py").is_file() or (
                CONNECTORS_DIR / module / "__init__.py").is_file():
            names.append(name)
    return names


def _hook(name: str):  # type: ignore[no-untyped-def]
    module = f"tests.connectors.fakes_{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        pytest.fail(f"source {name!r} is registered and its module exists, but {module} does "
                    f"not: add tests/connectors/fakes_{name}.py with make(fake_server, tmp_path) "
                    "-> (Connector, list[SourceQuery]) so the contract test covers it")


@pytest.mark.parametrize("name", _present())
def test_connector__honours_the_contract(name: str, fake_server: FakeServer,
                                         tmp_path: Path) -> None:
    connector, queries = _hook(name).make(fake_server, tmp_path)
    assert isinstance(connector, Connector)
    assert isinstance(connector, registry.load(name)), "make() must build the registered class"
    assert type(connector).name == name
    try:
        first = connector.poll(queries, None)
        assert isinstance(first, Batch)
        assert first.mentions, "the fake should hold a couple of items for the first poll"
        assert first.next_cursor is None or isinstance(first.next_cursor, str)
        for m in first.mentions:
            assert isinstance(m.external_id, str) and m.external_id.strip(), m
            assert m.source in registry.SOURCES, m  # the sample source replays others'
            assert m.created_at.tzinfo is not None, f"{m.external_id}: naive created_at"
            assert m.created_at.utcoffset() is not None and not m.created_at.utcoffset()
        ids = [m.external_id for m in first.mentions]
        assert len(ids) == len(set(ids)), "a mention returned twice in one batch"

        second = connector.poll(queries, first.next_cursor)
        assert isinstance(second, Batch)
        repeated = sorted({m.external_id for m in second.mentions} & set(ids))
        assert not repeated, f"second poll with the returned cursor repeated {repeated}"
    finally:
        connector.close()


def test_contract__covers_the_keyword_sources() -> None:
    assert {"reddit", "x"} <= set(_present())


def test_contract__a_source_without_a_fakes_module_fails_loudly() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"add tests/connectors/fakes_nosuch\.py"):
        _hook("nosuch")
