"""The pipeline's language stage: tag each mention's language, then guard the classifier's label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.language.policy import ReadingPolicy
from monitor.language.tagging import LanguageTagger
from monitor.models import Classification, Mention

if TYPE_CHECKING:
    from monitor.config import Settings


class LanguageStage:
    """`tag` runs before the rules match (so `lang:` filters see every mention's language);
    `guard` runs on each classification (so a language the classifier does not read never
    gets a confident label). Defaults: the bundled detector, a classifier that reads English."""

    def __init__(self, *, tagger: LanguageTagger | None = None,
                 policy: ReadingPolicy | None = None) -> None:
        self.tagger = tagger or LanguageTagger()
        self.policy = policy or ReadingPolicy()

    @classmethod
    def from_settings(cls, settings: Settings) -> LanguageStage:
        cfg = settings.classifier
        return cls(policy=ReadingPolicy(cfg.languages, unsupported=cfg.unsupported_language))

    def tag(self, mentions: Sequence[Mention]) -> list[Mention]:
        return self.tagger.tag_all(mentions)

    def guard(self, mention: Mention, cls: Classification) -> Classification:
        return self.policy.apply(mention, cls)
