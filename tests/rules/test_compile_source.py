"""Push-down to X and Reddit search, query splitting, and review targets."""

from __future__ import annotations

from pathlib import Path

from monitor.rules.compile_source import QUERY_LIMITS, required_terms
from monitor.rules.query import parse_query
from tests.rules.helpers import load_yaml, write


def test_source_queries__x_joins_terms_and_excludes_own_posts(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            handles: [acme, AcmeHelp]
            query: |
              (acme OR "acme labs" OR @acme OR #acmerocks OR acme.example OR rock*)
              AND NOT anvil lang:en
            exclude: {quotes: true, authors: [spambot]}
        """)
    assert [(q.brand, q.query) for q in rs.source_queries("x")] == [(
        "acme",
        '(acme OR "acme labs" OR @acme OR #acmerocks OR url:acme.example OR rock)'
        " -is:retweet -is:quote lang:en -from:acme -from:acmehelp -from:spambot",
    )]


def test_source_queries__reddit_is_coarse_and_plain(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            query: '(@acme OR #acme OR "acme labs" OR case:Acme) subreddit:rockets'
        """)
    assert [q.query for q in rs.source_queries("reddit")] == [
        '(acme OR "acme labs") subreddit:rockets']


def test_source_queries__near_and_and_are_relaxed_to_and(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: lumo
            query: |
              "lumo bank" OR (case:Lumo NEAR/3 (card OR account OR app))
              OR (lumo* rating:<=2 NOT lamp)
        """)
    assert rs.source_queries("x")[0].query.startswith(
        '("lumo bank" OR (Lumo (card OR account OR app)) OR lumo) -is:retweet')


def test_source_queries__or_with_an_unsearchable_branch_falls_back(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            names: [Acme]
            query: "(acme (rocket OR NOT anvil)) OR (NOT x OR y) OR zeta"
            exclude: {own_accounts: false, retweets: false}
        """)
    # the lone NOT x cannot be searched for: the brand name stands in for it
    assert rs.source_queries("x")[0].query == "(acme OR y OR zeta)"


def test_source_queries__no_required_term_falls_back_to_names(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            names: [Acme Labs]
            handles: [acmehq]
            query: NOT spam
            exclude: {own_accounts: false, retweets: false}
        """)
    assert rs.source_queries("x")[0].query == '("Acme Labs" OR @acmehq)'


def test_source_queries__long_queries_are_split_under_the_limit(tmp_path: Path) -> None:
    terms = [f"product{i:03d}" for i in range(200)]
    rs = load_yaml(tmp_path, f"""
        brands:
          - id: big
            handles: [bigco]
            query: {" OR ".join(terms)}
        """)
    for source in ("x", "reddit"):
        queries = rs.source_queries(source)
        assert len(queries) > 1
        assert all(len(q.query) <= QUERY_LIMITS[source] for q in queries)
        joined = " ".join(q.query for q in queries)
        assert all(t in joined for t in terms)  # nothing lost in the split
    assert all(q.query.endswith("-is:retweet -from:bigco") for q in rs.source_queries("x"))


def test_source_queries__query_limited_to_other_sources_is_not_pushed(tmp_path: Path) -> None:
    rs = load_yaml(tmp_path, """
        brands:
          - id: acme
            queries:
              reddit_only: "acme source:reddit"
              x_only: "rocket source:x"
        """)
    assert [q.query for q in rs.source_queries("x")] == ["(rocket) -is:retweet"]
    assert [q.query for q in rs.source_queries("reddit")] == ["(acme)"]


def test_source_queries__review_targets(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", """
brands:
  - id: acme
    query: acme
    reviews:
      appstore: [{id: "1555000101", country: us}, "999"]
      googleplay: [{id: com.acme.app, lang: en, country: gb}]
      trustpilot: [5f1e0b7c2a9d3e0001a1b2c3]
      rss: ["https://acme.example/feed.xml"]
  - id: other
    query: other
    sources: [x]
    reviews: {appstore: ["42"]}
""")
    rs = load_yaml(tmp_path, (tmp_path / "b.yaml").read_text(), name="b.yaml")
    got = {s: [(q.brand, q.query, dict(q.params)) for q in rs.source_queries(s)]
           for s in ("appstore", "googleplay", "trustpilot", "rss")}
    assert got == {
        "appstore": [("acme", "1555000101", {"country": "us"}), ("acme", "999", {})],
        "googleplay": [("acme", "com.acme.app", {"country": "gb", "lang": "en"})],
        "trustpilot": [("acme", "5f1e0b7c2a9d3e0001a1b2c3", {})],
        "rss": [("acme", "https://acme.example/feed.xml", {})],
    }
    assert [q.brand for q in rs.source_queries("x")] == ["acme", "other"]
    assert rs.source_queries("unknown") == []


def test_required_terms__and_picks_the_smaller_side() -> None:
    terms = required_terms(parse_query("(a OR b OR c) AND (d OR e) AND NOT f"))
    assert terms is not None and [t.text for t in terms] == ["d", "e"]
    assert required_terms(parse_query("NOT a")) is None
    assert required_terms(parse_query("a OR NOT b")) is None
