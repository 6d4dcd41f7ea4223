"""The query AST and its lark parser: `parse_query(text)` -> Node or QuerySyntaxError(pos)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from monitor.errors import QuerySyntaxError
from monitor.rules import messages as msg

MAX_QUERY_CHARS = 10_000
MAX_DEPTH = 32
MAX_NEAR = 1000
MIN_WILDCARD_STEM = 2

FIELDS = ("source", "lang", "author", "subreddit", "rating", "followers")
NUMERIC_FIELDS = ("rating", "followers")
KNOWN_SOURCES = ("reddit", "x", "appstore", "googleplay", "trustpilot", "rss", "sample")
_OPERATOR_WORDS = {"and": "AND", "or": "OR", "not": "NOT", "near": "NEAR/n"}
_NEEDS_QUOTES = re.compile(r'^-|[\s()":]')
_CMP = re.compile(r"(<=|>=|<|>|=)?(-?\d{1,12})$")


@dataclass(frozen=True, slots=True)
class Term:
    """A word, a token such as `@parcelly`/`#lumobank`/`parcelly.com`, or a quoted phrase.
    Each word may end with `*` (prefix wildcard)."""

    words: tuple[str, ...]
    case_sensitive: bool = False
    pos: int = 0

    @property
    def text(self) -> str:
        inner = " ".join(self.words)
        bare = len(self.words) == 1 and not _NEEDS_QUOTES.search(inner) and (
            inner.lower() not in _OPERATOR_WORDS and not inner.upper().startswith("NEAR/"))
        shown = inner if bare else f'"{inner}"'
        return f"case:{shown}" if self.case_sensitive else shown


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on a mention attribute: source:/lang:/author:/subreddit: take comma-separated
    values; rating:/followers: take a comparison such as `<=2` or `>10000`."""

    name: str
    values: tuple[str, ...] = ()
    op: str = "="
    number: int = 0
    pos: int = 0

    @property
    def text(self) -> str:
        if self.name in NUMERIC_FIELDS:
            return f"{self.name}:{self.op}{self.number}"
        return f"{self.name}:{','.join(self.values)}"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    """`a NEAR/n b NEAR/m c`: operands[i] and operands[i+1] at most gaps[i] words apart;
    `ordered[i]` (NEAR/nf) requires operands[i] first."""

    operands: tuple[Node, ...]
    gaps: tuple[int, ...]
    ordered: tuple[bool, ...]


Node = Term | Field | And | Or | Not | Near


def span_capable(node: Node) -> bool:
    """Whether a node yields character spans (terms, OR of such, NEAR): NEAR's operands."""
    if isinstance(node, Term | Near):
        return True
    if isinstance(node, Or):
        return all(span_capable(c) for c in node.children)
    return False


def _fail(message: str, pos: int, token: str | None = None) -> QuerySyntaxError:
    return QuerySyntaxError(message, pos=pos, token=token)


def _word_term(raw: str, pos: int, *, case_sensitive: bool = False) -> Term:
    if "*" in raw[:-1]:
        raise _fail(msg.WILDCARD_INSIDE.format(term=raw), pos, raw)
    if raw.endswith("*") and len(raw.rstrip("*")) < MIN_WILDCARD_STEM:
        raise _fail(msg.WILDCARD_SHORT.format(term=raw, n=MIN_WILDCARD_STEM), pos, raw)
    return Term((raw,), case_sensitive, pos)


def _phrase_term(inner: str, pos: int, *, case_sensitive: bool = False) -> Term:
    words = tuple(inner.split())
    if not words:
        raise _fail(msg.EMPTY_PHRASE, pos, '""')
    for w in words:
        _word_term(w, pos)
    return Term(words, case_sensitive, pos)


class _ToAst(Transformer[Token, Node]):
    """Applied on each LALR reduction (no recursion), so deep inputs cannot blow the stack."""

    def word(self, children: list[Token]) -> Node:
        tok = children[0]
        raw, pos = str(tok), tok.start_pos or 0
        if raw in ("AND", "OR", "NOT") or re.fullmatch(r"NEAR/\d+f?", raw):
            raise _fail(msg.UNEXPECTED.format(what=f"'{raw}'"), pos, raw)
        if raw.lower() in _OPERATOR_WORDS or raw.upper().startswith("NEAR/"):
            op = _OPERATOR_WORDS.get(raw.lower(), "NEAR/n")
            raise _fail(msg.OPERATOR_CASE.format(word=raw, op=op), pos, raw)
        if raw.startswith("-") and len(raw) > 1:
            return Not(_word_term(raw[1:], pos + 1))
        if raw == "case:" or (raw.endswith(":") and raw[:-1] in FIELDS):
            raise _fail(msg.FIELD_EMPTY.format(field=raw[:-1]), pos, raw)
        if raw == "-" or (raw.startswith("-") and raw[1:2] in ("-", "*")):
            raise _fail(msg.UNEXPECTED.format(what=f"'{raw}'"), pos, raw)
        if ":" in raw:
            prefix = raw.split(":", 1)[0].lower()
            close = difflib.get_close_matches(prefix, [*FIELDS, "case"], n=1, cutoff=0.7)
            if close and not raw.lower().startswith(("http:", "https:")):
                raise _fail(msg.UNKNOWN_FIELD.format(field=raw.split(":", 1)[0],
                                                      hint=close[0]), pos, raw)
        return _word_term(raw, pos)

    def phrase(self, children: list[Token]) -> Node:
        tok = children[0]
        return _phrase_term(str(tok)[1:-1], tok.start_pos or 0)

    def case_term(self, children: list[Token]) -> Node:
        tok = children[0]
        body, pos = str(tok)[len("case:"):], tok.start_pos or 0
        if body.startswith('"'):
            return _phrase_term(body[1:-1], pos, case_sensitive=True)
        return _word_term(body, pos, case_sensitive=True)

    def field(self, children: list[Token]) -> Node:
        tok = children[0]
        name, _, value = str(tok).partition(":")
        pos = tok.start_pos or 0
        if not value:
            raise _fail(msg.FIELD_EMPTY.format(field=name), pos, str(tok))
        if name in NUMERIC_FIELDS:
            m = _CMP.match(value)
            if not m:
                raise _fail(msg.FIELD_NUMBER.format(field=name, value=value), pos, str(tok))
            return Field(name, op=m.group(1) or "=", number=int(m.group(2)), pos=pos)
        values = tuple(v for v in value.lower().split(",") if v)
        if name == "author":
            values = tuple(v.lstrip("@") for v in values)
        elif name == "subreddit":
            values = tuple(v.removeprefix("/").removeprefix("r/") for v in values)
        elif name == "source":
            for v in values:
                if v not in KNOWN_SOURCES:
                    close = difflib.get_close_matches(v, KNOWN_SOURCES, n=1)
                    hint = msg.DID_YOU_MEAN.format(hint=close[0]) if close else ""
                    raise _fail(msg.UNKNOWN_SOURCE.format(source=v, hint=hint), pos, str(tok))
        return Field(name, values=values, pos=pos)

    def not_expr(self, children: list[Any]) -> Node:
        child = children[-1]
        return child.child if isinstance(child, Not) else Not(child)

    def and_expr(self, children: list[Node]) -> Node:
        flat: list[Node] = []
        for c in children:
            flat.extend(c.children if isinstance(c, And) else (c,))
        return And(tuple(flat))

    def or_expr(self, children: list[Node]) -> Node:
        flat: list[Node] = []
        for c in children:
            flat.extend(c.children if isinstance(c, Or) else (c,))
        return Or(tuple(flat))

    def near_expr(self, children: list[Any]) -> Node:
        operands: list[Node] = [children[0]]
        gaps: list[int] = []
        ordered: list[bool] = []
        for op_tok, operand in zip(children[1::2], children[2::2], strict=True):
            spec = str(op_tok)[len("NEAR/"):]
            gaps.append(int(spec.rstrip("f")))
            ordered.append(spec.endswith("f"))
            operands.append(operand)
            for side in (operands[-2], operand):
                if not span_capable(side):
                    raise _fail(msg.NEAR_OPERAND, op_tok.start_pos or 0, str(op_tok))
        if len(operands) > MAX_NEAR:
            raise _fail(msg.TOO_COMPLEX, 0)
        return Near(tuple(operands), tuple(gaps), tuple(ordered))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", transformer=_ToAst(), maybe_placeholders=False)


def _prescan(text: str) -> None:
    """Balance and depth of quotes and parentheses, with clear positions, before lark runs."""
    if len(text) > MAX_QUERY_CHARS:
        raise _fail(msg.TOO_LONG.format(n=len(text), limit=MAX_QUERY_CHARS), MAX_QUERY_CHARS)
    opened: list[int] = []
    quote: int | None = None
    for i, ch in enumerate(text):
        if ch == '"':
            quote = i if quote is None else None
        elif quote is not None:
            continue
        elif ch == "(":
            opened.append(i)
            if len(opened) > MAX_DEPTH:
                raise _fail(msg.TOO_DEEP.format(limit=MAX_DEPTH), i, "(")
        elif ch == ")":
            if not opened:
                raise _fail(msg.UNMATCHED_CLOSE, i, ")")
            opened.pop()
    if quote is not None:
        raise _fail(msg.UNCLOSED_QUOTE, quote, '"')
    if opened:
        raise _fail(msg.UNCLOSED_PAREN, opened[-1], "(")


def _describe(token: Token) -> str:
    if token.type == "$END":
        return msg.END_OF_QUERY
    return f"'{token}'"


def parse_query(text: str) -> Node:
    """Parse a boolean query; raise QuerySyntaxError with the 0-based offset of the problem."""
    _prescan(text)
    if not text.strip():
        raise _fail(msg.EMPTY_QUERY, 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedEOF as e:
        raise _fail(msg.ENDS_EARLY, len(text.rstrip())) from e
    except UnexpectedToken as e:
        pos = e.token.start_pos if e.token.start_pos is not None else len(text.rstrip())
        if e.token.type == "$END":
            raise _fail(msg.ENDS_EARLY, len(text.rstrip())) from e
        raise _fail(msg.UNEXPECTED.format(what=_describe(e.token)), pos, str(e.token)) from e
    except UnexpectedCharacters as e:
        pos = e.pos_in_stream or 0
        ch = text[pos : pos + 1]
        raise _fail(msg.UNEXPECTED.format(what=f"'{ch}'"), pos, ch) from e
    except UnexpectedInput as e:  # any other lark input error
        raise _fail(msg.UNEXPECTED.format(what="input"), getattr(e, "pos_in_stream", 0) or 0) from e
    except RecursionError as e:
        raise _fail(msg.TOO_COMPLEX, 0) from e
    if not isinstance(tree, Term | Field | And | Or | Not | Near):
        raise _fail(msg.EMPTY_QUERY, 0)
    return tree


def walk(node: Node) -> list[Node]:
    """Every node of a tree, iteratively (parents before children)."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, And | Or):
            stack.extend(reversed(n.children))
        elif isinstance(n, Not):
            stack.append(n.child)
        elif isinstance(n, Near):
            stack.extend(reversed(n.operands))
    return out


def to_text(node: Node) -> str:
    """A canonical, fully parenthesised rendering (for explanations and tests)."""
    if isinstance(node, Term | Field):
        return node.text
    if isinstance(node, Not):
        return f"NOT {to_text(node.child)}"
    if isinstance(node, And | Or):
        sep = " AND " if isinstance(node, And) else " OR "
        return "(" + sep.join(to_text(c) for c in node.children) + ")"
    parts = [to_text(node.operands[0])]
    for gap, ordered, operand in zip(node.gaps, node.ordered, node.operands[1:], strict=True):
        parts.append(f"NEAR/{gap}{'f' if ordered else ''} {to_text(operand)}")
    return "(" + " ".join(parts) + ")"
