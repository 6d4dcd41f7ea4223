"""Hot reload: RulesWatcher reloads on change and keeps the last good set on a broken file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from monitor.errors import RulesInvalid
from monitor.rules.watcher import RulesWatcher
from tests.rules.helpers import mention, write


def touch_later(path: Path) -> None:
    """Move the mtime forward so the change is seen even within one mtime tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    write(tmp_path, "a.yaml", "brands: [{id: acme, query: acme}]")
    return tmp_path


def test_watcher__loads_at_start(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    assert w.current().match(mention("acme")).brand == "acme"
    assert w.last_error is None
    assert w.status()["brands"] == 1 and w.status()["files"] == 1


def test_watcher__broken_at_start_raises(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "brands: [{id: acme, query: 'acme OR'}]")
    with pytest.raises(RulesInvalid, match=r"a\.yaml:1:"):
        RulesWatcher(tmp_path)


def test_watcher__refresh_without_changes_keeps_the_same_set(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    first = w.current()
    assert w.refresh() is False
    assert w.current() is first


def test_watcher__reloads_an_edited_file(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    before = w.loaded_at
    path = write(rules_dir, "a.yaml", "brands: [{id: acme, query: rocket}]")
    touch_later(path)
    assert w.refresh() is True
    assert w.current().match(mention("rocket")).brand == "acme"
    assert w.loaded_at >= before


def test_watcher__reloads_when_a_file_is_added_or_removed(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    extra = write(rules_dir, "b.yaml", "brands: [{id: beta, query: beta}]")
    assert w.refresh() is True
    assert len(w.current()) == 2
    extra.unlink()
    assert w.refresh() is True
    assert len(w.current()) == 1


def test_watcher__keeps_last_good_set_on_a_broken_file(
    rules_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w = RulesWatcher(rules_dir)
    good = w.current()
    path = write(rules_dir, "a.yaml", "brands:\n  - id: acme\n    query: acme OR OR\n")
    touch_later(path)
    with caplog.at_level(logging.ERROR, logger="monitor.rules.watcher"):
        assert w.refresh() is False
    assert w.current() is good
    assert w.current().match(mention("acme")).brand == "acme"
    assert w.last_error is not None and f"{path}:3:20:" in w.last_error
    assert w.status()["last_error"] == w.last_error
    assert f"{path}:3:20" in caplog.text
    # fixing the file clears the error
    write(rules_dir, "a.yaml", "brands: [{id: acme, query: rocket}]")
    touch_later(path)
    assert w.refresh() is True
    assert w.last_error is None
    assert w.current().match(mention("rocket")).brand == "acme"


def test_watcher__broken_file_is_not_reparsed_until_it_changes(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    path = write(rules_dir, "a.yaml", "brands: [{id: acme, query: '('}]")
    touch_later(path)
    w.refresh()
    error = w.last_error
    assert error is not None
    assert w.refresh() is False
    assert w.last_error == error


def test_watcher__a_deleted_rules_dir_keeps_the_last_good_set(rules_dir: Path) -> None:
    w = RulesWatcher(rules_dir)
    (rules_dir / "a.yaml").unlink()
    assert w.refresh() is False
    assert w.current().match(mention("acme")).brand == "acme"
    assert w.last_error is not None and "no rules files" in w.last_error


def test_watcher__from_settings_uses_rules_dir(rules_dir: Path) -> None:
    from monitor.config import load_settings
    from monitor.rules.loader import load_rules

    settings = load_settings(None, environ={}, overrides={"rules_dir": str(rules_dir)})
    assert RulesWatcher.from_settings(settings).current().brand("acme").id == "acme"
    assert len(load_rules(settings.rules_dir)) == 1


@pytest.mark.parametrize("text", ["", "# cleared while saving\n", "brands: []\n"])
def test_watcher__an_emptied_file_keeps_the_last_good_set(rules_dir: Path, text: str) -> None:
    w = RulesWatcher(rules_dir)
    good = w.current()
    path = rules_dir / "a.yaml"
    path.write_text(text, encoding="utf-8")
    touch_later(path)
    assert w.refresh() is False  # was: a "good" set of 0 brands, every mention dropped
    assert w.current() is good
    assert w.current().match(mention("acme")).brand == "acme"
    assert w.last_error is not None and f"{path}:" in w.last_error
    assert w.status()["brands"] == 1


def test_watcher__deeply_nested_yaml_is_one_logged_line_and_keeps_the_last_good_set(
    rules_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w = RulesWatcher(rules_dir)
    good = w.current()
    path = write(rules_dir, "a.yaml", "brands: " + "[" * 500 + "]" * 500 + "\n")
    touch_later(path)
    with caplog.at_level(logging.DEBUG, logger="monitor.rules.watcher"):
        assert w.refresh() is False  # was: RecursionError out of refresh, a 3,000-line log
    assert w.current() is good
    assert w.last_error == f"{path}:1:58: YAML nested more than 50 levels deep"
    assert [r.getMessage() for r in caplog.records] == [
        f"rules not reloaded, keeping the last good set: {w.last_error}"]
    assert not any(r.exc_info for r in caplog.records)


def test_watcher__a_loader_bug_keeps_the_last_good_set_and_is_retried(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import monitor.rules.watcher as watcher

    w = RulesWatcher(rules_dir)
    good = w.current()
    path = write(rules_dir, "a.yaml", "brands: [{id: acme, query: rocket}]")
    touch_later(path)
    real = watcher.load_rules

    def buggy(_: Path) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(watcher, "load_rules", buggy)
    with caplog.at_level(logging.ERROR, logger="monitor.rules.watcher"):
        assert w.refresh() is False
        assert w.refresh() is False  # tried again, logged once
    assert w.current() is good
    assert w.last_error == ("rules could not be loaded (RecursionError: maximum recursion depth "
                            "exceeded)")
    assert len(caplog.records) == 1
    monkeypatch.setattr(watcher, "load_rules", real)
    assert w.refresh() is True  # the same, unchanged file loads once the loader works
    assert w.current().match(mention("rocket")).brand == "acme"
    assert w.last_error is None
