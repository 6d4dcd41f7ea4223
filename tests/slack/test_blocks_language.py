"""The Slack message says which language a mention is in, and when the model did not read it."""

from __future__ import annotations

import dataclasses
from typing import Any

from monitor.language.policy import ReadingPolicy
from monitor.language.tagging import DETECTED
from monitor.models import TriageItem
from monitor.slack.blocks import render_case
from monitor.store import Store
from tests import factories as f


def context(store: Store, item: TriageItem) -> list[str]:
    (case_id,) = store.save_batch(item.mention.source, [item], None)
    case, stored = store.get_case(case_id)  # type: ignore[misc]
    _, blocks = render_case(case, stored)
    block: dict[str, Any] = next(b for b in blocks if b["type"] == "context")
    return [e["text"] for e in block["elements"]]


def test_render_case__detected_language_is_shown(store: Store) -> None:
    m = f.mention("ルモのアプリが落ちる", source="appstore", lang="ja", rating=1, kind="review",
                  extra={DETECTED: 0.99})
    item = f.item(m)
    item = dataclasses.replace(item, classification=ReadingPolicy().apply(
        m, item.classification))
    texts = context(store, item)
    assert "🌐 Japanese (detected)" in texts
    assert texts[0] == "Complaint"  # the rating's label: no model confidence to show
    assert "Japanese: not read by the model; label from the 1★ rating" in texts[1]


def test_render_case__platform_tag_is_named(store: Store) -> None:
    texts = context(store, f.item(f.mention("lumo kaputt", source="x", lang="de")))
    assert "🌐 German (tagged by X)" in texts and texts[0] == "Complaint 90%"


def test_render_case__english_or_unknown_language_adds_no_line(store: Store) -> None:
    for lang in ("en", None):
        texts = context(store, f.item(f.mention("parcel late", lang=lang)))
        assert not any("🌐" in t for t in texts)


def test_render_case__odd_platform_language_code_is_escaped(store: Store) -> None:
    texts = context(store, f.item(f.mention("hi", source="x", lang="<!here>")))
    assert "<!here>" not in "".join(texts) and "🌐 &lt;!here&gt; (tagged by X)" in texts
