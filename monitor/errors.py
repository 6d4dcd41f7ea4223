"""Every exception brand-monitor raises on purpose; one root, each builds its own message."""

from __future__ import annotations


class MonitorError(Exception):
    """Root of every error brand-monitor raises on purpose. The CLI prints `str(err)` on one
    line and exits non-zero, without a traceback."""


class ConfigError(MonitorError):
    """The configuration file or environment is invalid. `key` is the dotted path of the
    offending setting, when known."""

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None) -> None:
        self.key = key
        self.path = path
        where = f"{path}: " if path else ""
        what = f"{key}: " if key else ""
        super().__init__(f"{where}{what}{message}")


class RuleError(MonitorError):
    """One problem in one rules file, located as `file:line:col`."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, col: int | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        loc = file
        if line is not None:
            loc += f":{line}"
            if col is not None:
                loc += f":{col}"
        super().__init__(f"{loc}: {message}")


class RulesInvalid(MonitorError):
    """A rules set failed validation; `errors` holds every RuleError found, not just the first."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        first = str(errors[0]) if errors else "invalid rules"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class QuerySyntaxError(MonitorError):
    """A boolean query does not parse. `pos` is the 0-based offset in the query text."""

    def __init__(self, message: str, *, pos: int | None = None, token: str | None = None) -> None:
        self.message = message
        self.pos = pos
        self.token = token
        super().__init__(message)


class NotConfigured(MonitorError):
    """A component opts out at startup (missing credentials, disabled); startup logs the reason
    and carries on without it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class DropMention(Exception):  # named like Scrapy's DropItem, on purpose
    """Skip this mention: not an error. Counted by `reason` in the poll summary."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SourceError(MonitorError):
    """A source could not be polled this time; the daemon backs off and tries again."""

    def __init__(self, source: str, message: str, *, retry_after: float | None = None) -> None:
        self.source = source
        self.retry_after = retry_after
        super().__init__(f"{source}: {message}")


class RateLimited(SourceError):
    """The source asked us to wait (`retry_after` seconds, from Retry-After or a reset header)."""

    def __init__(self, source: str, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(
            source, f"{message}; retrying in {retry_after:.0f}s", retry_after=retry_after
        )


class SourceAuthError(SourceError):
    """The source rejected our credentials (401/403). The source is disabled until the config
    or environment changes; `status` shows why."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(source, message)


class DeliveryError(MonitorError):
    """A Slack delivery failed. `retryable` says whether the outbox should try again later;
    `fatal` stops all delivery (invalid_auth) while keeping the backlog; `maybe_sent` says the
    request reached Slack and may have been carried out (a timeout or a dropped connection after
    sending it, a 5xx), so it is looked up in Slack before anything is sent again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        fatal: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        self.retryable = retryable
        self.retry_after = retry_after
        self.fatal = fatal
        self.maybe_sent = maybe_sent
        super().__init__(message)


class PublishError(MonitorError):
    """Our reply could not be posted on a platform. `source` names the platform; `retryable`
    says whether the outbox may try again later (after reconciling with `Publisher.find`)."""

    retryable: bool = False

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class PublishRateLimited(PublishError):
    """The platform asked us to wait `retry_after` seconds before posting again."""

    retryable = True

    def __init__(self, source: str, retry_after: float, message: str = "rate limited") -> None:
        self.retry_after = retry_after
        super().__init__(source, f"{message}; retry in {retry_after:.0f}s")


class PublishAuthError(PublishError):
    """401/403: the account's credentials are rejected or lack write access. `missing` names
    the scope, role or environment variable to fix. Not retryable until the config changes."""

    def __init__(self, source: str, message: str, *, missing: str | None = None) -> None:
        self.missing = missing
        super().__init__(source, message)


class PublishRejected(PublishError):
    """The platform refused this reply for good. `reason` is one of REASONS."""

    REASONS = frozenset({"duplicate", "target_deleted", "locked", "review_removed", "too_long",
                         "other"})

    def __init__(self, source: str, reason: str, message: str) -> None:
        self.reason = reason if reason in self.REASONS else "other"
        super().__init__(source, message)


class PublishUnavailable(PublishError):
    """5xx, timeout or dropped connection: the reply MAY have been posted. Retryable, but the
    caller reconciles with `Publisher.find` before sending again."""

    retryable = True


class ModelError(MonitorError):
    """The classifier model could not be loaded or trained (missing artifact, no hub access)."""


class StoreError(MonitorError):
    """The database is unreachable or not migrated."""


class YamlError(MonitorError):
    """A YAML text that cannot be read safely: not UTF-8, too large, nested too deep, expanded
    too far by aliases, or not valid YAML (`syntax`). `line`/`col` are 1-based when known.
    Callers re-raise it as their own error (ConfigError, RuleError) naming the file or key."""

    def __init__(self, problem: str, *, line: int | None = None, col: int | None = None,
                 syntax: bool = False) -> None:
        self.problem = problem
        self.line = line
        self.col = col
        self.syntax = syntax
        if syntax:
            at = f" at line {line}" if line is not None else ""
            super().__init__(f"invalid YAML{at}: {problem}")
        else:
            super().__init__(f"line {line}: {problem}" if line is not None else problem)
