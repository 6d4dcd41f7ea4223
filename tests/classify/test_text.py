"""Text normalisation and the occlusion pieces the reasons are built from."""

from __future__ import annotations

from monitor.classify.explain import pieces as _pieces
from monitor.classify.text import normalize, units, without


def test_normalize__handles_and_links_become_generic() -> None:
    got = normalize("@United thanks for nothing https://t.co/AbC123 see www.example.com/x")
    assert got == "@user thanks for nothing http see http"


def test_normalize__emoji_are_spelled_out_without_modifiers() -> None:
    assert normalize("great job 🙄") == "great job eye roll"
    assert normalize("love it ❤️👍🏽") == "love it love thumbs up"
    assert normalize("\U0001f96d") == "mango"  # unlisted emoji: its unicode name


def test_normalize__repeats_whitespace_and_entities_are_tamed() -> None:
    assert normalize("sooooooo   slow!!!!!!\n\nfix &amp; go") == "sooo slow!!! fix & go"


def test_normalize__empty_and_none_like_input() -> None:
    assert normalize("") == ""
    assert normalize("  \n\t ") == ""


def test_units__words_and_punctuation_runs() -> None:
    text = "why is it STILL not here??"
    assert [text[a:b] for a, b in units(text)] == ["why", "is", "it", "STILL", "not", "here", "??"]


def test_without__removes_one_span_and_tidies_spaces() -> None:
    text = "still not here ??"
    assert without(text, (6, 9)) == "still here ??"


def test_pieces__long_texts_are_occluded_by_phrases() -> None:
    short = "the app crashes on login"
    assert [short[a:b] for a, b in _pieces(short)] == ["app", "crashes", "login"]
    long_text = " ".join(f"word{i}" for i in range(40))
    pieces = _pieces(long_text)
    assert len(pieces) <= 16
    assert pieces[0][0] == 0 and pieces[-1][1] == len(long_text)
