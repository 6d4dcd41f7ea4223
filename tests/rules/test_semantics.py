"""Table-driven semantics of the query language, through RuleSet.match (the pipeline's path)."""

from __future__ import annotations

import pytest

from monitor.errors import DropMention
from tests.rules.helpers import mention, one_query


def matches(query: str, text: str, **fields: object) -> bool:
    try:
        one_query(query).match(mention(text, **fields))
    except DropMention:
        return False
    return True


OPERATORS = [
    # (query, text, expected)
    ("acme", "I love acme", True),
    ("acme", "I love Acme!", True),
    ("acme", "I love ACME.", True),
    ("acme", "I love acmecorp", False),
    ("acme", "I love megaacme", False),
    ("acme AND rocket", "acme rocket", True),
    ("acme AND rocket", "acme only", False),
    ("acme rocket", "rocket by acme", True),  # adjacent terms = AND
    ("acme rocket", "rocket alone", False),
    ("acme OR rocket", "rocket alone", True),
    ("acme OR rocket", "nothing here", False),
    ("acme NOT rocket", "acme anvil", True),
    ("acme NOT rocket", "acme rocket", False),
    ("acme AND NOT rocket", "acme rocket", False),
    ("NOT rocket", "anything at all", True),
    ("-rocket acme", "acme rocket", False),  # -term is NOT term
    ("-rocket acme", "acme anvil", True),
    ('"acme rocket"', "the acme rocket flew", True),
    ('"acme rocket"', "the rocket acme flew", False),
    ('"acme rocket"', "the acme big rocket", False),
    ('"acme rocket"', "the acme-rocket flew", True),  # punctuation between words is fine
    ("(acme OR anvil) AND rocket", "anvil rocket", True),
    ("(acme OR anvil) AND rocket", "anvil only", False),
    ("acme*", "acmes are great", True),
    ("acme*", "acme is great", True),
    ("acme*", "megaacmes", False),
    ('"acme rock*"', "acme rockets", True),
    ("acme NEAR/2 rocket", "acme big red rocket", True),
    ("acme NEAR/2 rocket", "acme big red shiny rocket", False),
    ("acme NEAR/2 rocket", "rocket big red acme", True),  # any order
    ("acme NEAR/0 rocket", "acme rocket", True),
    ("acme NEAR/0 rocket", "acme x rocket", False),
    ("acme NEAR/2f rocket", "acme big rocket", True),
    ("acme NEAR/2f rocket", "rocket big acme", False),  # in order only
    ('"acme labs" NEAR/1 (rocket OR anvil)', "acme labs new anvil", True),
    ('"acme labs" NEAR/1 (rocket OR anvil)', "acme labs has a new anvil", False),
    ("acme NEAR/1 rocket NEAR/1 anvil", "acme rocket anvil", True),
    ("acme NEAR/1 rocket NEAR/1 anvil", "acme rocket far far far anvil", False),
]


@pytest.mark.parametrize(("query", "text", "expected"), OPERATORS)
def test_query__operators(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


PRECEDENCE = [
    # NOT binds tighter than AND: NOT applies to b only
    ("NOT b AND a", "a", True),
    ("NOT b AND a", "a b", False),
    ("NOT b AND a", "b", False),
    # AND binds tighter than OR: a OR (b AND c)
    ("a OR b AND c", "a", True),
    ("a OR b AND c", "b", False),
    ("a OR b AND c", "b c", True),
    # implicit AND is the same as AND
    ("a OR b c", "b", False),
    ("a OR b c", "c b", True),
    # parentheses override
    ("(a OR b) AND c", "a", False),
    ("(a OR b) AND c", "a c", True),
    # NOT over a group
    ("x NOT (a OR b)", "x b", False),
    ("x NOT (a OR b)", "x c", True),
    # NEAR binds tighter than AND/OR
    ("x OR a NEAR/1 b", "a q q b", False),
    ("x OR a NEAR/1 b", "a q b", True),
    ("NOT NOT a", "a", True),
]


@pytest.mark.parametrize(("query", "text", "expected"), PRECEDENCE)
def test_query__precedence(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


BOUNDARIES_AND_CASE = [
    ("eth", "something is off", False),
    ("eth", "ETH is up", True),
    ("eth", "eth/usd", True),
    ("case:Lumo", "Lumo card", True),
    ("case:Lumo", "lumo card", False),
    ("case:Lumo", "LUMO card", False),
    ('case:"Lumo Bank"', "my Lumo Bank card", True),
    ('case:"Lumo Bank"', "my lumo bank card", False),
    ("case:Lumo*", "Lumos", True),
    ("case:Lumo*", "lumos", False),
    ("Lumo", "lumo", True),  # without case: capitals in the query do not matter
    ("it's", "it’s great", True),  # curly apostrophe
    ("under_score", "under_score", True),
    ("under", "under_score", False),  # '_' is part of a word
]


@pytest.mark.parametrize(("query", "text", "expected"), BOUNDARIES_AND_CASE)
def test_query__boundaries_and_case(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


TOKENS = [
    ("parcelly", "#parcelly is late", True),
    ("parcelly", "@parcelly where is it", True),
    ("parcelly", "see parcelly.com/track", True),
    ("parcelly", "parcelly's van", True),
    ("parcelly", "@parcellyhelp please", False),
    ("parcelly", "@parcelly_help please", False),
    ("#parcelly", "#parcelly is late", True),
    ("#parcelly", "parcelly is late", False),
    ("#parcelly", "@parcelly is late", False),
    ("@parcelly", "hey @parcelly", True),
    ("@parcelly", "hey @ParcellyHelp", False),
    ("@parcelly", "hey parcelly", False),
    ("@parcelly", "mail support@parcelly.com", False),
    ("parcelly.com", "https://www.parcelly.com/track?id=1", True),
    ("parcelly.com", "visit parcelly.com today", True),
    ("parcelly.com", "parcelly.community forum", False),
    ("parcelly.com", "notparcelly.com", False),
    ("parcelly.com", "parcelly com", False),
    ("🚀", "launch day🚀", True),
    ("🚀", "launch day", False),
    ("acme", "acme🚀🚀", True),
    ("東京", "私は東京に行く", True),  # no word boundaries in Japanese
    ("東京", "大阪に行く", False),
    ("москва", "Я люблю Москва!", True),
    ("москва", "Москвариум", False),  # Cyrillic word boundaries work like Latin ones
    ("café", "Café Brewbird", True),
    ("cafe", "Café Brewbird", False),  # accents are significant
]


@pytest.mark.parametrize(("query", "text", "expected"), TOKENS)
def test_query__tokenisation(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


FIELDS = [
    ("acme source:x", "acme", {"source": "x"}, True),
    ("acme source:x", "acme", {"source": "reddit"}, False),
    ("acme source:x,reddit", "acme", {"source": "reddit"}, True),
    ("acme lang:en", "acme", {"lang": "en"}, True),
    ("acme lang:en", "acme", {"lang": "en-GB"}, True),
    ("acme lang:en", "acme", {"lang": "de"}, False),
    ("acme lang:en", "acme", {}, False),
    ("acme author:bob", "acme", {"author": "Bob"}, True),
    ("acme author:@bob", "acme", {"author": "bob"}, True),
    ("acme author:bob", "acme", {"author": "bobby"}, False),
    ("acme subreddit:coffee", "acme", {"subreddit": "Coffee"}, True),
    ("acme subreddit:r/coffee", "acme", {"subreddit": "coffee"}, True),
    ("acme subreddit:coffee", "acme", {"subreddit": "tea"}, False),
    ("acme rating:<=2", "acme", {"rating": 2}, True),
    ("acme rating:<=2", "acme", {"rating": 3}, False),
    ("acme rating:<=2", "acme", {}, False),
    ("acme rating:5", "acme", {"rating": 5}, True),
    ("acme followers:>10000", "acme", {"followers": 10001}, True),
    ("acme followers:>10000", "acme", {"followers": 10000}, False),
    ("acme followers:>=10000", "acme", {"followers": 10000}, True),
    ("acme followers:<100", "acme", {"followers": 99}, True),
    ("acme NOT source:reddit", "acme", {"source": "reddit"}, False),
    ("acme (source:x OR rating:1)", "acme", {"source": "appstore", "rating": 1}, True),
]


@pytest.mark.parametrize(("query", "text", "fields", "expected"), FIELDS)
def test_query__field_filters(query: str, text: str, fields: dict[str, object],
                              expected: bool) -> None:
    assert matches(query, text, **fields) is expected


def test_query__title_is_matched_too() -> None:
    assert matches("acme", "nothing", title="Acme froze my account")


def test_match__spans_point_at_the_matched_text() -> None:
    text = "Why is ACME late? #acme"
    got = one_query('acme OR "late"').match(mention(text))
    assert [(s.term, text[s.start:s.end]) for s in got.spans] == [
        ("acme", "ACME"), ("late", "late"), ("acme", "acme")]
    assert got.terms == ("acme", "late")
    assert got.rule == "acme.query"


def test_match__spans_are_offsets_into_title_and_text() -> None:
    m = mention("body mentions acme", title="Title")
    got = one_query("acme").match(m)
    assert m.full_text[got.spans[0].start:got.spans[0].end] == "acme"


def test_match__negated_terms_are_not_reported() -> None:
    got = one_query("acme NOT rocket").match(mention("acme anvil"))
    assert got.terms == ("acme",)
