"""Reply templates rendered in Jinja2's sandbox; text from the public is data, never code."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connectors.registry import REVIEW_SOURCES
from monitor.models import Classification, Label, Mention, RuleMatch, SuggestedReply
from monitor.replies import platforms as pf
from monitor.replies.copy import DEFAULT_TEMPLATES
from monitor.replies.knowledge import Entry

logger = logging.getLogger(__name__)

RESHARE_CONFIDENCE = 0.7  # praise at least this sure is marked for marketing to reshare
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e]")
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def sentence(value: str) -> str:
    """Jinja filter: the first letter upper-cased, the rest untouched ("you can" -> "You can")."""
    return value[:1].upper() + value[1:] if value else value


_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_ENV.filters["sentence"] = sentence


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def public(value: str | None, platform: pf.Platform, *, limit: int = 60) -> str:
    """Text from the public as a template value: one line, no control characters, nobody
    @-mentioned, markdown-escaped on Reddit. It is only ever a value, never template source."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())[:limit].strip()
    text = pf.neutralise_mentions(text, keep=None, platform=platform)
    return pf.escape_markdown(text) if platform.markdown else text


def greeting_name(mention: Mention, platform: pf.Platform) -> str:
    """How the reply addresses the author: @handle on X, else their name (a review's first
    name when it looks like one: "Kev from Leeds" -> "Kev")."""
    handle = mention.author.handle
    if platform.address == "handle" and re.fullmatch(r"\w{1,50}", handle):
        return f"@{handle}"
    name = mention.author.name or handle
    if mention.source in REVIEW_SOURCES:
        first = name.split()[0] if name.split() else name
        if len(first) > 2 and first.isalpha() and first[:1].isupper():
            name = first
    return public(name, platform)


def brand_title(brand: str) -> str:
    return brand.replace("-", " ").replace("_", " ").title()


def context(mention: Mention, match: RuleMatch, *, brand_name: str, entry: Entry | None,
            short: bool) -> dict[str, Any]:
    """The variables every template sees (documented in rules/knowledge/README.md)."""
    platform = pf.platform_for(mention.source)
    answer = ""
    if entry is not None:
        answer = entry.answer
        if short:
            first = _FIRST_SENTENCE.match(entry.answer)
            answer = entry.short or (first.group(1) if first else entry.answer)
    app = mention.source in ("appstore", "googleplay")
    product = str(mention.extra.get("product") or "") or (f"the {brand_name} app" if app
                                                          else brand_name)
    return {
        "author": greeting_name(mention, platform),
        "author_name": public(mention.author.name or mention.author.handle, platform),
        "handle": public(mention.author.handle, platform),
        "brand": brand_name,
        "product": public(product, platform),
        "source": platform.name,
        "url": mention.url or "",
        "label": "",
        "kb_answer": answer,
        "kb_url": (entry.link or "") if entry else "",
        "kb_question": entry.questions[0] if entry else "",
        "topic": entry.topic if entry else "",
        "short": short,
    }


def finish(text: str, *, mention: Mention, platform: pf.Platform) -> str:
    """Tidy the rendered text and make sure nobody but the author is @-mentioned."""
    text = re.sub(r"[ \t]{2,}", " ", text.strip())
    text = re.sub(r" +([.,!?])", r"\1", text)
    return pf.neutralise_mentions(text, keep=mention.author.handle, platform=platform)


def render_fitted(source: str, *, mention: Mention, match: RuleMatch, brand_name: str,
                  entry: Entry | None, label: Label) -> str:
    """Render `source`; if it is too long for the platform, render it again without the
    optional sentence (and with the short answer), then cut at a word boundary."""
    platform = pf.platform_for(mention.source)
    template = _compile(source)
    text = ""
    for short in (False, True):
        ctx = context(mention, match, brand_name=brand_name, entry=entry, short=short)
        ctx["label"] = label.value
        text = finish(template.render(**ctx), mention=mention, platform=platform)
        if pf.fits(text, platform):
            return text
    return pf.truncate(text, platform)


def compose(mention: Mention, match: RuleMatch, classification: Classification, *,
            templates: Mapping[str, str], brand_name: str, entry: Entry | None = None,
            score: float | None = None) -> SuggestedReply:
    """The reply from the first template that exists and renders: the brand's
    `<label>.<topic>`, `<label>.kb` (with an entry) or `<label>`, else the default one."""
    label = classification.label
    keys = [f"{label.value}.{entry.topic}", f"{label.value}.kb"] if entry else [label.value]
    options = [(k, templates[k]) for k in keys if k in templates]
    options.append((f"default.{keys[-1]}", DEFAULT_TEMPLATES[keys[-1]]))
    text, name = "", options[-1][0]
    for name, source in options:
        try:
            text = render_fitted(source, mention=mention, match=match, brand_name=brand_name,
                                 entry=entry, label=label)
            break
        except TemplateError as e:
            logger.warning("reply template %s of %s failed (%s); trying the next one",
                           name, match.brand, e)
    reshare = (label is Label.PRAISE and not classification.uncertain
               and classification.confidence >= RESHARE_CONFIDENCE)
    return SuggestedReply(text=text, template=name, kb_entry=entry.id if entry else None,
                          kb_url=entry.link if entry else None, kb_score=score, reshare=reshare)


class TemplateSuggester:
    """Replies from the brand's templates (else the defaults), without a knowledge base."""

    def __init__(self, templates: Callable[[str], Mapping[str, str]], *,
                 brand_name: Callable[[str], str] | None = None) -> None:
        self.templates = templates  # brand -> {"complaint": "...", "question.refund": "..."}
        self.brand_name = brand_name or brand_title

    def suggest(self, mention: Mention, match: RuleMatch, classification: Classification
                ) -> SuggestedReply | None:
        if classification.label is Label.OTHER:
            return None
        return compose(mention, match, classification, templates=self.templates(match.brand),
                       brand_name=self.brand_name(match.brand))
