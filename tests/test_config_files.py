"""Hostile config files: each is one line naming the file or key, never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

# nine levels of ten aliases each: a billion values once expanded (mappings, which the
# secret-key check walks)
ALIAS_BOMB = "\n".join(
    ["a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}"]
    + [f"a{i}: &a{i} {{{', '.join(f'k{k}: *a{i - 1}' for k in range(10))}}}"
       for i in range(1, 10)]
) + "\n"


def write(tmp_path: Path, content: str | bytes) -> Path:
    p = tmp_path / "config.yaml"
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_load_settings__alias_bomb_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, ALIAS_BOMB)
    with pytest.raises(ConfigError) as err:  # was: every command hung expanding it
        load_settings(p, environ={})
    assert str(err.value) == (f"{p}: line 6: YAML expands to more than 1,000,000 values "
                              "through its aliases")


def test_load_settings__deep_nesting_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "sources: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ConfigError) as err:  # was: RecursionError
        load_settings(p, environ={})
    assert str(err.value) == f"{p}: line 1: YAML nested more than 50 levels deep"


def test_load_settings__not_utf8_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "log_level: info\nslack:\n  default_channel: '#caf\xe9'\n"
              .encode("latin-1"))
    with pytest.raises(ConfigError) as err:  # was: UnicodeDecodeError
        load_settings(p, environ={})
    assert str(err.value) == f"{p}: line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_load_settings__data_dir_that_is_a_file_names_the_key(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    for data_dir in (a_file, a_file / "below"):
        with pytest.raises(ConfigError) as err:
            load_settings(write(tmp_path, f"data_dir: {data_dir}\n"), environ={})
        assert err.value.key == "data_dir"
        assert f"{a_file} is a file; data_dir must be a directory" in str(err.value)


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db/monitor", "mongodb://db/x", "db.sqlite"])
def test_load_settings__unsupported_database_url_names_the_key(tmp_path: Path, url: str) -> None:
    for environ, path in (({}, write(tmp_path, f"database_url: '{url}'\n")),
                          ({"BRAND_MONITOR_DATABASE_URL": url}, None)):
        with pytest.raises(ConfigError) as err:
            load_settings(path, environ=environ)
        assert err.value.key == "database_url"
        assert "unsupported database" in str(err.value)
        assert "hunter2" not in str(err.value)  # the URL may carry a password


def test_load_settings__postgres_and_sqlite_urls_are_accepted(tmp_path: Path) -> None:
    for url in ("sqlite:///x.db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db",
                "postgres://u@h/db"):
        assert load_settings(None, environ={"BRAND_MONITOR_DATABASE_URL": url}).db_url == url


@pytest.mark.slow
@pytest.mark.parametrize(("content", "expect"), [
    (ALIAS_BOMB, "line 6: YAML expands to more than 1,000,000 values"),
    ("sources: " + "[" * 500 + "]" * 500 + "\n", "line 1: YAML nested more than 50 levels deep"),
    ("log_level: \xe9\n".encode("latin-1"), "line 1: not UTF-8 text (byte 0xe9)"),
    ("database_url: mysql://root:pw@db/monitor\n", "database_url: "),
    ("data_dir: {file}\n", "data_dir: "),
], ids=["alias-bomb", "deep", "latin-1", "mysql", "data-dir-file"])
def test_cli__hostile_config_is_one_line_naming_file_or_key(
        tmp_path: Path, content: str | bytes, expect: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    if isinstance(content, str):
        content = content.replace("{file}", str(a_file))
    p = write(tmp_path, content)
    res = subprocess.run([sys.executable, "-m", "monitor", "db", "upgrade", "--config", str(p)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                              "HOME": str(tmp_path)})
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"error: {p}: ") and expect in lines[0]
