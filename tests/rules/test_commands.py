"""`brand-monitor rules ...` through typer's CliRunner: check, test, match, backtest."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.models import Classification, Label, RuleMatch, TriageItem
from monitor.rules.commands import app
from tests.rules.helpers import mention, write

runner = CliRunner()

RULES = """
brands:
  - id: acme
    handles: [acme]
    query: |
      acme OR "acme labs"
    priority:
      - {level: urgent, terms: [lawsuit]}
    overrides:
      - {name: jobs, label: other, terms: ["we're hiring"]}
    channels: {complaint: "#care"}
    examples:
      must_match: ["acme rocks", {text: "acme lawsuit", priority: urgent}]
      must_not_match: ["acmes everywhere", {text: "acme news", author: acme}]
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    write(d, "acme.yaml", RULES)
    return d


def test_check__ok(rules_dir: Path) -> None:
    result = runner.invoke(app, ["check", str(rules_dir)])
    assert result.exit_code == 0, result.output
    assert "1 file(s), 1 brand(s): OK" in result.output


def test_check__prints_each_error_and_exits_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml",
                "brands:\n  - id: acme\n    query: acme OR\n    chanels: {}\n")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [f"{bad}:3:19: bad query: the query ends too early: a term is missing after "
                     "the last operator",
                     f"{bad}:4:5: unknown key 'chanels'; did you mean 'channels'?"]
    assert "Traceback" not in result.output


def test_check__missing_path_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: no such file or directory" in result.stdout


def test_test__reports_each_example(rules_dir: Path) -> None:
    result = runner.invoke(app, ["test", str(rules_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.count("PASS ") == 4
    assert "4 passed, 0 failed" in result.output


def test_test__failure_exits_1_and_says_why(rules_dir: Path) -> None:
    write(rules_dir, "acme.yaml", RULES.replace("priority: urgent", "priority: high")
          .replace('"acmes everywhere"', '"acme everywhere"'))
    result = runner.invoke(app, ["test", str(rules_dir)])
    assert result.exit_code == 1
    assert "priority urgent, expected high" in result.output
    assert "FAIL" in result.output and "matched acme via acme.query" in result.output
    assert "2 passed, 2 failed" in result.output


def match_json(rules_dir: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["match", "--rules", str(rules_dir), "--json", *args])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def test_match__json_with_terms_spans_priority_and_override(rules_dir: Path) -> None:
    out = match_json(rules_dir, "--text", "We're hiring at Acme Labs! no lawsuit")
    assert out["matched"] is True and out["brand"] == "acme" and out["rule"] == "acme.query"
    assert out["terms"] == ["acme", '"acme labs"']
    assert out["spans"] == [
        {"term": "acme", "start": 16, "end": 20, "text": "Acme"},
        {"term": '"acme labs"', "start": 16, "end": 25, "text": "Acme Labs"},
    ]
    assert out["priority"] == "urgent"
    assert out["priority_reasons"] == ["urgent: mentions lawsuit"]
    assert out["label_override"] == "other" and out["override_rule"] == "jobs"
    assert out["channels"] == {"complaint": "#care"}


def test_match__json_explains_an_exclusion(rules_dir: Path) -> None:
    out = match_json(rules_dir, "--text", "acme news", "--author", "@acme")
    assert out["reason"] == "excluded: own account"
    assert out["excluded"] == [{"brand": "acme", "why": "own account",
                                "detail": "@acme is one of the brand's own accounts"}]


def test_match__json_no_rule(rules_dir: Path) -> None:
    out = match_json(rules_dir, "--text", "nothing to see", "--source", "reddit")
    assert out["matched"] is False
    assert out["reason"] == "no rule" and out["brand"] is None


def test_match__human_output(rules_dir: Path) -> None:
    result = runner.invoke(app, ["match", "--rules", str(rules_dir), "--text", "acme", "--retweet"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "language: not detected (too short or ambiguous); no lang: filter matches it",
        "no match: excluded: retweet", "  acme: excluded by retweets are excluded"]
    result = runner.invoke(app, ["match", "--rules", str(rules_dir), "--text", "hi acme"])
    assert result.exit_code == 0
    assert "brand: acme" in result.stdout and "term acme: 'acme' at 3-7" in result.stdout


def test_match__broken_rules_print_errors_not_a_traceback(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", "brands: [{id: acme, query: '(acme'}]")
    result = runner.invoke(app, ["match", "--rules", str(tmp_path), "--text", "acme"])
    assert result.exit_code == 1
    assert "bad.yaml:1:29: bad query: unbalanced parentheses" in result.output
    assert "Traceback" not in result.output


def test_match__default_rules_dir_comes_from_config(rules_dir: Path, tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", f"rules_dir: {rules_dir.name}\n")
    result = runner.invoke(app, ["match", "--config", str(config), "--text", "acme"])
    assert result.exit_code == 0, result.output


def test_match__bad_config_is_one_line(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "rules_dri: x\n")
    result = runner.invoke(app, ["match", "--config", str(config), "--text", "acme"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "rules_dri" in result.output


def test_backtest__bad_since(rules_dir: Path) -> None:
    result = runner.invoke(app, ["backtest", "--rules", str(rules_dir), "--since", "soon"])
    assert result.exit_code == 2
    assert "--since must look like 7d" in result.output


def test_backtest__replays_the_store(rules_dir: Path, tmp_path: Path) -> None:
    from monitor.config import load_settings
    from monitor.store import Store

    config = write(tmp_path, "config.yaml", f"data_dir: {tmp_path / 'data'}\n")
    settings = load_settings(config)
    store = Store.from_settings(settings)
    recent = datetime.now(UTC) - timedelta(hours=1)
    items = [
        TriageItem(mention=replace(mention(text, external_id=str(i)), created_at=recent),
            match=RuleMatch(brand=brand, rule=f"{brand}.query"),
            classification=Classification(label=Label.OTHER, confidence=0.9))
        for i, (text, brand) in enumerate([("acme rocks", "acme"), ("zeta rocks", "acme")])
    ]
    store.save_batch("x", items, None)
    store.close()
    result = runner.invoke(app, ["backtest", "--config", str(config), "--rules", str(rules_dir),
                                 "--since", "1d"])
    assert result.exit_code == 0, result.output
    assert "2 stored mention(s) in the last 1d: 1 unchanged, 1 would change" in result.output
    assert "stop matching: 1" in result.output
    assert "acme/acme.query -> no rule: 'zeta rocks'" in result.output


def test_check__deeply_nested_yaml_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "deep.yaml", "brands: " + "[" * 500 + "]" * 500 + "\n")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"{bad}:1:58: YAML nested more than 50 levels deep"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
