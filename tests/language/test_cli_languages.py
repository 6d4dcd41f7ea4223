"""`rules match` shows the language the daemon would give the text, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clirun import run_cli

RULES = """
brands:
  - id: lumo
    query: 'lumo OR ルモ'
  - id: lumo-jp
    query: 'ルモ AND lang:ja'
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "lumo.yaml").write_text(RULES, encoding="utf-8")
    return d


def match(rules_dir: Path, *args: str) -> dict[str, object]:
    result = run_cli("rules", "match", "--rules", str(rules_dir), "--json", *args,
                     cwd=rules_dir.parent)
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout)
    return out


@pytest.mark.slow
def test_rules_match__json_shows_the_detected_language(rules_dir: Path) -> None:
    out = match(rules_dir, "--text", "ルモのアプリ、今日も送金できない")
    assert (out["lang"], out["lang_detected"], out["brand"]) == ("ja", True, "lumo")
    assert isinstance(out["lang_confidence"], float) and out["lang_confidence"] >= 0.5
    given = match(rules_dir, "--text", "ルモ", "--lang", "ko")
    assert (given["lang"], given["lang_detected"], given["lang_confidence"]) == ("ko", False, None)
    short = match(rules_dir, "--text", "lumo ok")
    assert (short["lang"], short["lang_detected"]) == (None, False)


@pytest.mark.slow
def test_rules_match__text_output_names_the_language(rules_dir: Path) -> None:
    result = run_cli("rules", "match", "--rules", str(rules_dir), "--text",
                     "Die Lumo App stürzt bei jedem Start ab", cwd=rules_dir.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("language: German (de), detected with")
