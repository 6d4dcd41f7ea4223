"""Shared connector HTTP plumbing: sessions (timeout, proxies, CA), status to errors."""

from __future__ import annotations

import email.utils
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests

from connectors import limits
from connectors.limits import DeadlineAdapter
from monitor.errors import RateLimited, SourceAuthError, SourceError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEADLINE_FACTOR = 3  # a whole request may take this many `timeout`s (trickling servers)
MAX_BODY_BYTES = 10_000_000  # the largest answer read (feeds, review pages are far smaller)
MAX_REMOTE_TEXT = 300  # characters of a server's reason phrase or message kept in an error
USER_AGENT = "brand-monitor/0.1 (+https://github.com/brand-monitor/brand-monitor)"


class HttpSession(requests.Session):
    """A `requests.Session` that bounds every request, may rewrite URL prefixes (for clients
    that hard-code their host) and counts the requests it sends. Thread-safe for requests
    made from several threads at once (the feeds of one poll).

    Bounds: `timeout` for connecting and for each read; `deadline` (default DEADLINE_FACTOR x
    timeout) for the whole request, so a server trickling bytes cannot hold a poll; and
    `max_bytes` for the body, read in chunks (a 50 MB answer is refused, not loaded).
    Exceeding them raises connectors.limits.DeadlineExceeded / BodyTooLarge (requests errors).

    `trust_env` stays True, so HTTPS_PROXY / HTTP_PROXY / NO_PROXY and REQUESTS_CA_BUNDLE
    work as in any requests program. The rewrite happens before proxies are chosen, so
    NO_PROXY is judged against the host actually contacted.
    """

    def __init__(self, *, timeout: float, rewrite: Mapping[str, str] | None = None,
                 deadline: float | None = None, max_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__()
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else DEADLINE_FACTOR * timeout
        self.max_bytes = max_bytes
        self.rewrite = {k.rstrip("/"): v.rstrip("/") for k, v in (rewrite or {}).items() if k != v}
        self.count = 0
        self.last_response: requests.Response | None = None
        self.last_at = 0.0  # time.monotonic() when last_response arrived
        self._count_lock = threading.Lock()
        for prefix in ("https://", "http://"):
            self.mount(prefix, DeadlineAdapter())

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        url = url.decode() if isinstance(url, bytes) else url
        for prefix, target in self.rewrite.items():
            if url == prefix or url.startswith(prefix + "/") or url.startswith(prefix + "?"):
                url = target + url[len(prefix):]
                break
        # Our timeout wins over a client's built-in default (prawcore always passes 16 s,
        # tweepy passes none): the operator's `timeout` setting is the one that applies.
        kwargs["timeout"] = self.timeout
        kwargs["stream"] = True  # the body is read here, within the cap and the deadline
        with self._count_lock:
            self.count += 1
        with limits.deadline(self.deadline) as watch:
            response = super().request(method, url, *args, **kwargs)
            limits.read_capped(response, cap=self.max_bytes, watch=watch)
        self.last_response, self.last_at = response, time.monotonic()
        return response


def make_session(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    user_agent: str = USER_AGENT,
    rewrite: Mapping[str, str] | None = None,
    environ: Mapping[str, str] = os.environ,
    deadline: float | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> HttpSession:
    """Build the session every connector uses: timeout, deadline and body cap (see
    HttpSession), User-Agent, proxy/CA variables.

    requests reads HTTPS_PROXY and REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE itself; SSL_CERT_FILE
    (the OpenSSL convention) is honoured here when neither of those is set.
    """
    session = HttpSession(timeout=timeout, rewrite=rewrite, deadline=deadline,
                          max_bytes=max_bytes)
    session.headers["User-Agent"] = user_agent
    session.trust_env = True
    ca_file = environ.get("SSL_CERT_FILE")
    if ca_file and not (environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")):
        session.verify = ca_file
    return session


def retry_after(
    headers: Mapping[str, str], *, default: float = 60.0, now: float | None = None
) -> float:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or a rate-limit reset header.

    `x-rate-limit-reset` (X) is an epoch timestamp; `x-ratelimit-reset` (Reddit) is seconds
    from now. Headers are looked up case-insensitively.
    """
    now = time.time() if now is None else now
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass  # unparseable: fall through to the reset headers / default
    for key, is_epoch in (("x-rate-limit-reset", True), ("x-ratelimit-reset", False)):
        if key in lower:
            try:
                reset = float(lower[key])
            except ValueError:
                continue
            return max(1.0, reset - now if is_epoch else reset)
    return default


def error_for_status(
    source: str, status: int, headers: Mapping[str, str], detail: str = ""
) -> SourceError | None:
    """Map a failed HTTP status to the error the daemon understands; None for 2xx/3xx."""
    if status < 400:
        return None
    detail = " ".join(str(detail).split())  # remote text: one line, and not a page of it
    if len(detail) > MAX_REMOTE_TEXT:
        detail = detail[:MAX_REMOTE_TEXT] + "…"
    suffix = f" ({detail})" if detail else ""
    if status == 429:
        return RateLimited(source, retry_after(headers), f"HTTP 429 rate limited{suffix}")
    if status == 401:
        return SourceAuthError(source, f"HTTP 401 credentials rejected{suffix}; check the "
                               "credentials in the environment")
    if status == 403:
        return SourceAuthError(source, f"HTTP 403 access forbidden{suffix}; check that these "
                               "credentials may read it")
    return SourceError(source, f"HTTP {status}{suffix}", retry_after=None)


def raise_for_response(source: str, response: requests.Response) -> None:
    """Raise the mapped error for a failed response (see `error_for_status`)."""
    err = error_for_status(source, response.status_code, response.headers, response.reason or "")
    if err is not None:
        raise err



def send(session: requests.Session, method: str, url: str, *, source: str, timeout: float,
         what: str = "", **kwargs: Any) -> requests.Response:
    """One request; a transport failure (no answer within `timeout`, no complete answer
    within the session's deadline, a body over its cap, refused, TLS) becomes a SourceError
    starting with `what`. The exception's own text stays out of the message (it
    can quote URLs); it is chained as the cause. HTTP statuses are left to the caller."""
    prefix = f"{what}: " if what else ""
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except limits.DeadlineExceeded as exc:
        raise SourceError(source, f"{prefix}{exc}; the server answers too slowly") from exc
    except limits.BodyTooLarge as exc:
        raise SourceError(source, f"{prefix}{exc}; refused") from exc
    except requests.Timeout as exc:
        raise SourceError(source, f"{prefix}no answer within {timeout:g}s") from exc
    except requests.RequestException as exc:
        raise SourceError(source, f"{prefix}request failed: {type(exc).__name__}") from exc


def json_page(resp: requests.Response, *, source: str, what: str,
              expect: tuple[str, type[list[Any]] | type[dict[str, Any]]]) -> dict[str, Any]:
    """The JSON object of a page that must hold `expect` = (key, list or dict); SourceError
    naming `what` (e.g. "app 123 page 2") when it is not JSON or lacks that member."""
    try:
        body = resp.json()
    except ValueError as exc:
        raise SourceError(source, f"{what}: response is not JSON") from exc
    key, kind = expect
    if not isinstance(body, dict) or not isinstance(body.get(key), kind):
        shape = "list" if kind is list else "object"
        raise SourceError(source, f"{what}: no {key!r} {shape} in response")
    return body
