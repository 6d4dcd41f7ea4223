"""Hostile and random inputs (hypothesis): only rules errors, never a crash or a hang; and the
matcher agrees with a reference model of the boolean operators."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monitor.errors import DropMention, QuerySyntaxError
from monitor.rules.compile_local import Context, evaluate
from monitor.rules.loader import check_rules
from monitor.rules.query import And, Near, Node, Not, Or, Term, parse_query, to_text
from tests.rules.helpers import mention, one_query

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

QUERY_ALPHABET = st.sampled_from(
    [*'()"*:#@./-= \n\tabcxyz', "AND", "OR", "NOT", "NEAR/2", "NEAR/1f", "case:",
                                      "source:", "rating:<=", "lang:", "東", "🚀", "é"])
queryish = st.lists(QUERY_ALPHABET, max_size=60).map(" ".join) | st.text(max_size=200)


@FUZZ
@given(queryish)
def test_parse_query__random_input_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError as e:
        assert e.pos is not None and 0 <= e.pos <= max(len(text), 1)
        return
    assert to_text(parse_query(to_text(node))) == to_text(node)


@FUZZ
@given(st.integers(1, 5000), st.sampled_from(["(", '"', "NOT ", "a OR ", "(a NEAR/1 "]))
def test_parse_query__huge_and_deep_inputs_are_bounded(n: int, piece: str) -> None:
    try:
        node = parse_query(piece * n + "a")
    except QuerySyntaxError as e:
        assert e.pos is not None
        return
    assert to_text(node)


WORDS = ["alpha", "beta", "gamma", "delta"]
terms = st.sampled_from(WORDS).map(lambda w: Term((w,)))


def _trees(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
        st.lists(children, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
        children.map(Not),
    )


trees = st.recursive(terms, _trees, max_leaves=8)


def reference(node: Node, words: set[str]) -> bool:
    if isinstance(node, Term):
        return node.words[0] in words
    if isinstance(node, And):
        return all(reference(c, words) for c in node.children)
    if isinstance(node, Or):
        return any(reference(c, words) for c in node.children)
    assert isinstance(node, Not)
    return not reference(node.child, words)


@FUZZ
@given(trees, st.lists(st.sampled_from([*WORDS, "other", "alphabet", "#beta", "GAMMA"]),
                       max_size=8))
def test_match__agrees_with_the_reference_model(tree: Node, text_words: list[str]) -> None:
    query = to_text(tree)
    text = " ".join(text_words)
    expected = reference(parse_query(query), {w.lstrip("#").lower() for w in text_words})
    try:
        one_query(query).match(mention(text))
        got = True
    except DropMention:
        got = False
    assert got is expected, (query, text)


near_queries = st.builds(
    lambda a, b, n, f: f"{a} NEAR/{n}{'f' if f else ''} {b}",
    st.sampled_from(WORDS), st.sampled_from(WORDS), st.integers(0, 3), st.booleans())


@FUZZ
@given(near_queries, st.lists(st.sampled_from([*WORDS, "x", "y"]), max_size=10))
def test_near__agrees_with_word_positions(query: str, text_words: list[str]) -> None:
    node = parse_query(query)
    assert isinstance(node, Near)
    a, b = (t.words[0] for t in node.operands if isinstance(t, Term))
    n, ordered = node.gaps[0], node.ordered[0]
    pa = [i for i, w in enumerate(text_words) if w == a]
    pb = [i for i, w in enumerate(text_words) if w == b]
    expected = any(
        i != j and (j - i - 1 <= n if i < j else (not ordered and i - j - 1 <= n))
        for i in pa for j in pb
    )
    assert evaluate(node, Context(mention(" ".join(text_words)))) is expected, (query, text_words)


@FUZZ
@given(trees, st.text(max_size=80))
def test_prefilter__never_hides_a_match(tree: Node, text: str) -> None:
    query = to_text(tree)
    m = mention(text + " alpha")
    assume(not m.text.startswith("RT @"))  # a retweet is excluded by design, whatever matches
    direct = evaluate(parse_query(query), Context(m))
    try:
        one_query(query).match(m)
        via_ruleset = True
    except DropMention:
        via_ruleset = False
    assert via_ruleset is direct


yamlish = st.lists(st.sampled_from(
    ["brands:", "\n", "  - ", "id: ", "acme", "query: ", "'", '"', "(", ")", " OR ", "[", "]",
     "{", "}", ":", "exclude:", "priority:", "level: urgent", "channels:", "#", "\t", "- ",
     "examples:", "must_match:", "&a", "*a", "!!python/object:os.system", "\x00", "é"]),
    max_size=40).map("".join)


@FUZZ
@given(yamlish)
def test_check_rules__random_files_give_errors_not_exceptions(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(text, encoding="utf-8")
        ruleset, errors = check_rules(path)
    assert (ruleset is None) == bool(errors)
    for e in errors:
        assert e.file == str(path)
