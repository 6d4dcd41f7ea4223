"""`rules test`: run each brand's must_match / must_not_match examples through the rule set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.registry import TARGET_SOURCES
from monitor.models import Author, Mention
from monitor.rules.brand import Brand, Example
from monitor.rules.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class ExampleResult:
    brand: str
    example: Example
    passed: bool
    detail: str  # what happened, for people ("matched lumo via lumo.query", "excluded: …")


def _default_source(brand: Brand) -> str:
    if brand.sources is None or "x" in brand.sources:
        return "x"
    return sorted(brand.sources)[0]


def example_mention(example: Example, brand: Brand) -> Mention:
    """The mention an example stands for: its text plus the fields it sets. An example from a
    review source is a review of this brand, as the review connectors deliver it."""
    f = example.fields
    source = str(f.get("source") or _default_source(brand))
    return Mention(
        source=source,
        brand=brand.id if source in TARGET_SOURCES else None,  # a review of this brand
        external_id=f"example:{example.file}:{example.line}",
        text=example.text,
        title=f.get("title"),
        created_at=datetime.now(UTC),
        author=Author(handle=str(f.get("author") or "someone").lstrip("@"),
                      followers=f.get("followers")),
        lang=f.get("lang"),
        rating=f.get("rating"),
        is_retweet=bool(f.get("retweet")),
        is_quote=bool(f.get("quote")),
        extra={"subreddit": f["subreddit"]} if f.get("subreddit") else {},
    )


def run_example(ruleset: RuleSet, brand: Brand, example: Example) -> ExampleResult:
    found = ruleset.explain(example_mention(example, brand))
    match = found.match
    if match is None:
        happened = found.reason or "no rule"
        if found.excluded:
            happened += " (" + "; ".join(f"{e.brand}: {e.detail}" for e in found.excluded) + ")"
    else:
        happened = f"matched {match.brand} via {match.rule}"
    if not example.must_match:
        ok = match is None or match.brand != brand.id
        return ExampleResult(brand.id, example, ok, happened)
    if match is None or match.brand != brand.id:
        return ExampleResult(brand.id, example, False, happened)
    wrong: list[str] = []
    expect = example.expect
    if "priority" in expect and str(match.priority) != expect["priority"]:
        wrong.append(f"priority {match.priority}, expected {expect['priority']}")
    got_label = match.label_override.value if match.label_override else "none"
    if "label" in expect and got_label != expect["label"]:
        wrong.append(f"label override {got_label}, expected {expect['label']}")
    if "rule" in expect and match.rule != expect["rule"]:
        wrong.append(f"rule {match.rule}, expected {expect['rule']}")
    if wrong:
        return ExampleResult(brand.id, example, False, happened + "; " + "; ".join(wrong))
    return ExampleResult(brand.id, example, True, happened)


def run_examples(ruleset: RuleSet) -> list[ExampleResult]:
    """Every example of every brand, in file order."""
    return [run_example(ruleset, b, ex) for b in ruleset.brands for ex in b.examples]
