"""Safe YAML for every file we read: UTF-8, size, nesting depth and alias expansion limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from monitor.errors import YamlError

MAX_BYTES = 5_000_000
MAX_DEPTH = 50  # real files nest less than 10 levels; the composer recurses per level
MAX_NODES = 1_000_000  # values after alias expansion ("billion laughs" stops here)


def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of a YAML file. OSError as raised by the file system; YamlError when the file
    is larger than `max_bytes` or not UTF-8 (a byte-order mark is allowed)."""
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlError(f"the file is larger than {max_bytes:,} bytes")
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 bytes to text; YamlError naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise YamlError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); "
                        "save the file as UTF-8", line=line) from None


def compose(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES,
            max_bytes: int = MAX_BYTES) -> Node | None:
    """The node tree of one YAML document (None when it is empty), within the limits;
    YamlError (with the line) for invalid or unsafe YAML, never RecursionError or a hang."""
    if len(text) > max_bytes:
        raise YamlError(f"the text is larger than {max_bytes:,} bytes")
    loader: _Composer | None = None
    try:
        loader = _Composer(text, max_depth)  # the reader checks every character here
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        raise _syntax(e) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise YamlError(f"character #x{e.character:04x} is not allowed in YAML",
                        line=line, syntax=True) from None
    except yaml.YAMLError as e:
        raise YamlError(_one_line(str(e)), syntax=True) from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is not None:
        _measure(root, max_depth=max_depth, max_nodes=max_nodes)
    return root


def load(text: str, *, loader: type[yaml.SafeLoader] = yaml.SafeLoader, **limits: int) -> Any:
    """The Python value of one YAML document (None when empty), built by `loader` (a
    SafeLoader subclass) from a tree `compose` checked; same errors as `compose`."""
    root = compose(text, **limits)
    if root is None:
        return None
    constructor = loader("")
    try:
        return constructor.construct_document(root)
    except yaml.MarkedYAMLError as e:
        raise _syntax(e) from None
    finally:
        constructor.dispose()


class _Composer(yaml.SafeLoader):
    """PyYAML's composer recurses once per nesting level: refuse to go deeper than the limit
    (and so never reach Python's recursion limit)."""

    def __init__(self, stream: str, max_depth: int) -> None:
        super().__init__(stream)
        self._depth = 0
        self._max_depth = max_depth

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self._depth >= self._max_depth:
            mark = self.peek_event().start_mark
            raise YamlError(f"YAML nested more than {self._max_depth} levels deep",
                            line=mark.line + 1, col=mark.column + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: Node, *, max_depth: int, max_nodes: int) -> None:
    """Depth and size as the document expands through its aliases (an alias repeats the
    anchored node), without recursion; a recursive alias is refused too."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (size, depth), expansion included
    open_: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = [done[id(k)] for k in _children(node)]
            size = 1 + sum(s for s, _ in kids)
            depth = 1 + max((d for _, d in kids), default=0)
            open_.discard(key)
            done[key] = (size, depth)
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            if depth > max_depth:
                raise YamlError(f"YAML nested more than {max_depth} levels deep once its aliases "
                                "are expanded", line=line, col=col)
            if size > max_nodes:
                raise YamlError(f"YAML expands to more than {max_nodes:,} values through its "
                                "aliases", line=line, col=col)
            continue
        if key in done:
            continue
        if key in open_:  # reached again from inside itself: an alias to an enclosing node
            raise YamlError("YAML alias refers to a node that contains it (recursive alias)",
                            line=node.start_mark.line + 1, col=node.start_mark.column + 1)
        open_.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in done)


def _syntax(e: yaml.MarkedYAMLError) -> YamlError:
    mark = e.problem_mark or e.context_mark
    problem = e.problem or e.context or "invalid YAML"
    if e.context and problem.startswith("but "):  # "expected a single document …, but found …"
        problem = f"{e.context}, {problem}"
    return YamlError(_one_line(problem), line=mark.line + 1 if mark else None,
                     col=mark.column + 1 if mark else None, syntax=True)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
