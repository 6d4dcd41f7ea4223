"""The query parser: AST shapes, and syntax errors with the offset of the offending token."""

from __future__ import annotations

import pytest

from monitor.errors import QuerySyntaxError
from monitor.rules.query import MAX_DEPTH, MAX_QUERY_CHARS, parse_query, to_text

SHAPES = [
    ("a b OR c", "((a AND b) OR c)"),
    ("a OR b AND NOT c", "(a OR (b AND NOT c))"),
    ("NOT a b", "(NOT a AND b)"),
    ("NOT NOT a", "a"),
    ("a NEAR/3 b", "(a NEAR/3 b)"),
    ("a NEAR/2f (b OR c)", "(a NEAR/2f (b OR c))"),
    ('"lost parcel" OR case:Lumo', '("lost parcel" OR case:Lumo)'),
    ('case:"Lumo Bank"', 'case:"Lumo Bank"'),
    ("rating:<=2 followers:>10000", "(rating:<=2 AND followers:>10000)"),
    ("source:X,Reddit", "source:x,reddit"),
    ("ORANGE NOTE NEARBY ANDROID", "(ORANGE AND NOTE AND NEARBY AND ANDROID)"),
    ("https://parcelly.com/x", '"https://parcelly.com/x"'),
    ("-spam acme", "(NOT spam AND acme)"),
    ("((a))", "a"),
    ('" ( "', '"("'),  # a one-word phrase that looks like syntax stays quoted
    ('"OR"', '"OR"'),
]


@pytest.mark.parametrize(("query", "expected"), SHAPES)
def test_parse_query__shapes(query: str, expected: str) -> None:
    assert to_text(parse_query(query)) == expected


ERRORS = [
    # (query, message fragment, pos)
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("(a OR b", "never closed", 0),
    ("a OR b)", "without a matching", 6),
    ('a "lost parcel', "quote", 2),
    ("a OR", "ends too early", 4),
    ("a AND", "ends too early", 5),
    ("OR a", "unexpected 'OR'", 0),
    ("a AND AND b", "unexpected 'AND'", 6),
    ("a or b", "write OR", 2),
    ("a and b", "write AND", 2),
    ("a NEAR/3", "ends too early", 8),
    ("a NEAR/3 (b AND c)", "NEAR works on", 2),
    ("a NEAR/3 source:x", "NEAR works on", 2),
    ("a NEAR/3 NOT b", "unexpected", 9),
    ("lnag:en acme", "did you mean 'lang:'", 0),
    ("acme source:redit", "unknown source 'redit'; did you mean 'reddit'?", 5),
    ("acme rating:abc", "needs a number", 5),
    ("acme rating:", "needs a value", 5),
    ("par*ly", "only allowed at the end", 0),
    ("a*", "at least 2", 0),
    ('""', "empty phrase", 0),
    ("acme ()", "unexpected ')'", 6),
    ("acme case:", "'case:' needs a value", 5),
    ("acme - rocket", "unexpected '-'", 5),
]


@pytest.mark.parametrize(("query", "fragment", "pos"), ERRORS)
def test_parse_query__errors_name_the_offending_token(query: str, fragment: str, pos: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert fragment in info.value.message
    assert info.value.pos == pos


def test_parse_query__too_long_is_an_error() -> None:
    with pytest.raises(QuerySyntaxError, match="limit"):
        parse_query("a OR " * (MAX_QUERY_CHARS // 5) + "b")


def test_parse_query__too_deep_is_an_error() -> None:
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError, match="nested") as info:
        parse_query(deep)
    assert info.value.pos == MAX_DEPTH


def test_parse_query__deepest_allowed_nesting_parses() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert to_text(parse_query(ok)) == "a"


def test_parse_query__long_not_chains_do_not_recurse() -> None:
    assert to_text(parse_query("NOT " * 2001 + "a")) == "NOT a"


def test_parse_query__long_near_chains_parse_flat() -> None:
    node = parse_query(" NEAR/1 ".join(["a"] * 500))
    assert to_text(node).count("NEAR/1") == 499
