"""Rules files -> a validated RuleSet; every problem becomes a RuleError at file:line:col."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor import safeyaml
from monitor.errors import QuerySyntaxError, RuleError, RulesInvalid, YamlError
from monitor.models import LABELS, Label, Priority
from monitor.rules import messages as msg
from monitor.rules.brand import ALL_SOURCES, Brand, Exclusions, Override, PriorityRule, Query
from monitor.rules.query import Node as QNode
from monitor.rules.query import Or, Term, parse_query
from monitor.rules.reading import read_channels, read_examples, read_replies, read_reviews
from monitor.rules.ruleset import RuleSet
from monitor.rules.yamlnodes import Doc

logger = logging.getLogger(__name__)

RULE_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 2_000_000
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}$")
LEVELS = tuple(str(p) for p in Priority)
LABEL_NAMES = tuple(label.value for label in LABELS)

TOP_KEYS = ("brands", "version")
BRAND_KEYS = (
    "id", "name", "names", "handles", "domains", "query", "queries", "sources", "reviews",
    "exclude", "default_priority", "priority", "overrides", "channels", "replies", "examples",
)
EXCLUDE_KEYS = ("terms", "authors", "own_accounts", "retweets", "quotes", "query")
PRIORITY_KEYS = ("name", "level", "query", "terms", "reason")
OVERRIDE_KEYS = ("name", "label", "query", "terms")


def rule_files(paths: Path | str | Sequence[Path | str]) -> list[Path]:
    """The rules files named by `paths`: files as given, directories' *.yaml/*.yml (not
    recursive, so `rules/knowledge/` is never read as rules), sorted by name."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix in RULE_SUFFIXES and f.is_file()))
        else:
            out.append(p)
    return out


def _query(doc: Doc, node: Node) -> QNode | None:
    text = doc.string(node, what="a query text")
    if text is None:
        return None
    try:
        return parse_query(text)
    except QuerySyntaxError as e:
        hint = ""
        if isinstance(node, ScalarNode) and node.style is None:
            rest = doc.lines[node.end_mark.line][node.end_mark.column:]
            hint = msg.HASH_COMMENT if "#" in rest else ""
        doc.error(node, f"bad query: {e.message}{hint}", offset=e.pos)
        return None


def _terms(doc: Doc, node: Node) -> list[Term]:
    out: list[Term] = []
    for text, item in doc.strings(node):
        try:
            parsed = parse_query('"' + text.replace('"', " ") + '"')
        except QuerySyntaxError as e:
            doc.error(item, f"bad term: {e.message}")
            continue
        if isinstance(parsed, Term):
            out.append(parsed)
    return out


def _query_or_terms(
    doc: Doc, keys: dict[str, tuple[ScalarNode, Node]], owner: Node
) -> QNode | None:
    if "query" in keys:
        return _query(doc, keys["query"][1])
    if "terms" in keys:
        terms = _terms(doc, keys["terms"][1])
        return Or(tuple(terms)) if terms else None
    doc.error(owner, msg.RULE_NEEDS.format(a="query", b="terms"))
    return None


def _exclusions(doc: Doc, node: Node) -> Exclusions:
    keys = doc.mapping(node, EXCLUDE_KEYS) or {}
    flags = {k: doc.boolean(keys[k][1])
             for k in ("own_accounts", "retweets", "quotes") if k in keys}
    defaults = Exclusions()
    return Exclusions(
        terms=tuple(_terms(doc, keys["terms"][1])) if "terms" in keys else (),
        authors=frozenset(a.lower().lstrip("@") for a, _ in doc.strings(keys["authors"][1]))
        if "authors" in keys else frozenset(),
        own_accounts=defaults.own_accounts if flags.get("own_accounts") is None
        else bool(flags["own_accounts"]),
        retweets=defaults.retweets if flags.get("retweets") is None else bool(flags["retweets"]),
        quotes=defaults.quotes if flags.get("quotes") is None else bool(flags["quotes"]),
        query=_query(doc, keys["query"][1]) if "query" in keys else None,
    )


def _priorities(doc: Doc, node: Node, brand_id: str) -> list[PriorityRule]:
    out: list[PriorityRule] = []
    for i, item in enumerate(doc.sequence(node, what="a list of priority rules"), start=1):
        keys = doc.mapping(item, PRIORITY_KEYS, required=("level",))
        if keys is None:
            continue
        level = doc.choice(keys["level"][1], LEVELS, msg.BAD_LEVEL) if "level" in keys else None
        name = doc.string(keys["name"][1]) if "name" in keys else f"{brand_id}.priority{i}"
        reason = doc.string(keys["reason"][1]) if "reason" in keys else None
        query = _query_or_terms(doc, keys, item)
        if level is not None and query is not None and name is not None:
            out.append(PriorityRule(name, Priority[level.upper()], query, reason,
                                    terms_only="query" not in keys))
    return out


def _overrides(doc: Doc, node: Node, brand_id: str) -> list[Override]:
    out: list[Override] = []
    for i, item in enumerate(doc.sequence(node, what="a list of override rules"), start=1):
        keys = doc.mapping(item, OVERRIDE_KEYS, required=("label",))
        if keys is None:
            continue
        label = (doc.choice(keys["label"][1], LABEL_NAMES, msg.BAD_LABEL)
                 if "label" in keys else None)
        name = doc.string(keys["name"][1]) if "name" in keys else f"{brand_id}.override{i}"
        query = _query_or_terms(doc, keys, item)
        if label is not None and query is not None and name is not None:
            out.append(Override(name, Label(label), query))
    return out


def _queries(doc: Doc, keys: dict[str, tuple[ScalarNode, Node]], brand_id: str,
             names: Sequence[str], handles: Sequence[str], domains: Sequence[str],
             owner: Node) -> list[Query]:
    out: list[Query] = []
    if "query" in keys:
        node = _query(doc, keys["query"][1])
        if node is not None:
            out.append(Query(f"{brand_id}.query", str(keys["query"][1].value), node))
    if "queries" in keys:
        named = doc.mapping(keys["queries"][1], _AnyKey()) or {}
        for name, (_, value) in named.items():
            node = _query(doc, value)
            if node is not None:
                out.append(Query(f"{brand_id}.{name}", str(value.value), node))
    if "query" not in keys and "queries" not in keys:
        terms = [Term(tuple(n.split())) for n in names if n.split()]
        terms += [Term((f"@{h}",)) for h in handles] + [Term((d,)) for d in domains]
        if not terms:
            doc.error(owner, msg.NO_QUERY)
        else:
            text = " OR ".join(t.text for t in terms)
            out.append(Query(f"{brand_id}.names", text, Or(tuple(terms))))
    return out


class _AnyKey(tuple[str, ...]):
    """A `known` collection that accepts every key (for user-named queries)."""

    def __contains__(self, item: object) -> bool:
        return True


def _brand(doc: Doc, node: Node, seen: dict[str, str]) -> Brand | None:
    keys = doc.mapping(node, BRAND_KEYS, required=("id",))
    if keys is None or "id" not in keys:
        return None
    key_node, id_node = keys["id"]
    brand_id = doc.string(id_node, what="a brand id")
    if brand_id is None:
        return None
    if not _ID.match(brand_id):
        doc.error(id_node, msg.BAD_ID.format(id=brand_id))
    where = f"{doc.file}:{id_node.start_mark.line + 1}"
    if brand_id in seen:
        doc.error(id_node, msg.DUPLICATE_BRAND.format(id=brand_id, where=seen[brand_id]))
    else:
        seen[brand_id] = where

    def texts(key: str) -> tuple[str, ...]:
        return tuple(v for v, _ in doc.strings(keys[key][1])) if key in keys else ()

    names = texts("names")
    handles = tuple(h.lstrip("@") for h in texts("handles"))
    domains = texts("domains")
    name = doc.string(keys["name"][1]) if "name" in keys else None
    sources = None
    if "sources" in keys:
        picked = [doc.choice(n, ALL_SOURCES, msg.BAD_SOURCE) for _, n in
                  doc.strings(keys["sources"][1])]
        sources = frozenset(s for s in picked if s is not None)
    default = Priority.NORMAL
    if "default_priority" in keys:
        level = doc.choice(keys["default_priority"][1], LEVELS, msg.BAD_LEVEL)
        default = Priority[level.upper()] if level else default
    queries = _queries(doc, keys, brand_id, names, handles, domains, node)
    return Brand(
        id=brand_id,
        name=name or (names[0] if names else brand_id),
        queries=tuple(queries),
        names=names,
        handles=handles,
        domains=domains,
        sources=sources,
        reviews=tuple(read_reviews(doc, keys["reviews"][1])) if "reviews" in keys else (),
        exclude=_exclusions(doc, keys["exclude"][1]) if "exclude" in keys else Exclusions(),
        default_priority=default,
        priorities=tuple(_priorities(doc, keys["priority"][1], brand_id))
        if "priority" in keys else (),
        overrides=tuple(_overrides(doc, keys["overrides"][1], brand_id))
        if "overrides" in keys else (),
        channels=read_channels(doc, keys["channels"][1]) if "channels" in keys else {},
        replies=read_replies(doc, keys["replies"][1]) if "replies" in keys else {},
        examples=tuple(read_examples(doc, keys["examples"][1])) if "examples" in keys else (),
        file=doc.file,
        line=key_node.start_mark.line + 1,
    )


def _read_file(path: Path, seen: dict[str, str]) -> tuple[list[Brand], list[RuleError]]:
    file = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [RuleError(msg.CANNOT_READ.format(reason="file too large"), file=file)]
        text = safeyaml.read_text(path, max_bytes=MAX_FILE_BYTES)
        root = safeyaml.compose(text, max_bytes=MAX_FILE_BYTES)
    except FileNotFoundError:
        return [], [RuleError(msg.NOT_FOUND, file=file)]
    except OSError as e:
        return [], [RuleError(msg.CANNOT_READ.format(reason=e.strerror or e), file=file)]
    except YamlError as e:  # syntax, not UTF-8, nested too deep, an alias bomb
        problem = msg.YAML_SYNTAX.format(problem=e.problem) if e.syntax else e.problem
        return [], [RuleError(problem, file=file, line=e.line, col=e.col)]
    doc = Doc(file, text)
    if root is None or (isinstance(root, ScalarNode) and not root.value):
        # empty, only comments or a bare '---': a file truncated mid-save looks like this
        return [], [RuleError(msg.EMPTY_FILE, file=file, line=1)]
    if not isinstance(root, MappingNode):
        doc.error(root, msg.TOP_LEVEL)
        return [], doc.errors
    top = doc.mapping(root, TOP_KEYS, required=("brands",))
    brands: list[Brand] = []
    if top is not None and "brands" in top:
        listed = doc.sequence(top["brands"][1], what="a list of brands")
        if not listed and isinstance(top["brands"][1], SequenceNode):
            doc.error(top["brands"][1], msg.NO_BRANDS)
        for item in listed:
            brand = _brand(doc, item, seen)
            if brand is not None:
                brands.append(brand)
    return brands, doc.errors


def check_rules(paths: Path | str | Sequence[Path | str]) -> tuple[RuleSet | None, list[RuleError]]:
    """Load and validate; return (RuleSet or None, every error found)."""
    files = rule_files(paths)
    errors: list[RuleError] = []
    brands: list[Brand] = []
    seen: dict[str, str] = {}
    if not files:
        return None, [RuleError(msg.NO_FILES.format(path=paths), file=str(paths))]
    for path in files:
        got, errs = _read_file(path, seen)
        brands.extend(got)
        errors.extend(sorted(errs, key=lambda e: (e.line or 0, e.col or 0)))
    if errors:
        return None, errors
    return RuleSet(brands, files=files), []


def load_rules(paths: Path | str | Sequence[Path | str]) -> RuleSet:
    """The RuleSet of a rules directory (or files); raises RulesInvalid with every error."""
    ruleset, errors = check_rules(paths)
    if ruleset is None:
        raise RulesInvalid(errors)
    logger.info("loaded %d brand(s) from %d rules file(s)", len(ruleset), len(ruleset.files))
    return ruleset
