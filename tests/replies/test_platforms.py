"""Platform limits: X's weighted count, graceful shortening, every platform's reply fits."""

from __future__ import annotations

import pytest

from monitor.models import Author, Classification, Label, RuleMatch
from monitor.replies import platforms as pf
from monitor.replies.knowledge import Entry
from monitor.replies.templates import compose
from tests import factories as f

X = pf.PLATFORMS["x"]
LONG_ANSWER = ("you can change the address until the parcel leaves the depot: open it in the "
               "app, tap Change delivery and pick Another address. " * 8).strip()
ENTRY = Entry(id="address", brand="parcelly", questions=("change address?",), answer=LONG_ANSWER,
              link="https://parcelly.com/help/a-very-long-path/change-delivery-address-guide",
              applies_to=frozenset({"question"}), topic="address")


def test_weighted_length__urls_count_23_whatever_their_length() -> None:
    long_url = "https://parcelly.com/" + "x" * 200
    assert pf.weighted_length(f"see {long_url}") == 4 + 23
    assert pf.weighted_length("see parcelly.com/track.") == 4 + 23 + 1
    assert pf.weighted_length("mail help@parcelly.com") == len("mail help@parcelly.com")


def test_weighted_length__a_link_on_any_official_tld_counts_23() -> None:
    # the hand-made count knew a dozen TLDs: "parcelly.de/hilfe" was 17 plain characters
    assert pf.weighted_length("Hilfe gibt es parcelly.de/hilfe") == 14 + 23
    assert pf.urls("siehe parcelly.de/hilfe.") == [(6, 23)]


def test_weighted_length__an_emoji_sequence_counts_two() -> None:
    assert pf.weighted_length("\U0001f9d1\U0001f3fd\u200d\U0001f4bb") == 2  # one emoji for X


def test_weighted_length__emoji_and_cjk_count_two() -> None:
    assert pf.weighted_length("ok 🔥") == 3 + 2
    assert pf.weighted_length("東京") == 4
    assert pf.weighted_length("é") == 1


def test_truncate__cuts_at_a_word_boundary_and_keeps_the_final_link() -> None:
    text = "word " * 80 + "https://parcelly.com/help"
    out = pf.truncate(text, X)
    assert pf.weighted_length(out) <= 280
    assert out.endswith("… https://parcelly.com/help")
    assert out.replace("… https://parcelly.com/help", "").split(" ")[-1] == "word"


def test_truncate__never_leaves_half_a_url() -> None:
    text = "a " * 120 + "https://parcelly.com/" + "p" * 60 + " and then more words " * 10
    out = pf.truncate(text, pf.Platform("t", 260))
    assert len(out) <= 260
    assert "https://" not in out or "https://parcelly.com/" + "p" * 60 in out


@pytest.mark.parametrize("source", ["x", "reddit", "appstore", "googleplay", "trustpilot"])
def test_compose__every_platform_reply_fits_its_limit(source: str) -> None:
    m = f.mention(source=source, author=Author(handle="someone_long_handle", name="Someone"))
    reply = compose(m, RuleMatch(brand="parcelly", rule="r"),
                    Classification(label=Label.QUESTION, confidence=0.9), templates={},
                    brand_name="Parcelly", entry=ENTRY)
    platform = pf.platform_for(source)
    assert pf.length(reply.text, platform) <= platform.limit
    assert ENTRY.link and ENTRY.link in reply.text  # the link survives shortening
    assert "  " not in reply.text


def test_compose__tight_platform_drops_the_optional_sentence_before_cutting() -> None:
    entry = Entry(id="a", brand="parcelly", questions=("q",), answer=LONG_ANSWER,
                  short="Tap Change delivery in the app.", link="https://parcelly.com/help/a",
                  applies_to=frozenset({"question"}))
    m = f.mention(source="googleplay", author=Author(handle="Gareth Jones"))
    reply = compose(m, RuleMatch(brand="parcelly", rule="r"),
                    Classification(label=Label.QUESTION, confidence=0.9), templates={},
                    brand_name="Parcelly", entry=entry)
    assert reply.text == "Hi Gareth! Tap Change delivery in the app. https://parcelly.com/help/a"


def test_compose__long_answer_keeps_its_full_form_where_it_fits() -> None:
    m = f.mention(source="appstore", author=Author(handle="Kev"))
    reply = compose(m, RuleMatch(brand="parcelly", rule="r"),
                    Classification(label=Label.QUESTION, confidence=0.9), templates={},
                    brand_name="Parcelly", entry=ENTRY)
    assert LONG_ANSWER[1:] in reply.text and reply.text.endswith("Anything else, just DM us.")


def test_other_mentions__lists_everyone_but_the_author() -> None:
    reddit = pf.PLATFORMS["reddit"]
    text = "thanks @dani and @Bob, ask u/mod_person or u/dani; mail a@b.com"
    assert pf.other_mentions(text, keep="dani", platform=reddit) == ["@Bob", "u/mod_person"]
    assert pf.neutralise_mentions(text, keep="dani", platform=reddit) == \
        "thanks @dani and Bob, ask mod_person or u/dani; mail a@b.com"
