"""The one safe YAML loader: depth, alias expansion, size and encoding limits; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import safeyaml
from monitor.errors import YamlError


def test_load__plain_documents_and_anchors_within_limits() -> None:
    text = "base: &b {x: 1}\nuse: [*b, *b]\n"
    assert safeyaml.load(text) == {"base": {"x": 1}, "use": [{"x": 1}, {"x": 1}]}
    assert safeyaml.load("") is None and safeyaml.load("# only a comment\n") is None


@pytest.mark.parametrize(("text", "problem", "line"), [
    ("a: " + "[" * 60 + "]" * 60, "YAML nested more than 50 levels deep", 1),
    ("x: &x [*x]\n", "YAML alias refers to a node that contains it (recursive alias)", 1),
    # each anchor is shallow; the chain of aliases nests 10 x 6 = 60 levels once expanded
    ("".join(f"a{i}: &a{i} [[[[[[{f'*a{i - 1}' if i else 'x'}]]]]]]\n" for i in range(10)),
     "YAML nested more than 50 levels deep once its aliases are expanded", 9),
])
def test_compose__unsafe_structures_are_refused_with_their_line(text: str, problem: str,
                                                               line: int) -> None:
    with pytest.raises(YamlError) as err:
        safeyaml.load(text)
    assert (err.value.problem, err.value.line, err.value.syntax) == (problem, line, False)


@pytest.mark.parametrize(("text", "message"), [
    ("a: [1, 2\n", "invalid YAML at line 2: expected ',' or ']', but got '<stream end>'"),
    ("a: *nope\n", "invalid YAML at line 1: found undefined alias 'nope'"),
    ("a: 1\n---\nb: 2\n", "invalid YAML at line 2: expected a single document in the stream, "
                          "but found another document"),
    ("a: b\x00\n", "invalid YAML at line 1: character #x0000 is not allowed in YAML"),
    ("a: !!python/name:os.system\n", "invalid YAML at line 1: could not determine a "
                                     "constructor for the tag 'tag:yaml.org,2002:python/name:"
                                     "os.system'"),
])
def test_load__invalid_yaml_is_one_line(text: str, message: str) -> None:
    with pytest.raises(YamlError) as err:
        safeyaml.load(text)
    assert str(err.value) == message and err.value.syntax


def test_read_text__utf8_with_or_without_bom_size_limit_and_bad_bytes(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_bytes(b"\xef\xbb\xbfname: caf\xc3\xa9\n")
    assert safeyaml.load(safeyaml.read_text(p)) == {"name": "café"}
    p.write_bytes(b"a: 1\n" * 100)
    with pytest.raises(YamlError, match="larger than 99 bytes"):
        safeyaml.read_text(p, max_bytes=99)
    p.write_bytes(b"ok: 1\nbad: \x93quoted\x94\n")
    with pytest.raises(YamlError) as err:
        safeyaml.read_text(p)
    assert str(err.value) == "line 2: not UTF-8 text (byte 0x93); save the file as UTF-8"
