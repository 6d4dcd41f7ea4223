"""The sample source: replays bundled, hand-written mentions in polling rounds for the demo."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.base import Connector
from connectors.options import SourceOptions, validate_settings
from connectors.registry import REVIEW_SOURCES
from monitor import safeyaml
from monitor.errors import ConfigError, SourceError, YamlError
from monitor.models import Author, Batch, Mention, SourceQuery

logger = logging.getLogger(__name__)

DEFAULT_RESOURCE = ("monitor.demo", "samples.yaml")
PROFILE_URLS = {"x": "https://x.com/{}", "reddit": "https://www.reddit.com/user/{}"}


class SampleAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    handle: str = Field(min_length=1)
    name: str | None = None
    id: str | None = None
    followers: int | None = Field(default=None, ge=0)
    verified: bool = False
    url: str | None = None


class SampleItem(BaseModel):
    """One item of a samples file. Structure is checked at load; content (text, author) at poll,
    where a missing one makes the item a malformed item that is dropped and counted."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: Literal["x", "reddit", "appstore", "googleplay", "trustpilot", "rss"]
    id: str = Field(min_length=1)
    round: int = Field(ge=1)
    minutes_ago: float = Field(default=0, ge=0)
    author: SampleAuthor | None = None
    text: str | None = None
    title: str | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    version: str | None = None  # app version a store review was written against
    lang: str | None = None
    url: str | None = None
    brand: str | None = None
    kind: Literal["post", "comment", "reply", "review", "article"] = "post"
    subreddit: str | None = None
    is_retweet: bool = False
    is_quote: bool = False
    parent_id: str | None = None
    expect: Literal["complaint", "question", "praise", "other", "drop"] | None = None
    note: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted numeric id (X, App Store) as an int; it is still an id.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _brand_only_on_reviews(self) -> SampleItem:
        if self.source in REVIEW_SOURCES and not self.brand:
            raise ValueError(f"a {self.source} item needs `brand` (the reviewed brand's id)")
        if self.source not in REVIEW_SOURCES and self.brand:
            raise ValueError(f"`brand` is for review sources only, not {self.source} items")
        return self


def default_path() -> Any:
    """The packaged samples file (a Traversable; works from a wheel or a checkout)."""
    package, name = DEFAULT_RESOURCE
    return resources.files(package).joinpath(name)


def _at_line(text: str, index: int) -> str:
    """' (line N)' where item `index` of a samples file starts; only computed for errors."""
    try:
        node = safeyaml.compose(text)
    except YamlError:
        return ""
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == "items"), None)
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return f" (line {node.value[index].start_mark.line + 1})"
    return ""


def load_samples(path: str | os.PathLike[str] | Any | None = None) -> list[SampleItem]:
    """Read and validate a samples file: a list of items, or a mapping with an `items` list.

    Raises ConfigError naming the file, the item (`items[i]`, with its line) and the key.
    """
    source = default_path() if path is None else path
    where = str(source)
    if isinstance(source, str | os.PathLike):
        source = Path(source)
    try:
        text = safeyaml.decode(source.read_bytes())
        data = safeyaml.load(text)
    except OSError as exc:
        raise ConfigError(f"cannot read samples file: {exc.strerror or exc}",
                          key="sources.sample.path", path=where) from exc
    except YamlError as exc:  # syntax, not UTF-8, too deep, an alias bomb: one line
        raise ConfigError(str(exc), path=where) from None
    raw = data.get("items") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise ConfigError("expected a list of items (or a mapping with an `items` list)",
                          key="items", path=where)
    items: list[SampleItem] = []
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ConfigError(f"expected a mapping{_at_line(text, index)}",
                              key=f"items[{index}]", path=where)
        try:
            item = SampleItem.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(part) for part in err["loc"])
            key = f"items[{index}].{loc}" if loc else f"items[{index}]"
            raise ConfigError(f"{err['msg']}{_at_line(text, index)}", key=key, path=where) from None
        first = seen.setdefault((item.source, item.id), index)
        if first != index:
            raise ConfigError(
                f"duplicate id {item.id!r} for source {item.source!r} "
                f"(first at items[{first}]){_at_line(text, index)}",
                key=f"items[{index}].id", path=where,
            )
        items.append(item)
    return items


class Settings(SourceOptions):
    path: str | None = None  # a samples file (default: the bundled one)
    rounds: int | None = Field(None, ge=1)  # stop after this many rounds
    interval: float = Field(300.0, gt=0)

    @field_validator("rounds", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        if isinstance(v, (bool, float)):
            raise ValueError(f"expected a whole number of rounds >= 1, got {v!r}")
        return v


class _Dropped(Exception):
    """An item this poll leaves out as malformed; internal, never leaves this module."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SampleConnector(Connector):
    """Delivers the samples of round 1, 2, 3 … on successive polls; ignores the queries.

    The cursor is the last round delivered ("1", "2", …); once every round is out, a poll
    returns an empty Batch with the same cursor. Mentions keep the item's own `source` ("x",
    "reddit", …) so the demo's Slack messages look real; `created_at` is the poll time minus
    `minutes_ago`. The human label `expect` travels in `extra["expect"]` (the demo's summary
    compares it with the classifier's); `note` stays in the file.
    """

    name: ClassVar[str] = "sample"
    keyword_source: ClassVar[bool] = False

    def __init__(
        self,
        items: Sequence[SampleItem],
        *,
        rounds: int | None = None,
        clock: Callable[[], datetime] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings(rounds=rounds)
        self.items = tuple(items)
        last = max((item.round for item in self.items), default=0)
        self.last_round = min(last, rounds) if rounds is not None else last
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], *, environ: Mapping[str, str] = os.environ
    ) -> SampleConnector:
        settings = validate_settings(Settings, options, "sample")
        path = settings.path or None
        items = load_samples(Path(path).expanduser() if path is not None else None)
        logger.debug("sample: %d items in %d rounds", len(items),
                     max((i.round for i in items), default=0))
        return cls(items, rounds=settings.rounds, settings=settings)

    def poll(self, queries: Sequence[SourceQuery], cursor: str | None) -> Batch:
        done = self._parse_cursor(cursor)
        if done >= self.last_round:
            return Batch(mentions=(), next_cursor=cursor)
        current = done + 1
        now = self._clock()
        mentions: list[Mention] = []
        dropped: Counter[str] = Counter()
        for item in (i for i in self.items if i.round == current):
            try:
                mentions.append(self._mention(item, now))
            except _Dropped as drop:
                logger.warning("sample: dropped %s item %s (%s)", item.source, item.id,
                               drop.reason)
                dropped[drop.reason] += 1
        mentions.sort(key=lambda m: m.created_at)  # oldest first, like a feed read in order
        return Batch(mentions=tuple(mentions), next_cursor=str(current), dropped=dict(dropped))

    def _parse_cursor(self, cursor: str | None) -> int:
        if cursor is None:
            return 0
        try:
            done = int(cursor)
        except ValueError:
            raise SourceError(self.name, f"unreadable cursor {cursor!r} (expected a round "
                                         "number)") from None
        if done < 0:
            raise SourceError(self.name, f"unreadable cursor {cursor!r} (negative round)")
        return done

    @staticmethod
    def _mention(item: SampleItem, now: datetime) -> Mention:
        if item.text is None or not item.text.strip():
            raise _Dropped("missing text")
        if item.author is None:
            raise _Dropped("missing author")
        a = item.author
        profile = PROFILE_URLS.get(item.source)
        author = Author(
            handle=a.handle,
            name=a.name,
            id=a.id,
            followers=a.followers,
            verified=a.verified,
            url=a.url or (profile.format(a.handle) if profile else None),
        )
        extra: dict[str, Any] = {}
        if item.subreddit:
            extra["subreddit"] = item.subreddit
        if item.version:
            extra["version"] = item.version
        if item.expect:
            extra["expect"] = item.expect
        return Mention(
            source=item.source,
            external_id=item.id,
            text=item.text,
            created_at=now - timedelta(minutes=item.minutes_ago),
            author=author,
            url=item.url,
            title=item.title,
            lang=item.lang,
            rating=item.rating,
            brand=item.brand,
            kind=item.kind,
            parent_id=item.parent_id,
            is_retweet=item.is_retweet,
            is_quote=item.is_quote,
            extra=extra,
        )
