"""What a mention in a language the classifier cannot read is labelled: its rating, or a choice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from monitor.language import copy
from monitor.language.detect import canonical
from monitor.language.names import language_name
from monitor.models import Classification, Label, Mention

Unsupported = Literal["question", "other", "keep"]
ANY = "*"  # in `languages`: the classifier reads every language
# A review's stars say what the text cannot: 1-2★ is a complaint, 4-5★ praise. 3★ says
# neither, so it gets the same label as a post without a rating.
RATING_LABEL = {1: Label.COMPLAINT, 2: Label.COMPLAINT, 4: Label.PRAISE, 5: Label.PRAISE}
UNREAD = "unread"  # Classification.model of a label the classifier did not give: "unread:ja"


def unread(model: str) -> bool:
    """Whether a stored classification's label came from this policy, not from a model."""
    return model.startswith(f"{UNREAD}:")


class ReadingPolicy:
    """Keeps the classifier from labelling, as if it had read it, a mention in a language it
    does not read (`languages`: ISO 639-1 codes, or "*").

    For such a mention the classifier's answer is replaced: a review with 1-2★ or 4-5★ gets
    its label from the rating; any other mention gets `unsupported` — "question" (posted for
    a person to read), "other" (stored, not posted) or "keep" (the classifier's guess). Every
    replaced answer is `uncertain`, with confidence 0 and a reason naming the language; a
    mention whose language is unknown (None) is left to the classifier.
    """

    def __init__(self, languages: Iterable[str] = ("en",), *,
                 unsupported: Unsupported = "question") -> None:
        self.languages = frozenset(canonical(code) or code for code in languages)
        self.unsupported = unsupported

    def reads(self, lang: str | None) -> bool:
        code = canonical(lang)
        return code is None or ANY in self.languages or code in self.languages

    def apply(self, mention: Mention, cls: Classification) -> Classification:
        """`cls` as it stands for a language the classifier reads, else the policy's answer."""
        if self.reads(mention.lang):
            return cls
        code = canonical(mention.lang) or ""
        language = language_name(code)
        label = RATING_LABEL.get(mention.rating or 0)
        if label is not None:
            why = copy.FROM_RATING.format(language=language, stars=mention.rating)
        elif self.unsupported == "keep":
            why = copy.NOT_READ["keep"].format(language=language)
            return replace(cls, uncertain=True, reasons=(why, *cls.reasons))
        else:
            label = Label(self.unsupported)
            why = copy.NOT_READ[self.unsupported].format(language=language)
        # no scores: they would read as the model's, and the backtest would replay them
        return Classification(label=label, confidence=0.0, reasons=(why,), scores={},
                              uncertain=True, model=f"{UNREAD}:{code}")
