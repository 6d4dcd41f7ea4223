"""Slack corrections as training data: the latest label per case, never one that was undone."""

from __future__ import annotations

from collections import namedtuple

from monitor.classify.feedback import Correction, corrections, latest_corrections
from monitor.models import Label


def fix(case: str, old: str | None, new: str, text: str = "", rating: int | None = None
        ) -> Correction:
    return Correction(case=case, text=text or f"text of {case}", new_label=new, old_label=old,
                      rating=rating)


def test_latest_corrections__label_changed_twice_is_trained_once_with_the_last() -> None:
    got = latest_corrections([fix("1", "other", "question"), fix("2", "praise", "complaint"),
                              fix("1", "question", "complaint")])
    assert [(e.text, e.label) for e in got] == [("text of 1", Label.COMPLAINT),
                                                ("text of 2", Label.COMPLAINT)]
    assert all(e.source == "feedback" for e in got)


def test_latest_corrections__a_correction_changed_back_is_left_out() -> None:
    got = latest_corrections([fix("1", "praise", "complaint"), fix("2", "other", "praise"),
                              fix("1", "complaint", "praise")])
    assert [e.text for e in got] == ["text of 2"]


def test_latest_corrections__undone_then_changed_again_counts() -> None:
    got = latest_corrections([fix("1", "praise", "complaint"), fix("1", "complaint", "praise"),
                              fix("1", "praise", "question", rating=3)])
    assert [(e.label, e.rating) for e in got] == [(Label.QUESTION, 3)]


def test_latest_corrections__unknown_label_is_skipped() -> None:
    assert latest_corrections([fix("1", "praise", "spam")]) == []


def test_corrections__store_records_key_by_mention_and_keep_the_old_label() -> None:
    Row = namedtuple("Row", "mention_id text rating old_label new_label")
    rows = [Row(7, "same words", None, "praise", "complaint"),
            Row(8, "same words", 1, "other", "complaint"),
            Row(7, "same words", None, "complaint", "praise")]
    got = latest_corrections(corrections(rows))
    assert [(e.label, e.rating) for e in got] == [(Label.COMPLAINT, 1)]  # 7 was undone


def test_corrections__plain_tuples_key_by_text_and_keep_the_last_label() -> None:
    rows = [("app logs me out", "question", 2), ("is dark mode coming?", "question", None),
            ("app logs me out", "complaint", 2)]
    got = latest_corrections(corrections(rows))
    assert [(e.text, e.label) for e in got] == [("app logs me out", Label.COMPLAINT),
                                                ("is dark mode coming?", Label.QUESTION)]
