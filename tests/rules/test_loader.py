"""Loading rules files: the YAML format, and every error located at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RulesInvalid
from monitor.models import Label, Priority
from monitor.rules.loader import check_rules, load_rules
from tests.rules.helpers import load_yaml, write

GOOD = """
brands:
  - id: acme
    name: Acme
    names: [Acme, Acme Labs]
    handles: ["@acme", AcmeHelp]
    domains: [acme.example]
    query: acme OR "acme labs"
    queries:
      app: '"acme app" lang:en'
    sources: [x, reddit, appstore]
    reviews:
      appstore: [{id: "123", country: gb}]
      googleplay: [com.acme.app]
      rss: [{url: "https://acme.example/feed.xml"}]
    exclude:
      terms: ["acme anvil"]
      authors: ["@spammer"]
      quotes: true
    default_priority: low
    priority:
      - {name: urgent, level: urgent, terms: [lawsuit]}
      - {level: high, query: "followers:>1000", reason: big account}
    overrides:
      - {name: jobs, label: other, query: "hiring"}
    channels: {praise: "#marketing", default: "#care"}
    replies: {complaint: "Sorry {{ author }}", question.refund: "Refunds take 5 days"}
    examples:
      must_match: ["acme rocks", {text: "acme lawsuit", priority: urgent}]
      must_not_match: ["nothing"]
"""


def test_load_rules__reads_every_section(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, GOOD)
    b = rs.brand("acme")
    assert b.handles == ("acme", "AcmeHelp")
    assert [q.rule for q in b.queries] == ["acme.query", "acme.app"]
    assert b.sources == frozenset({"x", "reddit", "appstore"})
    assert [(t.source, t.target, dict(t.params)) for t in b.reviews] == [
        ("appstore", "123", {"country": "gb"}), ("googleplay", "com.acme.app", {}),
        ("rss", "https://acme.example/feed.xml", {})]
    assert b.exclude.authors == frozenset({"spammer"}) and b.exclude.quotes
    assert b.exclude.retweets and b.exclude.own_accounts  # defaults
    assert b.default_priority is Priority.LOW
    assert [(p.name, p.level) for p in b.priorities] == [
        ("urgent", Priority.URGENT), ("acme.priority2", Priority.HIGH)]
    assert [(o.name, o.label) for o in b.overrides] == [("jobs", Label.OTHER)]
    assert b.channels == {"praise": "#marketing", "complaint": "#care", "question": "#care",
                         "other": "#care"}
    assert rs.reply_templates("acme") == {"complaint": "Sorry {{ author }}",
                                          "question.refund": "Refunds take 5 days"}
    assert len(b.examples) == 3 and b.examples[1].expect == {"priority": "urgent"}
    assert b.file.endswith("brands.yaml") and b.line == 2


def test_load_rules__query_defaults_to_names_handles_domains(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            names: [Acme Labs]
            handles: [acmehq]
            domains: [acme.example]
        """)
    assert rs.brand("acme").queries[0].text == '"Acme Labs" OR @acmehq OR acme.example'


def test_load_rules__directory_skips_subdirectories_and_other_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "brands: [{id: a, query: alpha}]")
    write(tmp_path, "b.yml", "brands: [{id: b, query: beta}]")
    write(tmp_path, "notes.md", "not rules")
    (tmp_path / "knowledge").mkdir()
    write(tmp_path / "knowledge", "kb.yaml", "entries: [1, 2]")
    rs = load_rules(tmp_path)
    assert [b.id for b in rs.brands] == ["a", "b"]


def test_load_rules__empty_file_is_an_error(tmp_path: Path) -> None:
    # (was: fine) a file truncated mid-save is empty too; its brands must not silently vanish
    write(tmp_path, "a.yaml", "brands: [{id: a, query: alpha}]")
    empty = write(tmp_path, "empty.yaml", "# nothing yet\n")
    with pytest.raises(RulesInvalid) as err:
        load_rules(tmp_path)
    assert [str(e) for e in err.value.errors] == [
        f"{empty}:1: the file is empty; a rules file needs a 'brands' list with at least one "
        "brand"]


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n"])
def test_check_rules__file_without_content_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "only.yaml"
    path.write_text(text, encoding="utf-8")
    ruleset, errors = check_rules(tmp_path)
    assert ruleset is None
    assert [(e.file, e.line) for e in errors] == [(str(path), 1)]


def test_check_rules__empty_brands_list_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "version: 1\nbrands: []\n")
    ruleset, errors = check_rules(tmp_path)
    assert ruleset is None
    assert [str(e) for e in errors] == [
        f"{path}:2:9: the 'brands' list is empty; a rules file needs at least one brand"]


def test_check_rules__deep_nesting_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", "brands:\n  - id: acme\n    query: acme\n"
                 "    examples: " + "[" * 500 + "]" * 500 + "\n")
    ruleset, errors = check_rules(tmp_path)  # was: RecursionError
    assert ruleset is None
    assert [str(e) for e in errors] == [
        f"{path}:4:62: YAML nested more than 50 levels deep"]


def test_check_rules__alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\nbrands: [{id: a, query: a}]\n")
    ruleset, errors = check_rules(tmp_path)
    assert ruleset is None
    assert len(errors) == 1 and errors[0].file == str(path)
    assert "expands to more than 1,000,000 values through its aliases" in str(errors[0])


def test_check_rules__not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("brands:\n  - id: acme\n    name: Caf\u00e9\n".encode("latin-1"))
    ruleset, errors = check_rules(tmp_path)
    assert ruleset is None
    assert [str(e) for e in errors] == [
        f"{path}:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"]


def test_load_rules__no_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesInvalid, match="no rules files"):
        load_rules(tmp_path)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, "bad.yaml", text)
    _, errors = check_rules(path)
    return [str(e).replace(str(path), "bad.yaml") for e in errors]


ERRORS = [
    ("unknown key with suggestion", """
brands:
  - id: acme
    query: acme
    chanels: {}
""", ["bad.yaml:4:5: unknown key 'chanels'; did you mean 'channels'?"]),
    ("unknown nested key", """
brands:
  - id: acme
    query: acme
    exclude:
      retweet: true
""", ["bad.yaml:5:7: unknown key 'retweet'; did you mean 'retweets'?"]),
    ("query syntax error in a plain scalar", """
brands:
  - id: acme
    query: acme OR OR rocket
""", ["bad.yaml:3:20: bad query: unexpected 'OR'"]),
    ("query syntax error inside a block scalar", """
brands:
  - id: acme
    query: |
      acme OR rocket
      OR (anvil AND
""", ["bad.yaml:5:10: bad query: unbalanced parentheses: this '(' is never closed"]),
    ("query error in a quoted scalar", """
brands:
  - id: acme
    query: "acme NEAR/2 (a AND b)"
""", ["bad.yaml:3:18: bad query: NEAR works on terms, phrases and OR-groups of them, "
      "not on AND, NOT or field filters"]),
    ("bad priority level", """
brands:
  - id: acme
    query: acme
    priority:
      - {level: urgnt, terms: [lawsuit]}
""", ["bad.yaml:5:17: unknown priority 'urgnt'; use one of low, normal, high, urgent; "
      "did you mean 'urgent'?"]),
    ("missing id and bad label", """
brands:
  - query: acme
  - id: b
    query: b
    overrides: [{label: spam, terms: [x]}]
""", ["bad.yaml:2:5: missing required key 'id'",
      "bad.yaml:5:25: unknown label 'spam'; use one of complaint, question, praise, other"]),
    ("duplicate brand ids", """
brands:
  - id: acme
    query: a
  - id: acme
    query: b
""", ["bad.yaml:4:9: duplicate brand id 'acme' (first defined at bad.yaml:2)"]),
    ("duplicate keys", """
brands:
  - id: acme
    query: a
    query: b
""", ["bad.yaml:4:5: duplicate key 'query'"]),
    ("yaml syntax error", """
brands:
  - id: acme
    query: [a, b
""", ["bad.yaml:4:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"]),
    ("wrong types", """
brands:
  - id: Acme Corp
    query: acme
    exclude: {retweets: maybe}
    channels: {complaint: "care team"}
""", ["bad.yaml:2:9: brand id 'Acme Corp' must be lower case letters, digits, '-' or '_'",
      "bad.yaml:4:25: expected true or false",
      "bad.yaml:5:27: channel 'care team' must be a #channel name or a Slack channel id"]),
    ("top level not a mapping", "- id: acme\n",
     ["bad.yaml:1:1: the top level must be a mapping with a 'brands' list"]),
    ("no query and nothing to build one", """
brands:
  - id: acme
""", ["bad.yaml:2:5: a brand needs a 'query' (or 'names'/'handles'/'domains' to build one from)"]),
    ("bad example", """
brands:
  - id: acme
    query: acme
    examples:
      must_match: [{txt: hello}]
""", ["bad.yaml:5:20: missing required key 'text'",
      "bad.yaml:5:21: unknown key 'txt'; did you mean 'text'?"]),
    ("bad source and reply label", """
brands:
  - id: acme
    query: acme
    sources: [x, twitter]
    replies: {complain: hi}
""", ["bad.yaml:4:18: unknown source 'twitter'; use one of x, reddit, appstore, googleplay, "
      "trustpilot, rss, sample",
      "bad.yaml:5:15: unknown label 'complain'; use one of complaint, question, praise, other"]),
]


@pytest.mark.parametrize(("case", "text", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
def test_check_rules__errors_at_file_line_col(tmp_path: Path, case: str, text: str,
                                              expected: list[str]) -> None:
    assert errors_of(tmp_path, text.lstrip("\n")) == expected


def test_check_rules__collects_errors_from_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "brands: [{id: a, query: 'a OR'}]")
    write(tmp_path, "b.yaml", "brands: [{id: b, qeury: b}]")
    with pytest.raises(RulesInvalid) as info:
        load_rules(tmp_path)
    assert [Path(e.file).name for e in info.value.errors] == ["a.yaml", "b.yaml", "b.yaml"]
    assert "(and 2 more)" in str(info.value)


def test_check_rules__duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "brands: [{id: acme, query: a}]")
    write(tmp_path, "b.yaml", "brands: [{id: acme, query: b}]")
    _, errors = check_rules(tmp_path)
    assert len(errors) == 1
    assert errors[0].file.endswith("b.yaml") and "a.yaml:1" in errors[0].message


def test_check_rules__hashtag_in_plain_scalar_gets_a_hint(tmp_path: Path) -> None:
    got = errors_of(tmp_path, "brands:\n  - id: acme\n    query: (acme OR #acme)\n")
    assert got == ["bad.yaml:3:12: bad query: unbalanced parentheses: this '(' is never closed "
                   "(a ' #' starts a YAML comment: put the query in quotes or after '|')"]


SCALAR_STYLES = [
    ("query: >\n      acme OR\n      OR b", "5:7"),
    ("query: acme OR\n      OR b", "4:7"),
    ('query: "acme OR\n      OR b"', "4:7"),
    ("query: |-\n      acme\n\n      OR OR b", "6:10"),
    ("query: |2\n        acme\n        OR OR b", "5:12"),
    ("query: 'acme  AND  AND b'", "3:24"),
]


@pytest.mark.parametrize(("value", "where"), SCALAR_STYLES)
def test_check_rules__query_errors_located_in_every_scalar_style(
    tmp_path: Path, value: str, where: str
) -> None:
    got = errors_of(tmp_path, f"brands:\n  - id: x\n    {value}\n")
    assert len(got) == 1 and got[0].startswith(f"bad.yaml:{where}: bad query: unexpected")
