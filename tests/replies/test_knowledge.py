"""The knowledge folder: YAML and Markdown entries, errors with file:line, bundled coverage."""

from __future__ import annotations

from pathlib import Path

from monitor.replies.knowledge import KnowledgeBase, check_knowledge, load_brand, signature
from tests.replies.conftest import KNOWLEDGE

YAML_OK = """\
entries:
  - id: pause
    topic: subscription
    applies_to: [question, complaint]
    questions: ["Can I pause?", "how do I put it on hold?"]
    answer: >-
      yes - under Account.
    link: https://brewbird.co/help/pause
"""
MARKDOWN_OK = """\
---
id: oat-milk
questions:
  - Do you have oat milk?
link: https://brewbird.co/cafes
---
yes - every café has
oat milk.

No extra charge.
"""


def test_load_brand__reads_yaml_and_markdown_entries(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML_OK)
    (tmp_path / "b.md").write_text(MARKDOWN_OK)
    (tmp_path / "README.md").write_text("# notes for admins, not an entry\n")
    kb = load_brand(tmp_path, brand="brewbird")
    assert kb.errors == ()
    pause, oat = kb.entries
    assert (pause.id, pause.topic, pause.applies_to) == (
        "pause", "subscription", frozenset({"question", "complaint"}))
    assert pause.questions == ("Can I pause?", "how do I put it on hold?")
    assert (oat.topic, oat.applies_to) == ("oat-milk", frozenset({"question"}))
    assert oat.answer == "yes - every café has oat milk.\n\nNo extra charge."


def test_load_brand__bad_entries_are_reported_with_file_and_line_and_left_out(tmp_path: Path
                                                                             ) -> None:
    (tmp_path / "a-good.yaml").write_text(YAML_OK)
    (tmp_path / "bad.yaml").write_text(
        "- id: no-answer\n  questions: [q]\n"
        "- id: typo\n  questions: [q]\n  answer: a\n  lnik: https://x.co\n"
        "- id: pause\n  questions: [q]\n  answer: a\n"
        "- id: bad-link\n  questions: [q]\n  answer: a\n  link: javascript:alert(1)\n"
    )
    (tmp_path / "broken.yaml").write_text("- id: x\n  questions: [unclosed\n")
    kb = load_brand(tmp_path, brand="brewbird")
    assert [e.id for e in kb.entries] == ["pause"]
    messages = sorted(str(e) for e in kb.errors)
    bad = str(tmp_path / "bad.yaml")
    assert f"{bad}:1: missing `answer`" in messages
    assert f"{bad}:3: unknown key `lnik` (known: answer, applies_to, id, link, questions, " \
           "short, topic)" in messages
    assert any(m.startswith(f"{bad}:7: duplicate id `pause`") for m in messages)
    assert f"{bad}:10: `link` must be an http(s) URL" in messages
    assert any(m.startswith(str(tmp_path / "broken.yaml") + ":") for m in messages)


def test_signature__changes_when_an_entry_file_changes(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a.yaml").write_text(YAML_OK)
    before = signature(tmp_path)
    (tmp_path / "b" / "a.yaml").write_text(YAML_OK.replace("Can I pause?", "Can I stop?"))
    assert signature(tmp_path) != before


def test_bundled__every_demo_brand_has_a_clean_knowledge_base(
        bundled: dict[str, KnowledgeBase]) -> None:
    assert check_knowledge(KNOWLEDGE) == []
    assert set(bundled) == {"parcelly", "lumo", "brewbird"}
    for kb in bundled.values():
        assert 12 <= len(kb.entries) <= 16
        for e in kb.entries:
            assert e.link and e.link.startswith("https://")
            assert len(e.questions) >= 3
            assert e.short is not None and len(e.short) <= 160, e.id  # fits X and Google Play


def test_load_brand__unsafe_yaml_is_an_error_with_its_line_and_the_rest_loads(
        tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML_OK)
    (tmp_path / "deep.yaml").write_text("entries: " + "[" * 500 + "]" * 500 + "\n")
    (tmp_path / "front.md").write_text("---\nid: x\nquestions: " + "[" * 60 + "]" * 60
                                       + "\n---\nanswer\n")
    (tmp_path / "latin.yaml").write_bytes("- id: caf\xe9\n".encode("latin-1"))
    kb = load_brand(tmp_path, brand="brewbird")  # was: RecursionError out of load_brand
    assert [e.id for e in kb.entries] == ["pause"]
    assert sorted(str(e).replace(f"{tmp_path}/", "") for e in kb.errors) == [
        "deep.yaml:1: cannot read: YAML nested more than 50 levels deep",
        "front.md:3: cannot read: YAML nested more than 50 levels deep",
        "latin.yaml:1: cannot read: not UTF-8 text (byte 0xe9); save the file as UTF-8",
    ]
