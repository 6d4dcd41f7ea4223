"""The knowledge base: per-brand folders of YAML or Markdown entries (questions, answer, link)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor import safeyaml
from monitor.errors import RuleError, YamlError

logger = logging.getLogger(__name__)

KEYS = frozenset({"id", "questions", "answer", "short", "link", "topic", "applies_to"})
APPLIES = frozenset({"question", "complaint"})
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Entry:
    """One answer of a brand's knowledge base. `topic` picks a `<label>.<topic>` reply template
    (default: the id); `applies_to` says for which labels the entry may be claimed."""

    id: str
    brand: str
    questions: tuple[str, ...]
    answer: str
    link: str | None = None
    short: str | None = None  # for tight platforms (X, Google Play)
    topic: str = ""
    applies_to: frozenset[str] = frozenset({"question"})
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    brand: str
    entries: tuple[Entry, ...] = ()
    errors: tuple[RuleError, ...] = field(default=())
    names: tuple[str, ...] = ()  # the brand's display names, left out of retrieval like its id

    def __len__(self) -> int:
        return len(self.entries)


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the line of every mapping, for `file:line` errors."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def _read_file(path: Path) -> list[dict[str, Any]]:
    """Raw entry mappings of one file: a YAML list (or `entries:` list), or one Markdown entry
    whose front matter holds the keys and whose body is the answer."""
    text = safeyaml.read_text(path)
    if path.suffix.lower() == ".md":
        m = _FRONT_MATTER.match(text)
        if m is None:
            raise RuleError("a Markdown entry starts with front matter between --- lines",
                            file=str(path), line=1)
        try:
            meta = safeyaml.load(m.group(1), loader=_LineLoader) or {}
        except YamlError as e:  # the front matter starts on line 2 of the file
            raise YamlError(e.problem, line=e.line + 1 if e.line else None, col=e.col,
                            syntax=e.syntax) from None
        if not isinstance(meta, dict):
            raise RuleError("the front matter must be a mapping of keys", file=str(path), line=2)
        meta["__line__"] = 2
        body = text[m.end():].strip()
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]
        if paragraphs and "answer" not in meta:
            meta["answer"] = "\n\n".join(paragraphs)
        return [meta]
    data = safeyaml.load(text, loader=_LineLoader)
    if isinstance(data, dict) and "entries" in data:
        data = data["entries"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleError("expected a list of entries (or `entries:` with a list)",
                        file=str(path), line=1)
    return data


def _text(raw: Mapping[str, Any], key: str, err: Any, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            err(f"missing `{key}`")
        return None
    if not isinstance(value, str) or not value.strip():
        err(f"`{key}` must be non-empty text")
        return None
    return " ".join(value.split()) if key != "answer" else value.strip()


def parse_entry(raw: Any, *, brand: str, file: str) -> Entry:
    """Validate one raw mapping; raises RuleError naming the file and line."""
    line = raw.get("__line__", 0) if isinstance(raw, dict) else 0

    def err(message: str) -> None:
        raise RuleError(message, file=file, line=line or None)

    if not isinstance(raw, dict):
        err("an entry must be a mapping with id, questions, answer and link")
    unknown = sorted(set(raw) - KEYS - {"__line__"})
    if unknown:
        err(f"unknown key `{unknown[0]}` (known: {', '.join(sorted(KEYS))})")
    entry_id = str(raw.get("id") or "")
    if not _SLUG.match(entry_id):
        err("`id` must be lower-case letters, digits, '-', '_' or '.'")
    questions = raw.get("questions")
    if isinstance(questions, str):
        questions = [questions]
    if not isinstance(questions, list) or not questions or \
            not all(isinstance(q, str) and q.strip() for q in questions):
        err("`questions` must be a non-empty list of question variants")
    answer = _text(raw, "answer", err, required=True)
    link = _text(raw, "link", err, required=False)
    if link is not None and not link.startswith(("https://", "http://")):
        err("`link` must be an http(s) URL")
    topic = _text(raw, "topic", err, required=False) or entry_id
    if not _SLUG.match(topic):
        err("`topic` must be lower-case letters, digits, '-', '_' or '.'")
    applies = raw.get("applies_to", ["question"])
    applies = [applies] if isinstance(applies, str) else applies
    if not isinstance(applies, list) or not applies or not set(applies) <= APPLIES:
        err("`applies_to` must list question and/or complaint")
    return Entry(
        id=entry_id, brand=brand, questions=tuple(" ".join(q.split()) for q in questions),
        answer=answer or "", link=link, short=_text(raw, "short", err, required=False),
        topic=topic, applies_to=frozenset(applies), file=file, line=line,
    )


def load_brand(folder: Path, *, brand: str | None = None) -> KnowledgeBase:
    """Every valid entry of one brand folder; invalid ones are reported in `errors` and left
    out, so one typo does not take the brand's other answers away."""
    brand = brand or folder.name
    entries: list[Entry] = []
    errors: list[RuleError] = []
    seen: dict[str, Entry] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".md")
                   and not p.name.startswith((".", "_")) and p.stem.upper() != "README"
                   ) if folder.is_dir() else []
    for path in files:
        try:
            raws = _read_file(path)
        except RuleError as e:
            errors.append(e)
            continue
        except OSError as e:
            errors.append(RuleError(f"cannot read: {e.strerror or e}", file=str(path)))
            continue
        except YamlError as e:  # syntax, not UTF-8, too deep, an alias bomb
            errors.append(RuleError(f"cannot read: {e.problem}", file=str(path), line=e.line))
            continue
        for raw in raws:
            try:
                entry = parse_entry(raw, brand=brand, file=str(path))
            except RuleError as e:
                errors.append(e)
                continue
            if entry.id in seen:
                first = seen[entry.id]
                errors.append(RuleError(f"duplicate id `{entry.id}` (first at {first.file}:"
                                        f"{first.line})", file=str(path), line=entry.line))
                continue
            seen[entry.id] = entry
            entries.append(entry)
    return KnowledgeBase(brand=brand, entries=tuple(entries), errors=tuple(errors))


def load_knowledge(root: Path) -> dict[str, KnowledgeBase]:
    """brand id -> its knowledge base, one sub-folder of `root` per brand."""
    if not root.is_dir():
        return {}
    return {d.name: load_brand(d) for d in sorted(root.iterdir())
            if d.is_dir() and not d.name.startswith((".", "_"))}


def check_knowledge(root: Path) -> list[RuleError]:
    """Every problem in the knowledge folder, for `rules check`-style reporting."""
    return [e for kb in load_knowledge(root).values() for e in kb.errors]


def signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when an admin edits the folder: (path, mtime, size) of every file."""
    if not root.is_dir():
        return ()
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".md"):
            st = p.stat()
            out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)
