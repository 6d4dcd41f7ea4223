"""Follow-up fixtures: platform kits, the store on SQLite and PostgreSQL, answered cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.replies.watch import Answer
from monitor.models import Classification, Label
from monitor.replies import flow
from monitor.store import Store
from tests import factories as f
from tests.connectors.replies.conftest import kit
from tests.store.conftest import store

__all__ = ["kit", "store"]

SAM = "U0SAM0001"


def answered_case(store: Store, *, source: str = "x", replied_at: datetime | None = None,
                  platform_id: str = "1870000000000000001", **kw: Any) -> int:
    """A complaint stored as the pipeline does, answered publicly by Sam (the platform took
    it): what the follow-up watch looks at."""
    mention = kw.pop("mention", None) or f.mention(source=source, created_at=datetime.now(UTC)
                                                   - timedelta(hours=2), **kw)
    (case_id,) = store.save_batch(source, [f.item(mention)], None)
    assert flow.request(store, case_id, actor=SAM, text="Sorry! Fixed now.", source=source,
                        approval_group=None).changed
    at = replied_at or datetime.now(UTC) - timedelta(hours=1)
    assert flow.record_replied(store, case_id, attempt=1, platform_id=platform_id,
                               url=f"https://x.com/parcelly/status/{platform_id}",
                               published_at=at, reconciled=False, at=at).changed
    return case_id


def answer(case_id: int, text: str = "still not working", *, source: str = "x",
           external_id: str = "1870000000000000099", **kw: Any) -> Answer:
    return Answer(ref=str(case_id), source=source, external_id=external_id, text=text,
                  posted_at=kw.pop("posted_at", datetime.now(UTC) - timedelta(minutes=5)),
                  author_handle=kw.pop("author_handle", "pat_q"), **kw)


def classified(label: Label, confidence: float = 0.9) -> Classification:
    return Classification(label=label, confidence=confidence, reasons=("test",),
                          model="test-model")
