"""Builders shared by the rules tests: mentions and rule sets from a query or YAML text."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.models import Author, Mention
from monitor.rules.brand import Brand, Query
from monitor.rules.loader import load_rules
from monitor.rules.query import parse_query
from monitor.rules.ruleset import RuleSet

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def mention(text: str, **kw: Any) -> Mention:
    author = Author(handle=kw.pop("author", "someone"), followers=kw.pop("followers", None))
    extra = {"subreddit": kw.pop("subreddit")} if "subreddit" in kw else {}
    return Mention(source=kw.pop("source", "x"), external_id=kw.pop("external_id", "1"),
                   text=text, created_at=NOW, author=author, extra=extra, **kw)


def one_query(query: str, brand_id: str = "acme") -> RuleSet:
    """A rule set of one brand with this query and no exclusions."""
    return RuleSet([Brand(id=brand_id, name=brand_id,
                          queries=(Query(f"{brand_id}.query", query, parse_query(query)),))])


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_yaml(tmp_path: Path, text: str, name: str = "brands.yaml") -> RuleSet:
    write(tmp_path, name, text)
    return load_rules(tmp_path)
