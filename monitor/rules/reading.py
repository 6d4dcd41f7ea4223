"""The smaller sections of a brand: review targets, routing, reply templates and examples."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from connectors.registry import TARGET_SOURCES
from monitor.models import LABELS
from monitor.rules import messages as msg
from monitor.rules.brand import Example, ReviewTarget
from monitor.rules.yamlnodes import Doc

LABEL_NAMES = tuple(label.value for label in LABELS)
_CHANNEL = re.compile(r"(#[\w.-]+|[CG][A-Z0-9]{6,})$")
TARGET_KEYS = ("id", "country", "lang", "url")
EXAMPLE_FIELDS = ("title", "source", "author", "followers", "rating", "lang", "subreddit",
                  "retweet", "quote")
EXAMPLE_EXPECT = ("priority", "label", "rule")
_INT_FIELDS = ("followers", "rating")
_BOOL_FIELDS = ("retweet", "quote")


def read_reviews(doc: Doc, node: Node) -> Iterator[ReviewTarget]:
    """`reviews: {appstore: [{id: "1555000101", country: us}], googleplay: [com.x.app], ...}`;
    a plain string is an id (a URL for `rss`)."""
    keys = doc.mapping(node, TARGET_SOURCES) or {}
    for source, (_, value) in keys.items():
        for item in value.value if isinstance(value, SequenceNode) else [value]:
            if isinstance(item, MappingNode):
                fields = doc.mapping(item, TARGET_KEYS) or {}
                target_key = "url" if source == "rss" and "url" in fields else "id"
                if target_key not in fields:
                    doc.error(item, msg.MISSING_KEY.format(key=target_key))
                    continue
                target = doc.string(fields[target_key][1])
                params: dict[str, str] = {k: v for k in ("country", "lang") if k in fields
                          for v in [doc.string(fields[k][1])] if v is not None}
            else:
                target, params = doc.string(item, what=f"a {source} id"), {}
            if target is not None:
                yield ReviewTarget(source, target.strip(), params)


def read_channels(doc: Doc, node: Node) -> dict[str, str]:
    """`channels: {complaint: "#care", praise: "#marketing", default: "#care"}`; `default`
    fills every label not named."""
    keys = doc.mapping(node, (*LABEL_NAMES, "default")) or {}
    out: dict[str, str] = {}
    for label, (_, value) in keys.items():
        channel = doc.string(value, what="a Slack channel")
        if channel is None:
            continue
        if not _CHANNEL.match(channel):
            doc.error(value, msg.BAD_CHANNEL.format(value=channel))
            continue
        out[label] = channel
    default = out.pop("default", None)
    if default is not None:
        for label in LABEL_NAMES:
            out.setdefault(label, default)
    return out


def read_replies(doc: Doc, node: Node) -> dict[str, str]:
    """`replies: {complaint: "...", question.refund: "..."}`: raw templates by label[.topic]."""
    if not isinstance(node, MappingNode):
        doc.error(node, msg.EXPECTED.format(what="a mapping of label to reply template"))
        return {}
    out: dict[str, str] = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        label = key.split(".", 1)[0]
        if label not in LABEL_NAMES:
            doc.error(key_node, msg.BAD_LABEL.format(value=label, choices=", ".join(LABEL_NAMES)))
            continue
        text = doc.string(value, what="a reply template")
        if text is not None:
            out[key] = text
    return out


def _example(doc: Doc, node: Node, *, must_match: bool) -> Example | None:
    line = node.start_mark.line + 1
    if not isinstance(node, MappingNode):
        text = doc.string(node, what="an example text")
        return Example(text, must_match, file=doc.file, line=line) if text else None
    keys = doc.mapping(node, ("text", *EXAMPLE_FIELDS, *EXAMPLE_EXPECT), required=("text",))
    if keys is None or "text" not in keys:
        return None
    text = doc.string(keys["text"][1], what="an example text")
    fields: dict[str, Any] = {}
    expect: dict[str, str] = {}
    for key, (_, value) in keys.items():
        if key in _INT_FIELDS:
            fields[key] = doc.integer(value)
        elif key in _BOOL_FIELDS:
            fields[key] = doc.boolean(value)
        elif key in EXAMPLE_EXPECT:
            got = doc.string(value)
            if got is not None:
                expect[key] = got.lower() if key != "rule" else got
        elif key != "text":
            fields[key] = doc.string(value)
    if text is None:
        return None
    return Example(text, must_match, fields, expect, doc.file, line)


def read_examples(doc: Doc, node: Node) -> Iterator[Example]:
    """`examples: {must_match: [...], must_not_match: [...]}`; an item is a text or a mapping
    with `text` plus mention fields and expectations."""
    keys = doc.mapping(node, ("must_match", "must_not_match")) or {}
    for key, (_, value) in keys.items():
        for item in doc.sequence(value, what="a list of examples"):
            example = _example(doc, item, must_match=key == "must_match")
            if example is not None:
                yield example
