"""The `replies:` config section: per-platform endpoints and switches for posting replies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, NotConfigured


class PublisherOptions(BaseModel):
    """Keys every `replies.<source>` section has. Credentials are never here: they come from
    the environment (monitor.config.SECRET_ENV). `enabled: false` keeps a configured account
    from posting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    timeout: float = Field(20.0, gt=0)


class XOptions(PublisherOptions):
    base_url: str = Field("https://api.twitter.com", pattern=r"^https?://")
    find_pages: int = Field(3, ge=1, le=20)  # pages of our own recent posts searched by find()
    # the follow-up watch searches many conversations in one query of at most this length
    # (512 on X's Basic tier, 4096 on Pro)
    watch_query_chars: int = Field(512, ge=64, le=4096)


class RedditOptions(PublisherOptions):
    oauth_url: str = Field("https://oauth.reddit.com", pattern=r"^https?://")
    reddit_url: str = Field("https://www.reddit.com", pattern=r"^https?://")
    user_agent: str | None = Field(None, min_length=8)
    find_limit: int = Field(100, ge=1, le=1000)  # our recent comments searched by find()
    watch_limit: int = Field(100, ge=1, le=1000)  # newest inbox replies read per follow-up poll


class GooglePlayOptions(PublisherOptions):
    root_url: str = Field("https://androidpublisher.googleapis.com/", pattern=r"^https?://")
    token_uri: str | None = Field(None, pattern=r"^https?://")  # default: the key file's
    apps: list[str] = Field(default_factory=list)  # package names `check` tries
    watch_pages: int = Field(3, ge=1, le=20)  # review-list pages read per app per follow-up poll


class AppStoreOptions(PublisherOptions):
    base_url: str = Field("https://api.appstoreconnect.apple.com", pattern=r"^https?://")
    apps: list[str] = Field(default_factory=list)  # app ids `check` tries (default: the first)


class TrustpilotOptions(PublisherOptions):
    base_url: str = Field("https://api.trustpilot.com", pattern=r"^https?://")
    author_business_user_id: str | None = None  # whose name the reply carries, if set
    business_units: list[str] = Field(default_factory=list)  # ids `check` tries


class RepliesSettings(BaseModel):
    """`replies.<source>`: one section per platform our replies can be posted on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    x: XOptions = XOptions()
    reddit: RedditOptions = RedditOptions()
    googleplay: GooglePlayOptions = GooglePlayOptions()
    appstore: AppStoreOptions = AppStoreOptions()
    trustpilot: TrustpilotOptions = TrustpilotOptions()

    def section(self, name: str) -> dict[str, Any]:
        """The `replies.<name>` keys as a plain dict (what Publisher.from_settings takes)."""
        options = getattr(self, name, None)
        return options.model_dump() if isinstance(options, PublisherOptions) else {}


def validate_options(model: type[PublisherOptions], options: Mapping[str, Any], name: str
                     ) -> Any:
    """Validate a `replies.<name>` section with `model`; ConfigError names the offending key,
    NotConfigured says the section turns replies off (`enabled: false`)."""
    try:
        settings = model.model_validate(dict(options))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = f"replies.{name}" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(msg, key=key) from exc
    if not settings.enabled:
        raise NotConfigured(f"{name}: replies.{name}.enabled is false")
    return settings
