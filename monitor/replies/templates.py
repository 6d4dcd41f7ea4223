"""Reply templates rendered in Jinja2's sandbox; text from the public is data, never code."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.models import Classification, Label, Mention, RuleMatch, SuggestedReply

logger = logging.getLogger(__name__)

# Used when a brand's rules file has no template for the label.
DEFAULT_TEMPLATES: dict[str, str] = {
    "complaint": (
        "Hi {{ author }}, we're sorry about this and want to fix it. Please send us a DM with "
        "your account email or order number so we can look into it right away. — {{ brand }}"
    ),
    "question": (
        "Hi {{ author }}, thanks for asking! Could you DM us a few details so we can give you "
        "the right answer? — {{ brand }}"
    ),
    "praise": "Thank you so much, {{ author }}! We're really glad to hear it. — {{ brand }}",
}

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def template_context(mention: Mention, match: RuleMatch) -> dict[str, str]:
    handle = mention.author.handle
    author = f"@{handle}" if mention.source in ("x",) else (mention.author.name or handle)
    return {
        "author": author,
        "author_name": mention.author.name or handle,
        "handle": handle,
        "brand": match.brand,
        "source": mention.source,
        "url": mention.url or "",
    }


class TemplateSuggester:
    """Picks the brand's template for the label (else a default) and renders it sandboxed."""

    def __init__(self, templates: Callable[[str], Mapping[str, str]]) -> None:
        self.templates = templates  # brand -> {"complaint": "...", "question.refund": "..."}

    def suggest(self, mention: Mention, match: RuleMatch, classification: Classification
                ) -> SuggestedReply | None:
        label = classification.label
        if label is Label.OTHER:
            return None
        brand_templates = self.templates(match.brand)
        name = label.value
        source = brand_templates.get(name)
        if source is None:
            source, name = DEFAULT_TEMPLATES[label.value], f"default.{label.value}"
        try:
            text = _ENV.from_string(source).render(**template_context(mention, match))
        except TemplateError as e:
            logger.warning("reply template %s of %s failed (%s); using the default",
                           name, match.brand, e)
            name = f"default.{label.value}"
            text = _ENV.from_string(DEFAULT_TEMPLATES[label.value]).render(
                **template_context(mention, match))
        return SuggestedReply(text=text.strip(), template=name)
