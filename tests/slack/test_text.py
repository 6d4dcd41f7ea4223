"""text.fit: cut public text to a limit before escaping, and use the room there is."""

from __future__ import annotations

import re

import pytest

from monitor.slack.text import escape, fit, link, quote

BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


@pytest.mark.parametrize("text", ["&" * 5000, "<>" * 3000, "a & b < c > d " * 800,
                                  "x" * 5000, "line\n" * 2000])
def test_fit__escaped_text_fits_and_no_entity_is_split(text: str) -> None:
    out, cut = fit(text, 3000)
    assert cut and len(out) <= 3000 and not BROKEN_ENTITY.search(out)
    assert len(out) > 2900  # it uses the room, it does not give up
    assert out.endswith("…")


def test_fit__short_text_is_only_escaped() -> None:
    assert fit("a & <b>", 100) == ("a &amp; &lt;b&gt;", False)


def test_fit__a_renderer_that_adds_characters_is_counted() -> None:
    out, cut = fit("x\n" * 4000, 3000, render=lambda t: quote(escape(t)))
    assert cut and len(out) <= 3000 and len(out) > 2900
    assert all(line.startswith(">") for line in out.split("\n"))


def test_link__a_url_too_long_to_fit_shows_its_label() -> None:
    assert link("https://x.com/" + "a" * 2000, "open & go") == "open &amp; go"
    assert link("https://x.com/a", "open") == "<https://x.com/a|open>"
