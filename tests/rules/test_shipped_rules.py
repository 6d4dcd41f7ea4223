"""The rules files we ship (rules/*.yaml): valid, their examples pass, and they agree with the
demo's sample mentions (monitor/demo/samples.yaml) on what is a mention and what is noise."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from monitor.errors import DropMention
from monitor.models import Author, Label, Mention, Priority
from monitor.rules.examples import run_examples
from monitor.rules.loader import load_rules
from monitor.rules.ruleset import RuleSet

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(ROOT / "rules")


def test_shipped_rules__load_the_three_demo_brands(shipped: RuleSet) -> None:
    assert sorted(b.id for b in shipped.brands) == ["brewbird", "lumo", "parcelly"]


def test_shipped_rules__every_example_passes(shipped: RuleSet) -> None:
    results = run_examples(shipped)
    assert len(results) >= 25
    assert [r.detail for r in results if not r.passed] == []


def test_shipped_rules__review_targets(shipped: RuleSet) -> None:
    def targets(source: str) -> list[tuple[str, str, dict[str, str]]]:
        return [(q.brand, q.query, dict(q.params)) for q in shipped.source_queries(source)]

    assert targets("appstore") == [("lumo", "1555000202", {"country": "us"}),
                                   ("parcelly", "1555000101", {"country": "us"})]
    assert targets("googleplay") == [("lumo", "com.lumobank.mobile", {}),
                                     ("parcelly", "com.parcelly.app", {})]
    assert targets("trustpilot") == [("brewbird", "60a7c1d2e3f4a5b6c7d8e9f0", {}),
                                     ("parcelly", "5f1e0b7c2a9d3e0001a1b2c3", {})]
    assert targets("rss") == []


def test_shipped_rules__x_queries_skip_own_accounts_and_retweets(shipped: RuleSet) -> None:
    x = {q.brand: q.query for q in shipped.source_queries("x")}
    assert x["parcelly"].endswith("-is:retweet -from:parcelly -from:parcellyhelp")
    assert x["lumo"].endswith("-is:retweet -from:lumobank -from:lumosupport")
    assert all(len(q) <= 512 for q in x.values())


def test_shipped_rules__routing_and_job_ads(shipped: RuleSet) -> None:
    def m(text: str) -> Mention:
        return Mention(source="x", external_id="1", text=text, created_at=datetime.now(UTC),
                       author=Author(handle="someone"))

    brewbird = shipped.match(m("We're hiring a barista at Brewbird"))
    assert brewbird.label_override is Label.OTHER
    assert brewbird.channels["praise"] == "#marketing"
    assert brewbird.channels["complaint"] == "#care-brewbird"
    lumo = shipped.match(m("Lumo Bank locked out again"))
    assert (lumo.priority, lumo.channels["complaint"]) == (Priority.URGENT, "#care-lumo")
    parcelly = shipped.match(m("@parcelly lost parcel again"))
    assert (parcelly.priority, parcelly.channels["complaint"]) == (Priority.URGENT,
                                                                   "#care-parcelly")


def _sample_items() -> list[dict[str, object]]:
    data = yaml.safe_load((ROOT / "monitor" / "demo" / "samples.yaml").read_text("utf-8"))
    return list(data["items"])


def test_shipped_rules__agree_with_demo_samples(shipped: RuleSet) -> None:
    disagreements = []
    for item in _sample_items():
        a = item["author"]
        assert isinstance(a, dict)
        mention = Mention(
            source=str(item["source"]), external_id=str(item["id"]), text=str(item["text"]),
            title=item.get("title"), created_at=datetime.now(UTC),  # type: ignore[arg-type]
            author=Author(handle=a["handle"], followers=a.get("followers")),
            rating=item.get("rating"), brand=item.get("brand"),  # type: ignore[arg-type]
            is_retweet=bool(item.get("is_retweet")),
        )
        try:
            shipped.match(mention)
            dropped = False
        except DropMention:
            dropped = True
        if dropped != (item["expect"] == "drop"):
            disagreements.append((item["id"], item["expect"], str(item["text"])[:60]))
    assert disagreements == []


def test_readme__the_documented_brand_loads_and_its_examples_pass(tmp_path: Path) -> None:
    readme = (ROOT / "rules" / "README.md").read_text("utf-8")
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "acme.yaml").write_text(block, encoding="utf-8")
    rules = load_rules(tmp_path)
    results = run_examples(rules)
    assert len(results) == 6
    assert [r.detail for r in results if not r.passed] == []
