"""Rendering: public text is data, never template code; tone by label; brand and topic keys."""

from __future__ import annotations

from monitor.models import Author, Classification, Label, RuleMatch
from monitor.replies.knowledge import Entry
from monitor.replies.templates import TemplateSuggester, compose
from tests import factories as f

MATCH = RuleMatch(brand="parcelly", rule="parcelly.query")
ENTRY = Entry(id="cancel-subscription", brand="parcelly", questions=("How do I cancel?",),
              answer="you can cancel under Account > Subscription.", topic="cancel",
              link="https://parcelly.com/help/cancel", applies_to=frozenset({"question"}))


def cls(label: Label, confidence: float = 0.9, *, uncertain: bool = False) -> Classification:
    return Classification(label=label, confidence=confidence, uncertain=uncertain)


def suggest(mention, label: Label = Label.COMPLAINT, templates=None, **kw):  # type: ignore[no-untyped-def]
    return TemplateSuggester(lambda brand: templates or {}, **kw).suggest(mention, MATCH,
                                                                          cls(label))


def test_render__template_syntax_in_public_text_is_not_evaluated() -> None:
    m = f.mention("{{ 7*7 }} {% for x in range(3) %}boom{% endfor %}", source="appstore",
                  author=Author(handle="{{ 7*7 }}", name="{% for %}{{ config }}"),
                  title="Hello {{ first_name }}")
    templates = {"complaint": "Hi {{ author_name }} ({{ handle }}), sorry! {{ product }}"}
    reply = suggest(m, templates=templates)
    assert reply is not None
    assert "{% for %}{{ config }}" in reply.text and "({{ 7*7 }})" in reply.text
    assert "49" not in reply.text and reply.template == "complaint"


def test_render__slack_specials_pass_through_as_data() -> None:
    m = f.mention(source="trustpilot", author=Author(handle="x", name="<!channel> Craig"))
    reply = suggest(m, templates={"complaint": "Hi {{ author_name }}, sorry."})
    assert reply is not None and reply.text == "Hi <!channel> Craig, sorry."


def test_render__sandbox_blocks_attribute_escapes_and_falls_back_to_default() -> None:
    templates = {"complaint": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    reply = suggest(f.mention(), templates=templates)
    assert reply is not None and reply.template == "default.complaint"
    assert "class" not in reply.text and "sorry" in reply.text


def test_render__unknown_variable_falls_back_to_default() -> None:
    reply = suggest(f.mention(), Label.QUESTION, templates={"question": "Hi {{ first_name }}"})
    assert reply is not None and reply.template == "default.question"


def test_render__other_handles_lose_their_ping_author_keeps_it() -> None:
    m = f.mention(handle="dani_k", author=None, name="Dani @elonmusk")
    templates = {"complaint": "Hi {{ author }} / {{ author_name }}, ask @ParcellyHelp or "
                              "mail help@parcelly.com"}
    reply = suggest(m, templates=templates)
    assert reply is not None
    assert reply.text.startswith("Hi @dani_k / Dani elonmusk, ask ParcellyHelp")
    assert "help@parcelly.com" in reply.text


def test_render__reddit_names_are_markdown_escaped() -> None:
    m = f.mention(source="reddit", author=Author(handle="throwaway_lumo_help"))
    reply = suggest(m, Label.PRAISE)
    assert reply is not None and "throwaway\\_lumo\\_help" in reply.text


def test_render__reviews_greet_by_first_name() -> None:
    m = f.mention(source="googleplay", author=Author(handle="Lucía Fernández"))
    reply = suggest(m, templates={"complaint": "Hi {{ author }}!"})
    assert reply is not None and reply.text == "Hi Lucía!"


def test_suggest__other_gets_no_reply() -> None:
    assert suggest(f.mention(), Label.OTHER) is None


def test_suggest__praise_is_marked_for_resharing_unless_uncertain() -> None:
    sure = TemplateSuggester(lambda b: {}).suggest(f.mention(), MATCH, cls(Label.PRAISE))
    unsure = TemplateSuggester(lambda b: {}).suggest(
        f.mention(), MATCH, cls(Label.PRAISE, 0.5, uncertain=True))
    assert sure is not None and sure.reshare and sure.template == "default.praise"
    assert unsure is not None and not unsure.reshare
    assert "Thank you" in sure.text and "Parcelly" in sure.text


def test_compose__topic_template_wins_over_kb_default() -> None:
    templates = {"question": "generic", "question.cancel": "Hi {{ author }}, cancel: {{ kb_url }}"}
    reply = compose(f.mention(handle="al"), MATCH, cls(Label.QUESTION), templates=templates,
                    brand_name="Parcelly", entry=ENTRY, score=0.8)
    assert reply.template == "question.cancel"
    assert reply.text == "Hi @al, cancel: https://parcelly.com/help/cancel"
    assert (reply.kb_entry, reply.kb_url, reply.kb_score) == (
        "cancel-subscription", "https://parcelly.com/help/cancel", 0.8)


def test_compose__question_with_entry_answers_and_links() -> None:
    reply = compose(f.mention(handle="al"), MATCH, cls(Label.QUESTION), templates={},
                    brand_name="Parcelly", entry=ENTRY)
    assert reply.template == "default.question.kb"
    assert reply.text.startswith("Hi @al! You can cancel under Account > Subscription.")
    assert "https://parcelly.com/help/cancel" in reply.text


def test_compose__complaint_apologises_with_a_next_step() -> None:
    with_kb = compose(f.mention(), MATCH, cls(Label.COMPLAINT), templates={},
                      brand_name="Parcelly", entry=ENTRY)
    without = compose(f.mention(), MATCH, cls(Label.COMPLAINT), templates={},
                      brand_name="Parcelly")
    for reply in (with_kb, without):
        assert "sorry" in reply.text.lower() and "DM" in reply.text
    assert ENTRY.link and ENTRY.link in with_kb.text


def test_compose__question_without_entry_asks_for_the_missing_detail() -> None:
    reply = compose(f.mention(), MATCH, cls(Label.QUESTION), templates={}, brand_name="Parcelly")
    assert reply.kb_entry is None and "details" in reply.text
