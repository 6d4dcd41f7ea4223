"""Settings: one YAML file plus BRAND_MONITOR_* environment variables, validated by pydantic."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from connectors.options import common_options
from connectors.replies.options import RepliesSettings as PlatformReplies
from monitor import safeyaml
from monitor.config_layers import (
    CONFIG_ENV,
    ENV_PREFIX,
    Layer,
    env_layer,
    merge,
    origin_of,
    resolve_paths,
)
from monitor.errors import ConfigError, YamlError

__all__ = ["CONFIG_ENV", "ENV_PREFIX", "Secrets", "Settings", "load_settings"]

CONFIG_BYTES = 1_000_000
DATABASES = ("sqlite", "postgresql", "postgres")  # database_url schemes the store supports

# Secrets never live in config files; they are read from these environment variables only.
SECRET_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "REDDIT_CLIENT_ID",
    "REDDIT_CLIENT_SECRET",
    "REDDIT_USERNAME",
    "REDDIT_PASSWORD",
    "X_BEARER_TOKEN",
    "TRUSTPILOT_API_KEY",
    # publishing replies as the brand's own accounts (connectors/replies, deploy/ACCOUNTS.md)
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
    "X_USER_TOKEN",
    "GOOGLE_PLAY_SERVICE_ACCOUNT",
    "ASC_KEY_ID",
    "ASC_ISSUER_ID",
    "ASC_PRIVATE_KEY",
    "TRUSTPILOT_API_SECRET",
    "TRUSTPILOT_USERNAME",
    "TRUSTPILOT_PASSWORD",
    "TRUSTPILOT_ACCESS_TOKEN",
)
_SECRET_KEYS = {"token", "bot_token", "app_token", "signing_secret", "client_secret", "api_key",
                "bearer_token", "password", "secret"}


def _language_code(code: str, *, wildcard: bool = False) -> str:
    """A language as ISO 639-1 ("ja"), or 639-3 where there is none; lower case."""
    code = str(code).strip().lower()
    if (wildcard and code == "*") or re.fullmatch(r"[a-z]{2,3}", code):
        return code
    raise ValueError(f"{code!r} is not a language code; use ISO 639-1 such as en, ja, pt"
                     + (' (or "*" for every language)' if wildcard else ""))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassifierSettings(_Strict):
    # "builtin": the shipped MiniLM encoder + the trained head in data_dir (or the packaged one).
    # Any other value is a Hugging Face model id (needs hub access), see monitor/classify.
    model: str = "builtin"
    kind: Literal["head", "sequence-classification", "zero-shot"] = "head"
    artifact: Path | None = None  # trained head; default: data_dir/model/head, else packaged
    uncertain_below: float = Field(0.55, ge=0, le=1)
    batch_size: int = Field(32, ge=1, le=1024)
    quantize: bool = False
    # The languages the model reads (ISO 639-1 codes, or "*" for all): the builtin model reads
    # English only; list more for a multilingual hub model (monitor/classify/MODEL.md).
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    # A mention in another language is never labelled as if read: a review gets its label
    # from a 1-2★ or 4-5★ rating; anything else is "question" (posted for a person to read),
    # "other" (stored, not posted) or "keep" (the model's guess); all marked uncertain.
    unsupported_language: Literal["question", "other", "keep"] = "question"

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str], info: ValidationInfo) -> list[str]:
        codes = [_language_code(code, wildcard=True) for code in v]
        if info.data.get("kind") == "head" and set(codes) != {"en"}:
            raise ValueError("the builtin model reads English only; list more languages "
                             "with a multilingual Hugging Face model (classifier.kind and "
                             "classifier.model, see monitor/classify/MODEL.md)")
        return codes


class SlackSettings(_Strict):
    base_url: str = "https://slack.com/api/"
    default_channel: str = "#social-care"
    # label -> channel; rules files can override per brand
    channels: dict[str, str] = Field(default_factory=lambda: {"praise": "#marketing"})
    # language code -> channel: every posted mention in that language goes there, whatever
    # its label (the team that reads it), e.g. {ja: "#care-japan"}
    channels_by_language: dict[str, str] = Field(default_factory=dict)
    oncall_group: str | None = None  # user group id (S0123…) pinged by reminders
    socket_mode: bool = True  # when SLACK_APP_TOKEN is set
    http_port: int = 3000
    remind_unclaimed_minutes: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 10, "high": 30, "normal": 120, "low": 480}
    )
    remind_claimed_minutes: int = 240
    history_days: int = 30
    max_text_chars: int = 1500
    timeout: float = 15.0

    @field_validator("channels_by_language")
    @classmethod
    def _language_channels(cls, v: dict[str, str]) -> dict[str, str]:
        return {_language_code(code): channel for code, channel in v.items()}


class OutboxSettings(_Strict):
    interval: float = Field(5.0, gt=0)
    batch_size: int = Field(20, ge=1)
    max_attempts: int = Field(12, ge=1)
    backoff_base: float = Field(2.0, gt=0)
    backoff_max: float = Field(900.0, gt=0)


class FleetSettings(_Strict):
    """Replicas on one PostgreSQL database (README "Running several replicas")."""

    # how long an outbox row stays a replica's once it starts delivering it; a killed replica's
    # rows are taken over (looked up in Slack first) when it runs out. At least 4 x
    # slack.timeout is used, so a call in flight always ends before its row can be taken over.
    lease_seconds: float = Field(60.0, gt=0)
    # how often each replica checks whether a source poll or a job is due (and nobody else is
    # at it): a dead replica's source is polled again within its interval plus this
    check_seconds: float = Field(15.0, gt=0)


class ReportSettings(_Strict):
    digest_channel: str | None = None  # default: slack.channels.praise
    digest_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    digest_hour: int = Field(9, ge=0, le=23)
    response_target_minutes: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 30, "high": 60, "normal": 240, "low": 1440}
    )
    spike_min_count: int = 5
    spike_sigma: float = 3.0
    spike_cooldown_minutes: int = 180
    spike_channel: str | None = None


class ApprovalRule(_Strict):
    """Replies drafted for `brands` (empty: every brand) and `labels` (empty: every label) go
    out only after a member of the Slack user group `group` other than the drafter approves
    them in Slack. The first rule that matches a case applies."""

    group: str  # user group id (S0123…), see `brand-monitor slack check`
    brands: list[str] = Field(default_factory=list)
    labels: list[Literal["complaint", "question", "praise", "other"]] = Field(
        default_factory=list)

    @field_validator("group")
    @classmethod
    def _group_id(cls, v: str) -> str:
        if not re.fullmatch(r"S[A-Z0-9]{2,}", v):
            raise ValueError("must be a Slack user group id such as S0123ABCD (a handle like "
                             "@care-leads is not enough: Slack lists members by id)")
        return v

    def applies(self, *, brand: str | None, label: str) -> bool:
        return (not self.brands or brand in self.brands) and \
            (not self.labels or label in self.labels)


class RepliesSettings(PlatformReplies):
    """The platforms' sections (connectors.replies.options) and the approval rules."""

    # who must approve a reply before it is posted on the platform (none: the drafter sends)
    approval: list[ApprovalRule] = Field(default_factory=list)


class FollowUpSettings(_Strict):
    """`follow_up`: after our public reply, the customer's answer (a post in the conversation,
    a reply to our comment, their review updated) is fetched and attached to the same case
    (monitor/followup). A case is watched for `window_days` after our latest reply, and no
    longer once it is closed and nothing was heard for `quiet_hours`."""

    enabled: bool = True
    window_days: float = Field(7.0, gt=0, le=30)
    quiet_hours: float = Field(48.0, ge=0)
    interval: float = Field(900.0, ge=30)  # seconds between two looks at every watched case
    # HTTP requests one look may make per platform; cases it does not reach go first next time
    max_requests: int = Field(30, ge=1, le=1000)


class Settings(_Strict):
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("brand-monitor"))
    )
    database_url: str | None = None  # default: sqlite:///<data_dir>/brand-monitor.sqlite
    rules_dir: Path = Path("rules")
    knowledge_dir: Path | None = None  # default: <rules_dir>/knowledge
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for log shippers
    metrics_port: int | None = None  # /metrics, /healthz and /readyz when set
    metrics_address: str = "127.0.0.1"  # 0.0.0.0 in a container, for Prometheus and probes
    rules_reload_seconds: float = 5.0
    # `sources.<name>`: each section belongs to its connector, whose Settings model validates it
    # and owns its defaults (connectors/<name>.py); the keys every source shares are checked at
    # load time (connectors.options.SourceOptions), so a bad interval fails here.
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    classifier: ClassifierSettings = ClassifierSettings()
    slack: SlackSettings = SlackSettings()
    outbox: OutboxSettings = OutboxSettings()
    fleet: FleetSettings = FleetSettings()
    reports: ReportSettings = ReportSettings()
    # `replies.<source>`: endpoints of the platforms our replies are posted on;
    # `replies.approval`: who must approve a reply before it goes out
    replies: RepliesSettings = RepliesSettings()
    follow_up: FollowUpSettings = FollowUpSettings()

    @field_validator("replies", mode="before")
    @classmethod
    def _replies(cls, v: Any) -> Any:
        # the platforms' own section model (connectors.replies.options) is accepted as it is
        if isinstance(v, PlatformReplies) and not isinstance(v, RepliesSettings):
            return v.model_dump()
        return v

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, v: Path) -> Path:
        for part in (v.expanduser(), *v.expanduser().parents):  # the rest is created later
            if part.exists():
                if not part.is_dir():
                    raise ValueError(f"{part} is a file; data_dir must be a directory")
                break
        return v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str | None) -> str | None:
        scheme = (v or "").partition("://")[0].partition("+")[0].lower()
        if v and scheme not in DATABASES:  # never echo the URL: it may hold a password
            raise ValueError(f"unsupported database {scheme or 'URL'!r}; use "
                             "sqlite:///PATH or postgresql://USER@HOST/NAME")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return v

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'brand-monitor.sqlite'}"

    @property
    def kb_dir(self) -> Path:
        return self.knowledge_dir or (self.rules_dir / "knowledge")

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, section in v.items():
            common_options(section, name)  # raises ConfigError naming sources.<name>.<key>
        return v

    def enabled_sources(self) -> list[str]:
        """The sources whose section turns them on (`enabled: true`), in config order."""
        return [name for name, section in self.sources.items()
                if common_options(section, name).enabled]


class Secrets(Mapping[str, str]):
    """The secrets this process was given: environment variables named in SECRET_ENV, never
    files. Read once where the process starts and passed to the parts that need them."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = {k: v for k, v in (values or {}).items() if k in SECRET_ENV and v}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        return cls(os.environ if environ is None else environ)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        """The secret's value, or `default` when unset (empty counts as unset). KeyError for
        a name that is not a secret: asking for one is a bug."""
        if name not in SECRET_ENV:
            raise KeyError(name)
        return self._values.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never print a value
        return f"Secrets({sorted(self._values)})"


def _secret_key(data: Any, path: str = "") -> str | None:
    """The dotted path of the first key in `data` that names a secret, or None."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            key = f"{path}.{k}" if path else str(k)
            found = key if str(k).lower() in _SECRET_KEYS else _secret_key(v, key)
            if found:
                return found
    return None


def _reject_secrets(layer: Layer) -> None:
    key = _secret_key(layer.data)
    if key:
        raise ConfigError(
            "secrets are read from the environment only "
            f"({', '.join(SECRET_ENV)}); remove this key",
            key=key, path=layer.sets(tuple(key.split("."))) or layer.origin)


def _format_validation(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    return key, msg


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings. Precedence, highest first:
    1. `overrides` (command-line arguments),
    2. BRAND_MONITOR_<KEY> environment variables (nested keys joined with "__"),
    3. the YAML file (`path`, else $BRAND_MONITOR_CONFIG, else none),
    4. the defaults in the models above.
    Relative paths are relative to the file when written in it, else to the working directory
    (monitor.config_layers); `rules_dir` defaults to `rules` next to the file.
    """
    env = os.environ if environ is None else environ
    file_path = path or env.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    where = str(file_path) if file_path else None
    if file_path:
        try:
            loaded = safeyaml.load(safeyaml.read_text(Path(file_path), max_bytes=CONFIG_BYTES))
        except OSError as e:
            raise ConfigError(f"cannot read config file ({e.strerror})", path=where) from e
        except YamlError as e:
            raise ConfigError(str(e), path=where) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError("the top level must be a mapping of keys", path=where)
        data = loaded
    file_dir = Path(file_path).expanduser().absolute().parent if file_path else Path.cwd()
    layers = [  # highest precedence first
        Layer("command line", copy.deepcopy(dict(overrides or {})), Path.cwd()),
        env_layer(env, known=Settings.model_fields),
        Layer(where or "defaults", data, file_dir),
    ]
    for layer in layers:
        _reject_secrets(layer)
        resolve_paths(layer)
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = merge(merged, layer.data)
    if file_path and "rules_dir" not in merged:
        merged["rules_dir"] = str(file_dir / "rules")  # the layout `brand-monitor init` writes
    try:
        return Settings.model_validate(merged)
    except ValidationError as e:
        first = e.errors()[0]
        key, msg = _format_validation(e)
        raise ConfigError(msg, key=key, path=origin_of(first["loc"], layers) or where) from e
