"""The exact local matcher: a query AST compiled to regex-backed nodes, and the prefilter index."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from monitor.models import Mention
from monitor.rules.query import And, Field, Near, Node, Not, Or, Term, walk
from monitor.rules.tokenize import WORD_RE, Anchor, WordIndex, anchor_of, compile_term, normalise

MAX_SPANS = 64  # occurrences of one operand considered by NEAR (bounds the pairwise check)

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_PATTERNS: dict[tuple[tuple[str, ...], bool], re.Pattern[str]] = {}

Spans = list[tuple[int, int]]


def _pattern(term: Term) -> re.Pattern[str]:
    """One compiled regex per distinct term, shared by every brand (and every context cache)."""
    key = (term.words, term.case_sensitive)
    rx = _PATTERNS.get(key)
    if rx is None:
        rx = _PATTERNS[key] = compile_term(term.words, case_sensitive=term.case_sensitive)
    return rx


class Context:
    """One mention as the matcher sees it, with term results cached across brands and rules."""

    __slots__ = ("_found", "_spans", "_words", "lower", "mention", "text")

    def __init__(self, mention: Mention) -> None:
        self.mention = mention
        self.text = normalise(mention.full_text)
        self.lower = self.text.lower()
        self._found: dict[re.Pattern[str], bool] = {}
        self._spans: dict[re.Pattern[str], Spans] = {}
        self._words: WordIndex | None = None

    def found(self, rx: re.Pattern[str]) -> bool:
        hit = self._found.get(rx)
        if hit is None:
            hit = self._found[rx] = rx.search(self.text) is not None
        return hit

    def spans(self, rx: re.Pattern[str]) -> Spans:
        got = self._spans.get(rx)
        if got is None:
            got = []
            if self.found(rx):
                for m in rx.finditer(self.text):
                    got.append(m.span())
                    if len(got) >= MAX_SPANS:
                        break
            self._spans[rx] = got
        return got

    @property
    def words(self) -> WordIndex:
        if self._words is None:
            self._words = WordIndex(self.text)
        return self._words


def _field_value(field: Field, mention: Mention) -> Any:
    name = field.name
    if name == "source":
        return mention.source.lower()
    if name == "lang":
        return (mention.lang or "").lower()
    if name == "author":
        return mention.author.handle.lower().lstrip("@")
    if name == "subreddit":
        sub = str(mention.extra.get("subreddit") or "").lower()
        return sub.removeprefix("/").removeprefix("r/")
    if name == "rating":
        return mention.rating
    return mention.author.followers


def field_test(field: Field, mention: Mention) -> bool:
    value = _field_value(field, mention)
    if field.name in ("rating", "followers"):
        return value is not None and _CMP[field.op](value, field.number)
    if field.name == "lang":
        return value in field.values or value.split("-")[0] in field.values
    return value in field.values


def _near_spans(node: Near, ctx: Context) -> Spans:
    current = spans(node.operands[0], ctx)
    for gap, ordered, operand in zip(node.gaps, node.ordered, node.operands[1:], strict=True):
        if not current:
            return []
        nxt = spans(operand, ctx)
        joined: set[tuple[int, int]] = set()
        for a in current:
            for b in nxt:
                if a == b:
                    continue
                if a[0] <= b[0]:
                    ok = ctx.words.gap(a, b) <= gap
                else:
                    ok = not ordered and ctx.words.gap(b, a) <= gap
                if ok:
                    joined.add((min(a[0], b[0]), max(a[1], b[1])))
        current = sorted(joined)[:MAX_SPANS]
    return current


def spans(node: Node, ctx: Context) -> Spans:
    """Character spans where a span-capable node (term, OR of terms, NEAR) occurs."""
    if isinstance(node, Term):
        return ctx.spans(_pattern(node))
    if isinstance(node, Or):
        out: Spans = []
        for child in node.children:
            out.extend(spans(child, ctx))
        return sorted(set(out))[:MAX_SPANS]
    if isinstance(node, Near):
        return _near_spans(node, ctx)
    return []


def evaluate(node: Node, ctx: Context) -> bool:
    """Whether the query is true for this mention."""
    if isinstance(node, Term):
        return ctx.found(_pattern(node))
    if isinstance(node, And):
        return all(evaluate(c, ctx) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate(c, ctx) for c in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, ctx)
    if isinstance(node, Field):
        return field_test(node, ctx.mention)
    return bool(_near_spans(node, ctx))


def precompile(node: Node) -> None:
    """Compile every term's regex now (at load), not on the first mention that needs it."""
    for n in walk(node):
        if isinstance(n, Term):
            _pattern(n)


def positive_terms(node: Node) -> list[Term]:
    """Terms not under a NOT: the ones worth reporting as 'matched' in an explanation."""
    out: list[Term] = []
    stack: list[tuple[Node, bool]] = [(node, True)]
    while stack:
        n, positive = stack.pop()
        if isinstance(n, Term):
            if positive:
                out.append(n)
        elif isinstance(n, And | Or):
            stack.extend((c, positive) for c in reversed(n.children))
        elif isinstance(n, Near):
            stack.extend((c, positive) for c in reversed(n.operands))
        elif isinstance(n, Not):
            stack.append((n.child, not positive))
    return out


def matched_spans(node: Node, ctx: Context) -> list[tuple[Term, int, int]]:
    """Each positive term of the query found in the text, with its character span."""
    found: list[tuple[Term, int, int]] = []
    seen: set[tuple[tuple[str, ...], bool]] = set()
    for term in positive_terms(node):
        key = (term.words, term.case_sensitive)
        if key in seen:
            continue
        seen.add(key)
        found.extend((term, s, e) for s, e in ctx.spans(_pattern(term)))
    return sorted(found, key=lambda t: (t[1], t[2]))


def anchors(node: Node) -> frozenset[Anchor] | None:
    """Anchors one of which must be present for the node to be true; None if no such set."""
    if isinstance(node, Term):
        return frozenset((anchor_of(node.words),))
    if isinstance(node, Or):
        out: set[Anchor] = set()
        for child in node.children:
            got = anchors(child)
            if got is None:
                return None
            out |= got
        return frozenset(out)
    if isinstance(node, And | Near):
        children = node.children if isinstance(node, And) else node.operands
        options = [a for a in (anchors(c) for c in children) if a is not None]
        if not options:
            return None
        return min(options, key=lambda a: (len(a), sum(x.kind != "word" for x in a)))
    return None  # NOT and field filters can be true without any word in the text


class Prefilter:
    """One index over the anchors of all brands: a mention's words select the few brands
    whose queries can possibly match, so most brands are skipped without running a regex."""

    def __init__(self, anchor_sets: Sequence[frozenset[Anchor] | None]) -> None:
        self.size = len(anchor_sets)
        self.always: list[int] = []
        self.words: dict[str, list[int]] = {}
        self.prefixes: dict[str, list[int]] = {}
        # first two characters of a prefix -> the prefix lengths starting with them, so a
        # word is looked up only at the lengths that can possibly match it
        self.prefix_lengths: dict[str, tuple[int, ...]] = {}
        self.substrings: list[tuple[str, int]] = []
        for i, anchor_set in enumerate(anchor_sets):
            if anchor_set is None:
                self.always.append(i)
                continue
            for a in anchor_set:
                if a.kind == "word":
                    self.words.setdefault(a.key, []).append(i)
                elif a.kind == "prefix":
                    self.prefixes.setdefault(a.key, []).append(i)
                    lengths = set(self.prefix_lengths.get(a.key[:2], ())) | {len(a.key)}
                    self.prefix_lengths[a.key[:2]] = tuple(sorted(lengths))
                else:
                    self.substrings.append((a.key, i))

    def candidates(self, lower_text: str) -> list[int]:
        """Indices of the brands that may match, in load order."""
        hits: set[int] = set(self.always)
        tokens = set(WORD_RE.findall(lower_text))
        words = self.words
        for tok in words.keys() & tokens:
            hits.update(words[tok])
        if self.prefixes:
            prefixes, lengths_of = self.prefixes, self.prefix_lengths
            for tok in tokens:
                lengths = lengths_of.get(tok[:2])
                if lengths is None:
                    continue
                for length in lengths:
                    got = prefixes.get(tok[:length]) if len(tok) >= length else None
                    if got is not None:
                        hits.update(got)
        for key, i in self.substrings:
            if key in lower_text:
                hits.add(i)
        return sorted(hits)

