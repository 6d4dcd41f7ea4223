"""RuleSet behaviour beyond the query: exclusions, priorities, overrides, routing, review brands."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import DropMention
from monitor.models import Label, Priority
from monitor.rules.ruleset import RuleSet
from tests.rules.helpers import load_yaml, mention

RULES = """
brands:
  - id: acme
    handles: [acme, AcmeHelp]
    query: acme OR acmehelp
    exclude:
      terms: ["acme anvil", "coyote*"]
      authors: [roadrunner]
      quotes: true
      query: "lang:fr"
    priority:
      - {name: urgent-terms, level: urgent, terms: [lawsuit, "data breach"]}
      - {name: reach, level: high, query: "followers:>10000"}
      - {name: bad-review, level: high, query: "rating:<=2", reason: one or two stars}
    overrides:
      - {name: jobs, label: other, query: '"we''re hiring" OR "barista job*"'}
      - {name: thanks, label: praise, terms: [thank you]}
    channels: {complaint: "#care-acme", praise: "#marketing"}
    replies: {complaint: "Sorry!", question.refund: "Refunds take 5 days"}
  - id: zeta
    query: zeta OR acme
    exclude: {retweets: false, own_accounts: false}
    sources: [reddit]
"""


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    return load_yaml(tmp_path, RULES)


def drop_reason(rules: RuleSet, text: str, **kw: object) -> str:
    with pytest.raises(DropMention) as info:
        rules.match(mention(text, **kw))
    return info.value.reason


def test_match__no_brand_drops_with_no_rule(rules: RuleSet) -> None:
    assert drop_reason(rules, "nothing relevant") == "no rule"


EXCLUSIONS = [
    ("acme is great", {"is_retweet": True}, "excluded: retweet"),
    ("RT @acme: big news", {}, "excluded: retweet"),
    ("acme is great", {"is_quote": True}, "excluded: quote"),
    ("acme is great", {"author": "AcmeHelp"}, "excluded: own account"),
    ("acme is great", {"author": "acme"}, "excluded: own account"),
    ("acme is great", {"author": "RoadRunner"}, "excluded: author"),
    ("the acme anvil fell", {}, "excluded: term"),
    ("acme vs coyotes", {}, "excluded: term"),
    ("acme est super", {"lang": "fr"}, "excluded: exclusion query"),
]


@pytest.mark.parametrize(("text", "fields", "reason"), EXCLUSIONS)
def test_match__exclusions(rules: RuleSet, text: str, fields: dict[str, object],
                           reason: str) -> None:
    assert drop_reason(rules, text, **fields) == reason


def test_match__an_excluded_brand_lets_the_next_brand_match(rules: RuleSet) -> None:
    got = rules.match(mention("acme is great", is_retweet=True, source="reddit"))
    assert got.brand == "zeta"


def test_match__first_brand_in_load_order_wins(rules: RuleSet) -> None:
    assert rules.match(mention("acme", source="reddit")).brand == "acme"


def test_match__brand_limited_to_its_sources(rules: RuleSet) -> None:
    assert drop_reason(rules, "zeta here", source="x") == "no rule"
    assert rules.match(mention("zeta here", source="reddit")).brand == "zeta"
    assert rules.match(mention("zeta here", source="sample")).brand == "zeta"


def test_explain__lists_every_exclusion(rules: RuleSet) -> None:
    found = rules.explain(mention("acme", author="acme", source="x"))
    assert found.match is None
    assert [(e.brand, e.category) for e in found.excluded] == [("acme", "own account")]
    assert "one of the brand's own accounts" in found.excluded[0].detail


PRIORITIES = [
    ("acme is fine", {}, Priority.NORMAL, ()),
    ("acme lawsuit incoming", {}, Priority.URGENT, ("urgent: mentions lawsuit",)),
    ("acme had a DATA  breach", {}, Priority.URGENT, ('urgent: mentions "data breach"',)),
    ("acme", {"followers": 20000}, Priority.HIGH, ("high: matches reach",)),
    ("acme lawsuit", {"followers": 20000}, Priority.URGENT,
     ("urgent: mentions lawsuit", "high: matches reach")),
    ("acme", {"rating": 1}, Priority.HIGH, ("high: one or two stars",)),
]


@pytest.mark.parametrize(("text", "fields", "level", "reasons"), PRIORITIES)
def test_match__priority_rules(rules: RuleSet, text: str, fields: dict[str, object],
                               level: Priority, reasons: tuple[str, ...]) -> None:
    got = rules.match(mention(text, **fields))
    assert got.priority is level
    assert got.priority_reasons == reasons


def test_match__default_priority_applies(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, "brands: [{id: a, query: alpha, default_priority: low}]")
    assert rs.match(mention("alpha")).priority is Priority.LOW


OVERRIDES = [
    ("We're hiring at acme!", Label.OTHER, "jobs"),
    ("acme barista jobs in Leeds", Label.OTHER, "jobs"),
    ("thank you acme", Label.PRAISE, "thanks"),
    ("acme is late", None, None),
]


@pytest.mark.parametrize(("text", "label", "rule"), OVERRIDES)
def test_match__label_overrides(rules: RuleSet, text: str, label: Label | None,
                                rule: str | None) -> None:
    found = rules.explain(mention(text))
    assert found.match is not None
    assert found.match.label_override is label
    assert found.override == rule


def test_match__channels_per_label(rules: RuleSet) -> None:
    got = rules.match(mention("acme"))
    assert dict(got.channels) == {"complaint": "#care-acme", "praise": "#marketing"}


def test_match__review_mentions_match_their_brand_by_definition(rules: RuleSet) -> None:
    got = rules.match(mention("crashes on start", source="appstore", brand="acme", rating=1))
    assert (got.brand, got.rule, got.priority) == ("acme", "acme.review", Priority.HIGH)


def test_match__review_mentions_still_obey_exclusions(rules: RuleSet) -> None:
    reason = drop_reason(rules, "great", source="appstore", brand="acme", author="roadrunner")
    assert reason == "excluded: author"


def test_match__review_of_an_unknown_brand_is_dropped(rules: RuleSet) -> None:
    assert drop_reason(rules, "great", source="appstore", brand="nobody") == "no rule"


def test_reply_templates__by_label_and_topic(rules: RuleSet) -> None:
    assert rules.reply_templates("acme") == {"complaint": "Sorry!",
                                             "question.refund": "Refunds take 5 days"}
    assert rules.reply_templates("zeta") == {}
    assert rules.reply_templates("missing") == {}


def test_prefilter__brand_without_required_terms_is_still_checked(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: reviews
            query: "source:appstore rating:<=2"
          - id: acme
            query: acme
        """)
    assert rs.match(mention("anything", source="appstore", rating=1)).brand == "reviews"
    assert rs.match(mention("acme", source="x")).brand == "acme"


def test_prefilter__wildcard_and_cjk_anchors(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - {id: w, query: "parcel* NEAR/1 lost"}
          - {id: j, query: "東京 OR 🚀"}
        """)
    assert rs.match(mention("lost parcels")).brand == "w"
    assert rs.match(mention("私は東京に行く")).brand == "j"
    assert rs.match(mention("liftoff🚀")).brand == "j"
