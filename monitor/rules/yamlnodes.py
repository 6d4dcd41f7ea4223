"""Reading PyYAML node trees: typed accessors that record RuleErrors at file:line:col."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.errors import RuleError
from monitor.rules import messages as msg

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def suggest(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return msg.DID_YOU_MEAN.format(hint=close[0]) if close else ""


class Doc:
    """One rules file being read: its lines (to place errors inside scalars) and its errors."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines = text.splitlines()
        self.errors: list[RuleError] = []

    def error(self, node: Node, message: str, *, offset: int | None = None) -> None:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if offset is not None and isinstance(node, ScalarNode):
            line, col = self.locate(node, offset)
        self.errors.append(RuleError(message, file=self.file, line=line, col=col))

    def locate(self, node: ScalarNode, offset: int) -> tuple[int, int]:
        """1-based line:col in the file of character `offset` of a scalar's value."""
        start, end = node.start_mark, node.end_mark
        if node.style in ("|", ">"):
            first, skip = start.line + 1, None
            rows = list(range(first, min(end.line + 1, len(self.lines))))
        else:
            first, skip = start.line, start.column + (1 if node.style in ("'", '"') else 0)
            rows = list(range(first, min(end.line + 1, len(self.lines))))
        indent = None
        consumed = 0
        for row in rows:
            raw = self.lines[row]
            if skip is not None and row == first:
                lead = skip
            else:
                if indent is None or node.style not in ("|", ">"):
                    indent = len(raw) - len(raw.lstrip()) if raw.strip() else indent
                    if indent is not None and node.style in ("|", ">"):
                        # an explicit indentation indicator (|2) keeps extra spaces in the value
                        value = str(node.value).lstrip("\n")
                        indent -= len(value) - len(value.lstrip(" "))
                lead = indent or 0
            content = raw[lead:] if raw.strip() else ""
            if offset <= consumed + len(content):
                return row + 1, lead + (offset - consumed) + 1
            consumed += len(content) + 1
        return start.line + 1, start.column + 1

    # --- typed accessors: return None (after recording an error) when the node is wrong ---
    def mapping(
        self, node: Node, known: Collection[str], *, required: Collection[str] = (),
    ) -> dict[str, tuple[ScalarNode, Node]] | None:
        """Keys -> (key node, value node); unknown keys are reported with a suggestion."""
        if not isinstance(node, MappingNode):
            self.error(node, msg.EXPECTED.format(what="a mapping of keys"))
            return None
        out: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, msg.EXPECTED.format(what="a plain key"))
                continue
            key = str(key_node.value)
            if key in out:
                self.error(key_node, msg.DUPLICATE_KEY.format(key=key))
            elif key not in known:
                self.error(key_node, msg.UNKNOWN_KEY.format(key=key) + suggest(key, known))
            else:
                out[key] = (key_node, value_node)
        for key in required:
            if key not in out:
                self.error(node, msg.MISSING_KEY.format(key=key))
        return out

    def string(self, node: Node, *, what: str = "a text") -> str | None:
        if isinstance(node, ScalarNode) and node.tag.endswith((":str", ":int", ":float")):
            value = str(node.value)
            if value.strip():
                return value
        self.error(node, msg.EXPECTED.format(what=what))
        return None

    def strings(self, node: Node, *, what: str = "a list of texts") -> Iterator[tuple[str, Node]]:
        """A list of strings (a single string counts as a list of one)."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, MappingNode):
            self.error(node, msg.EXPECTED.format(what=what))
            return
        for item in items:
            value = self.string(item, what=what)
            if value is not None:
                yield value, item

    def sequence(self, node: Node, *, what: str) -> list[Node]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        self.error(node, msg.EXPECTED.format(what=what))
        return []

    def boolean(self, node: Node) -> bool | None:
        if isinstance(node, ScalarNode):
            value = str(node.value).lower()
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
        self.error(node, msg.EXPECTED.format(what="true or false"))
        return None

    def integer(self, node: Node) -> int | None:
        if isinstance(node, ScalarNode):
            try:
                return int(str(node.value).replace("_", ""))
            except ValueError:
                pass
        self.error(node, msg.EXPECTED.format(what="a whole number"))
        return None

    def choice(self, node: Node, choices: Collection[str], template: str) -> str | None:
        value = self.string(node)
        if value is None:
            return None
        if value.lower() not in choices:
            message = template.format(value=value, choices=", ".join(choices))
            self.error(node, message + suggest(value.lower(), choices))
            return None
        return value.lower()
