"""SampleConnector: rounds and cursor, the packaged samples, bad files and malformed items."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.registry import load
from connectors.sample import SampleConnector, load_samples
from monitor.errors import ConfigError, SourceError
from monitor.models import Batch, SourceQuery
from tests.connectors import fakes_sample

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REVIEW_SOURCES = {"appstore", "googleplay", "trustpilot"}


def item(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "x", "id": "2125000000000000001", "round": 1, "minutes_ago": 30,
        "author": {"handle": "someone", "name": "Some One", "followers": 12},
        "text": "@parcelly where is my parcel", "lang": "en", "kind": "post",
    }
    base.update(over)
    return base


def write(tmp_path: Path, items: list[dict[str, Any]] | str) -> Path:
    path = tmp_path / "samples.yaml"
    text = items if isinstance(items, str) else yaml.safe_dump({"items": items}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def connector(tmp_path: Path, items: list[dict[str, Any]], *,
              rounds: int | None = None) -> SampleConnector:
    return SampleConnector(load_samples(write(tmp_path, items)), rounds=rounds, clock=lambda: NOW)


def three_rounds() -> list[dict[str, Any]]:
    return [
        item(id="1001", round=1), item(id="1002", round=1, minutes_ago=90),
        item(id="2001", round=2), item(id="3001", round=3), item(id="3002", round=3),
    ]


def ids(batch: Batch) -> list[str]:
    return [m.external_id for m in batch.mentions]


def test_sample__polls_deliver_one_round_each_with_round_as_cursor(tmp_path: Path) -> None:
    conn = connector(tmp_path, three_rounds())
    first = conn.poll([], None)
    assert ids(first) == ["1002", "1001"]  # oldest first
    assert first.next_cursor == "1"
    second = conn.poll([], first.next_cursor)
    assert (ids(second), second.next_cursor) == (["2001"], "2")
    third = conn.poll([], second.next_cursor)
    assert (sorted(ids(third)), third.next_cursor) == (["3001", "3002"], "3")


def test_sample__after_last_round_returns_empty_batch_with_same_cursor(tmp_path: Path) -> None:
    conn = connector(tmp_path, three_rounds())
    for _ in range(2):
        batch = conn.poll([], "3")
        assert batch.mentions == () and batch.next_cursor == "3" and not batch.dropped


def test_sample__same_cursor_gives_same_round_again(tmp_path: Path) -> None:
    # The cursor, not the connector, holds the progress: a daemon that crashed before saving
    # cursor "2" polls with "1" again and gets round 2 again (then dedupe drops it).
    conn = connector(tmp_path, three_rounds())
    assert ids(conn.poll([], "1")) == ids(conn.poll([], "1")) == ["2001"]


def test_sample__rounds_option_caps_the_rounds(tmp_path: Path) -> None:
    conn = connector(tmp_path, three_rounds(), rounds=2)
    assert conn.poll([], "1").next_cursor == "2"
    assert conn.poll([], "2") == Batch(mentions=(), next_cursor="2")


def test_sample__round_without_items_still_advances(tmp_path: Path) -> None:
    conn = connector(tmp_path, [item(id="1", round=1), item(id="3", round=3)])
    gap = conn.poll([], "1")
    assert (gap.mentions, gap.next_cursor) == ((), "2")
    assert ids(conn.poll([], gap.next_cursor)) == ["3"]


def test_sample__queries_are_ignored(tmp_path: Path) -> None:
    conn = connector(tmp_path, three_rounds())
    query = [SourceQuery(brand="nobody", query="no match at all")]
    assert ids(conn.poll(query, None)) == ids(conn.poll([], None))
    assert SampleConnector.keyword_source is False and SampleConnector.name == "sample"


def test_sample__unreadable_cursor_is_a_source_error(tmp_path: Path) -> None:
    conn = connector(tmp_path, three_rounds())
    with pytest.raises(SourceError, match="cursor"):
        conn.poll([], "2026-11-22T10:00:00Z")


def test_sample__created_at_is_aware_utc_poll_time_minus_minutes_ago(tmp_path: Path) -> None:
    conn = connector(tmp_path, [item(minutes_ago=90.5)])
    (mention,) = conn.poll([], None).mentions
    assert mention.created_at.tzinfo is not None
    assert mention.created_at.utcoffset() == timedelta(0)
    assert mention.created_at == NOW - timedelta(minutes=90.5)


def test_sample__from_settings_reads_path_and_rounds(tmp_path: Path) -> None:
    path = write(tmp_path, three_rounds())
    conn = SampleConnector.from_settings({"path": str(path), "rounds": "2", "enabled": True})
    assert conn.last_round == 2 and len(conn.items) == 5


def test_sample__default_clock_is_aware() -> None:
    batch = SampleConnector.from_settings({}).poll([], None)
    assert batch.mentions
    assert all(m.created_at.tzinfo is not None for m in batch.mentions)
    assert all(m.created_at <= datetime.now(UTC) for m in batch.mentions)


def test_sample__item_fields_become_mention_fields(tmp_path: Path) -> None:
    conn = connector(tmp_path, [
        item(source="reddit", id="t1_m9abc12", kind="comment", subreddit="CasualUK",
             parent_id="t3_1habc12", text="lumo app ate my transfer", expect="complaint",
             note="for people", author={"handle": "u1", "followers": 5000, "verified": True},
             url="https://www.reddit.com/r/CasualUK/comments/1habc12/comment/m9abc12/"),
        item(source="appstore", id=11870000001, brand="lumo", kind="review", rating=2,
             title="Crashy", version="4.2.0", author={"handle": "nick"}),
        item(id="2125000000000000009", is_retweet=True, text="RT @parcelly: news"),
    ])
    by_id = {m.external_id: m for m in conn.poll([], None).mentions}
    comment = by_id["t1_m9abc12"]
    assert comment.source == "reddit" and comment.kind == "comment"
    assert comment.parent_id == "t3_1habc12" and comment.brand is None
    assert comment.author.followers == 5000 and comment.author.verified
    assert comment.author.url == "https://www.reddit.com/user/u1"
    assert comment.extra == {"subreddit": "CasualUK", "expect": "complaint"}  # no note
    assert (comment.url or "").endswith("/comment/m9abc12/")
    review = by_id["11870000001"]  # an unquoted numeric id is still a string id
    assert (review.source, review.brand, review.rating, review.title) == (
        "appstore", "lumo", 2, "Crashy")
    assert review.extra == {"version": "4.2.0"} and review.author.url is None
    assert by_id["2125000000000000009"].is_retweet
    assert by_id["2125000000000000009"].author.url == "https://x.com/someone"


def test_sample__item_without_text_is_dropped_and_counted(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    no_text = item(id="2")
    del no_text["text"]
    no_author = item(id="4")
    del no_author["author"]
    conn = connector(tmp_path, [item(id="1"), no_text, item(id="3", text="   "), no_author])
    batch = conn.poll([], None)
    assert ids(batch) == ["1"]
    assert batch.dropped == {"missing text": 2, "missing author": 1}
    assert batch.next_cursor == "1"
    assert "missing text" in caplog.text


@pytest.mark.parametrize(("bad", "key"), [
    ({"round": "soon"}, "items[1].round"),
    ({"round": 0}, "items[1].round"),
    ({"txt": "typo"}, "items[1].txt"),
    ({"source": "myspace"}, "items[1].source"),
    ({"author": {"handle": "a", "followers": "lots"}}, "items[1].author.followers"),
    ({"rating": 6, "source": "trustpilot", "brand": "brewbird"}, "items[1].rating"),
    ({"expect": "angry"}, "items[1].expect"),
])
def test_sample__bad_item_is_a_config_error_naming_index_and_key(
        tmp_path: Path, bad: dict[str, Any], key: str) -> None:
    path = write(tmp_path, [item(id="1"), item(id="2", **bad)])
    with pytest.raises(ConfigError) as err:
        SampleConnector.from_settings({"path": str(path)})
    assert err.value.key == key
    assert str(err.value).startswith(f"{path}: {key}: ")
    line = re.search(r"\(line (\d+)\)", str(err.value))
    assert line and path.read_text().splitlines()[int(line.group(1)) - 1].startswith("- ")


def test_sample__brand_only_on_review_items(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"items\[0\]: .*brand"):
        load_samples(write(tmp_path, [item(brand="parcelly")]))
    with pytest.raises(ConfigError, match=r"items\[0\]: .*brand"):
        load_samples(write(tmp_path, [item(source="trustpilot", kind="review")]))


def test_sample__duplicate_id_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"items\[2\]\.id: duplicate id '7'.*items\[0\]"):
        load_samples(write(tmp_path, [item(id="7"), item(id="8"), item(id="7")]))


def test_sample__yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - source: x\n    text: [unclosed\n")
    with pytest.raises(ConfigError, match=r"invalid YAML at line \d+"):
        load_samples(path)


def test_sample__file_without_items_list_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="list of items"):
        load_samples(write(tmp_path, "brands: [parcelly]\n"))


def test_sample__bare_list_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, yaml.safe_dump([item(id="1")]))
    assert [i.id for i in load_samples(path)] == ["1"]


def test_sample__bad_options_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        SampleConnector.from_settings({"path": str(tmp_path / "missing.yaml")})
    assert err.value.key == "sources.sample.path"
    for rounds in (0, "two", True, 1.5):
        with pytest.raises(ConfigError) as err:
            SampleConnector.from_settings({"rounds": rounds})
        assert err.value.key == "sources.sample.rounds"


def test_sample__registered_under_sample() -> None:
    assert load("sample") is SampleConnector


def test_sample__fake_for_contract_test_yields_nothing_on_second_poll(tmp_path: Path) -> None:
    conn, queries = fakes_sample.make(None, tmp_path)  # type: ignore[arg-type]
    first = conn.poll(queries, None)
    assert first.mentions and all(m.external_id for m in first.mentions)
    assert conn.poll(queries, first.next_cursor).mentions == ()


# --- the packaged samples the demo runs on -------------------------------------------------

def test_sample__packaged_file_covers_every_label_source_and_round() -> None:
    items = load_samples()
    assert 55 <= len(items) <= 70
    expect = Counter(i.expect for i in items)
    assert expect["complaint"] >= 15 and expect["question"] >= 12 and expect["praise"] >= 10
    assert expect["other"] >= 5 and expect["drop"] >= 8
    assert set(Counter(i.source for i in items)) == {"x", "reddit", "appstore", "googleplay",
                                                    "trustpilot"}
    assert {i.round for i in items} == {1, 2, 3}
    assert all(i.expect and i.text and i.author and i.url and i.lang for i in items)


def test_sample__packaged_ids_and_urls_look_like_their_source() -> None:
    shapes = {
        "x": r"\d{19}", "reddit": r"t[13]_[0-9a-z]{7}", "appstore": r"\d{11}",
        "googleplay": r"gp:AOqpTO[0-9A-Za-z]{40,}", "trustpilot": r"[0-9a-f]{24}",
    }
    for i in load_samples():
        assert re.fullmatch(shapes[i.source], i.id), (i.source, i.id)
        assert i.author is not None
        if i.source == "x":
            assert i.url == f"https://x.com/{i.author.handle}/status/{i.id}"
            assert len(i.text or "") <= 280
        if i.source == "reddit":
            assert i.subreddit and f"/r/{i.subreddit}/comments/" in (i.url or "")
            assert i.id[3:] in (i.url or "")
            assert (i.kind == "comment") == bool(i.parent_id) == i.id.startswith("t1_")
        if i.source in ("googleplay", "trustpilot"):
            assert i.id in (i.url or "")
        assert (i.source in REVIEW_SOURCES) == (i.kind == "review") == (i.rating is not None)


def test_sample__packaged_file_has_the_hard_cases() -> None:
    items = load_samples()
    texts = {i.id: (i.title or "") + "\n" + (i.text or "") for i in items}
    joined = "\n".join(texts.values())
    for needle in ("<!channel>", "<https://evil.example|parcelly.com/refund>", "@here",
                   "{{ 7*7 }}"):
        assert needle in joined, needle
    for urgent in ("stolen", "fraud", "locked out", "outage", "data breach"):
        assert urgent in joined.lower(), urgent
    assert max(len(t) for t in texts.values()) >= 1200  # a long post to truncate
    assert {"es", "de", "fi"} <= {i.lang for i in items}
    assert any((i.author.followers or 0) >= 250_000 for i in items if i.author)
    assert any(i.is_retweet and i.expect == "drop" for i in items)
    assert any(i.author and i.author.handle == "ParcellyHelp" and i.expect == "drop"
               for i in items)
    by_author = Counter((i.source, i.author.handle) for i in items if i.author)
    assert by_author[("x", "dani_k_ruiz")] == 3


def test_sample__packaged_rounds_replay_everything_once() -> None:
    conn = SampleConnector.from_settings({})
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(5):
        batch = conn.poll([], cursor)
        assert not batch.dropped
        seen += [(m.source, m.external_id) for m in batch.mentions]
        cursor = batch.next_cursor
    assert cursor == "3"
    assert len(seen) == len(set(seen)) == len(load_samples())


@pytest.mark.parametrize(("text", "expect"), [
    ("items: " + "[" * 500 + "]" * 500 + "\n", "line 1: YAML nested more than 50 levels deep"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
               for p, n in zip("abcdefg", "bcdefgh", strict=True)) + "items: []\n",
     "YAML expands to more than 1,000,000 values through its aliases"),
], ids=["deep", "alias-bomb"])
def test_sample__unsafe_yaml_is_one_config_error(tmp_path: Path, text: str, expect: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:  # was: RecursionError / a billion values built
        load_samples(path)
    assert str(err.value).startswith(f"{path}: ") and expect in str(err.value)


def test_sample__not_utf8_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "samples.yaml"
    path.write_bytes("items:\n  - text: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:  # was: UnicodeDecodeError
        load_samples(path)
    assert str(err.value) == f"{path}: line 2: not UTF-8 text (byte 0xe9); save the file as UTF-8"
