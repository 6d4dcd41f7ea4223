"""Push-down: each brand's query compiled to X / Reddit search syntax (coarse, for recall),
and its review targets to SourceQuery records for the review sources."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from connectors.registry import TARGET_SOURCES
from monitor.models import SourceQuery
from monitor.rules.brand import Brand
from monitor.rules.query import And, Field, Near, Node, Not, Or, Term

logger = logging.getLogger(__name__)

#: Longest query each search API accepts. X v2 recent search: 512 characters (basic access);
#: Reddit search: 512 characters.
QUERY_LIMITS = {"x": 512, "reddit": 512}
_PLAIN_WORD = re.compile(r"[#@]?\w+")
_DOMAIN = re.compile(r"(?:[\w-]+\.)+[a-z]{2,}", re.IGNORECASE)


def required_terms(node: Node) -> list[Term] | None:
    """Terms one of which every matching text contains (None if there is no such list):
    OR needs all branches' terms, AND/NEAR the smallest list of one operand."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Or):
        out: list[Term] = []
        for child in node.children:
            got = required_terms(child)
            if got is None:
                return None
            out.extend(got)
        return out
    if isinstance(node, And | Near):
        children = node.children if isinstance(node, And) else node.operands
        options = [t for t in (required_terms(c) for c in children) if t is not None]
        return min(options, key=len) if options else None
    return None


def _top_fields(node: Node, name: str) -> tuple[str, ...] | None:
    """Values of a `name:` filter every match must satisfy (a top-level AND operand)."""
    parts = node.children if isinstance(node, And) else (node,)
    for part in parts:
        if isinstance(part, Field) and part.name == name:
            return part.values
    return None


def _x_term(term: Term) -> str:
    words = [w.rstrip("*") for w in term.words]
    if len(words) > 1:
        return '"' + " ".join(words) + '"'
    word = words[0]
    if _DOMAIN.fullmatch(word):
        return f"url:{word.lower()}"
    return word if _PLAIN_WORD.fullmatch(word) else f'"{word}"'


def _reddit_term(term: Term) -> str:
    words = [w.rstrip("*").lstrip("@#") for w in term.words]
    if len(words) > 1:
        return '"' + " ".join(words) + '"'
    return words[0] if _PLAIN_WORD.fullmatch(words[0]) else f'"{words[0]}"'


def _fallback_terms(brand: Brand) -> list[Term]:
    terms = [Term(tuple(n.split())) for n in brand.names]
    terms += [Term((f"@{h}",)) for h in brand.handles]
    terms += [Term((d,)) for d in brand.domains]
    return terms


def _pack(terms: Sequence[str], suffix: str, limit: int) -> list[str]:
    """OR-join terms into as few queries as fit in `limit` characters each."""
    out: list[str] = []
    chunk: list[str] = []
    for term in terms:
        trial = "(" + " OR ".join([*chunk, term]) + ")" + suffix
        if len(trial) <= limit:
            chunk.append(term)
            continue
        if chunk:
            out.append("(" + " OR ".join(chunk) + ")" + suffix)
        chunk = [term]
        if len("(" + term + ")" + suffix) > limit:
            logger.warning("search term %.40s… is longer than the query limit; skipped", term)
            chunk = []
    if chunk:
        out.append("(" + " OR ".join(chunk) + ")" + suffix)
    return out


def render(node: Node, term: Callable[[Term], str]) -> str | None:
    """The node in search syntax, relaxed for recall: NEAR becomes AND, conjuncts the search
    cannot express (NOT, field filters) are left out; None if the node cannot be relaxed
    safely (an OR with such a branch, a lone NOT)."""
    if isinstance(node, Term):
        return term(node)
    if isinstance(node, Or):
        parts = [render(c, term) for c in node.children]
        if any(p is None for p in parts):
            return None
        unique = list(dict.fromkeys(p for p in parts if p is not None))
        return unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")"
    if isinstance(node, And | Near):
        children = node.children if isinstance(node, And) else node.operands
        kept = [p for p in (render(c, term) for c in children) if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else "(" + " ".join(kept) + ")"
    return None


def _disjuncts(node: Node) -> list[Node]:
    """Top-level alternatives, each searchable on its own (so long queries can be split)."""
    if isinstance(node, Or):
        return [d for c in node.children for d in _disjuncts(c)]
    if isinstance(node, And):
        searchable = [c for c in node.children if not isinstance(c, Field | Not)]
        if len(searchable) == 1:
            return _disjuncts(searchable[0])
    return [node]


def _keyword_terms(brand: Brand, source: str, term: Callable[[Term], str], limit: int
                   ) -> list[str]:
    parts: list[str] = []
    for query in brand.queries:
        allowed = _top_fields(query.node, "source")
        if allowed is not None and source not in allowed:
            continue
        for alternative in _disjuncts(query.node):
            text = render(alternative, term)
            if text is not None and len(text) <= limit // 2:
                parts.append(text)
                continue
            got = required_terms(alternative)
            parts.extend(term(t) for t in (got if got is not None else _fallback_terms(brand)))
    unique: dict[str, str] = {}  # both searches ignore case: keep the first spelling
    for text in parts:
        unique.setdefault(text.lower(), text)
    return list(unique.values())


def _x_suffix(brand: Brand, limit: int) -> str:
    parts: list[str] = []
    if brand.exclude.retweets:
        parts.append("-is:retweet")
    if brand.exclude.quotes:
        parts.append("-is:quote")
    langs = {v for q in brand.queries for v in (_top_fields(q.node, "lang") or ())}
    if len(langs) == 1:
        parts.append(f"lang:{langs.pop()}")
    elif langs:
        parts.append("(" + " OR ".join(f"lang:{v}" for v in sorted(langs)) + ")")
    authors = sorted(brand.own_handles if brand.exclude.own_accounts else set())
    authors += sorted(brand.exclude.authors - set(authors))
    for handle in authors:  # exclusions are re-applied locally, so dropping some is safe
        if len(" ".join([*parts, f"-from:{handle}"])) + 1 > limit // 2:
            break
        parts.append(f"-from:{handle}")
    return "".join(" " + p for p in parts)


def _reddit_suffix(brand: Brand) -> str:
    subs = {v for q in brand.queries for v in (_top_fields(q.node, "subreddit") or ())}
    if not subs or len(brand.queries) > 1:
        return ""
    if len(subs) == 1:
        return f" subreddit:{subs.pop()}"
    return " (" + " OR ".join(f"subreddit:{s}" for s in sorted(subs)) + ")"


def source_queries(brands: Sequence[Brand], source: str) -> list[SourceQuery]:
    """What `source` is asked for, brand by brand, in load order."""
    out: list[SourceQuery] = []
    for brand in brands:
        if brand.sources is not None and source not in brand.sources:
            continue
        if source in TARGET_SOURCES:
            out.extend(
                SourceQuery(brand.id, t.target, dict(t.params))
                for t in brand.reviews if t.source == source
            )
        elif source == "x":
            limit = QUERY_LIMITS["x"]
            suffix = _x_suffix(brand, limit)
            for q in _pack(_keyword_terms(brand, "x", _x_term, limit), suffix, limit):
                out.append(SourceQuery(brand.id, q))
        elif source == "reddit":
            suffix = _reddit_suffix(brand)
            limit = QUERY_LIMITS["reddit"]
            terms = _keyword_terms(brand, "reddit", _reddit_term, limit)
            for q in _pack(terms, suffix, limit):
                out.append(SourceQuery(brand.id, q))
    return out
