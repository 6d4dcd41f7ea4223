"""Publisher plumbing: platform answers to PublishError subclasses, requests without retries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

from connectors.http import retry_after
from monitor.errors import (
    PublishAuthError,
    PublishError,
    PublishRateLimited,
    PublishRejected,
    PublishUnavailable,
)

DETAIL_CHARS = 200  # a platform's own error text is quoted, cut to this length


def short(detail: Any) -> str:
    """A platform's error text for a message: one line, at most DETAIL_CHARS."""
    text = " ".join(str(detail or "").split())
    return text[:DETAIL_CHARS]


def status_error(source: str, status: int, headers: Mapping[str, str], detail: str, *,
                 credentials: str, write_access: str) -> PublishError:
    """The error for a failed HTTP answer that no platform rule matched first.

    `credentials` names the environment variables to check after a 401; `write_access` says
    what the account lacks after a 403 (scope, role, permission)."""
    suffix = f" ({short(detail)})" if detail else ""
    if status == 429:
        return PublishRateLimited(source, retry_after(headers), f"HTTP 429 rate limited{suffix}")
    if status == 401:
        return PublishAuthError(source, f"HTTP 401 credentials rejected{suffix}; check "
                                f"{credentials}", missing=credentials)
    if status == 403:
        return PublishAuthError(source, f"HTTP 403 no write access{suffix}; the account needs "
                                f"{write_access}", missing=write_access)
    if status >= 500 or status == 408:
        return PublishUnavailable(source, f"HTTP {status}{suffix}; the reply may have been "
                                  "posted")
    return PublishRejected(source, "other", f"HTTP {status}{suffix}")


def transport_error(source: str, exc: BaseException, *, timeout: float) -> PublishUnavailable:
    """A request that got no answer: it may have reached the platform. The exception's own
    text stays out (it can quote URLs); it is chained by the caller."""
    if isinstance(exc, requests.Timeout | TimeoutError):
        return PublishUnavailable(source, f"no answer within {timeout:g}s; the reply may have "
                                  "been posted")
    return PublishUnavailable(source, f"request failed ({type(exc).__name__}); the reply may "
                              "have been posted")


def send(session: requests.Session, method: str, url: str, *, source: str, timeout: float,
         **kwargs: Any) -> requests.Response:
    """One request, never retried here (a retried POST could post twice): a transport
    failure becomes PublishUnavailable. HTTP statuses are left to the caller."""
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise transport_error(source, exc, timeout=timeout) from exc


def error_detail(resp: requests.Response) -> str:
    """The platform's explanation in a JSON error body (JSON:API `errors[].detail`, Google's
    `error.message`, `message`, `detail`), else the HTTP reason."""
    try:
        body = resp.json()
    except ValueError:
        return resp.reason or ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("title") or first.get("code") or "")
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("status") or "")
        for key in ("message", "detail", "error_description", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return resp.reason or ""


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time from a platform (`Z` or an offset); None if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def same_text(a: str | None, b: str | None) -> bool:
    """Two reply texts are the same once whitespace runs are folded (platforms trim)."""
    return " ".join((a or "").split()) == " ".join((b or "").split())
