"""Where replies can go: the publishers of the configured accounts, limits, approval rules."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors import registry
from connectors.replies.base import Publisher, ReplyTarget
from monitor.errors import NotConfigured
from monitor.replies import copy
from monitor.replies import platforms as pf

if TYPE_CHECKING:
    from monitor.config import ApprovalRule, Settings
    from monitor.readmodels import StoredMention

logger = logging.getLogger(__name__)


class Reach(enum.StrEnum):
    """Whether we can post a reply on a source."""

    READY = "ready"  # a publisher with write access is configured
    NOT_SET_UP = "not_set_up"  # the platform takes replies, but this account is not set up
    UNSUPPORTED = "unsupported"  # nobody can answer here through an API (feeds): link it


def answerable(source: str) -> bool:
    """Whether the platform takes replies through its API at all (a publisher exists)."""
    info = registry.SOURCES.get(source)
    return bool(info and info.publisher)


@dataclass(frozen=True)
class Publishing:
    """The publishers built at startup (by source), why the others are not available, and the
    approval rules. Built by `build_publishing`; the Slack app and the reply worker share it."""

    publishers: Mapping[str, Publisher] = field(default_factory=dict)
    not_set_up: Mapping[str, str] = field(default_factory=dict)  # source -> reason
    approval: Sequence[ApprovalRule] = ()

    def reach(self, source: str) -> Reach:
        if source in self.publishers:
            return Reach.READY
        return Reach.NOT_SET_UP if answerable(source) else Reach.UNSUPPORTED

    def why_not(self, source: str) -> str:
        """The line an agent reads when a reply cannot be sent on `source`."""
        title = registry.source_title(source)
        if self.reach(source) == Reach.UNSUPPORTED:
            return copy.CANNOT_ANSWER.format(platform=title)
        reason = self.not_set_up.get(source) or copy.NOT_SET_UP_DEFAULT
        return copy.NOT_SET_UP.format(platform=title, reason=reason)

    def approval_group(self, *, brand: str | None, label: str) -> str | None:
        """The user group whose approval a reply on such a case needs; None: no approval."""
        for rule in self.approval:
            if rule.applies(brand=brand, label=label):
                return rule.group
        return None

    def length(self, text: str, source: str) -> tuple[int, int]:
        """(the platform's count of `text`, its limit): the publisher's own counting when
        one is configured, else the shared platform rules."""
        publisher = self.publishers.get(source)
        if publisher is not None:
            return publisher.length(text), publisher.limit
        platform = pf.platform_for(source)
        return pf.length(text, platform), platform.limit

    def problem(self, text: str, *, source: str, author: str | None) -> str | None:
        """Why `text` cannot be posted as a reply on `source`, or None when it can."""
        if not text.strip():
            return copy.ERROR_EMPTY
        size, limit = self.length(text, source)
        if size > limit:
            return copy.ERROR_TOO_LONG.format(platform=registry.source_title(source),
                                              limit=f"{limit:,}", length=f"{size:,}")
        others = pf.other_mentions(text, keep=author, platform=pf.platform_for(source))
        if others:
            return copy.ERROR_MENTIONS.format(handles=", ".join(others))
        return None

    def close(self) -> None:
        for publisher in self.publishers.values():
            publisher.close()


def target_of(stored: StoredMention) -> ReplyTarget:
    """The platform coordinates of a stored mention, as a publisher answers it."""
    m = stored.mention
    return ReplyTarget(source=m.source, external_id=m.external_id, author_handle=m.author.handle,
                       url=m.url, parent_id=m.parent_id, extra=dict(m.extra or {}))


def build_publishing(settings: Settings, *, environ: Mapping[str, str],
                     sources: Sequence[str] | None = None) -> Publishing:
    """A publisher for every answerable source in `sources` (default: the enabled ones) whose
    account is set up in `environ`; the others are logged with the reason."""
    wanted = settings.enabled_sources() if sources is None else list(sources)
    publishers: dict[str, Publisher] = {}
    missing: dict[str, str] = {}
    for name in wanted:
        if name not in registry.SOURCES:
            continue
        try:
            cls = registry.load_publisher(name)
            if cls is None:
                continue  # feeds: the Slack button links the original instead
            publishers[name] = cls.from_settings(settings.replies.section(name),
                                                 environ=environ)
        except NotConfigured as e:
            missing[name] = e.reason
        except ImportError as e:
            missing[name] = f"cannot import its library ({e})"
    for name in publishers:
        logger.info("replies on %s: enabled", name, extra={"source": name})
    for name, reason in missing.items():
        logger.warning("replies on %s not enabled: %s", name, reason, extra={"source": name})
    return Publishing(publishers, missing, tuple(settings.replies.approval))
