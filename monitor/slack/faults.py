"""How a failed Slack call reads: retry later, give up, pause delivery, or 'it may have landed'."""

from __future__ import annotations

import http.client
import urllib.error

from slack_sdk.errors import SlackApiError

from monitor.errors import DeliveryError

# Slack errors that will not heal by retrying the same call
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long",
             "no_text", "invalid_blocks", "invalid_arguments", "message_not_found",
             "cant_update_message", "restricted_action"}
# errors that stop all delivery until the token works again
FATAL = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
         "missing_scope"}

HINTS = {
    "not_in_channel": " (invite the bot: /invite @brand-monitor, or grant channels:join)",
    "channel_not_found": " (no such channel, or a private one the bot was not invited to; "
                         "check the channel in the config/rules routing, then /invite the bot)",
    "is_archived": " (the channel is archived; route this label to another channel)",
}
# transport errors a request can meet after it was sent in full: Slack may have carried it out
AFTER_SENDING = (TimeoutError, ConnectionError, http.client.HTTPException, OSError)


def api_error(method: str, e: SlackApiError, *, channel: str | None = None) -> DeliveryError:
    """The DeliveryError for Slack's answer `e` (an `ok: false` body or an HTTP error status)."""
    resp = e.response
    status = getattr(resp, "status_code", None)
    error = (resp.get("error") if hasattr(resp, "get") else None) or f"HTTP {status}"
    if status == 429 or error == "ratelimited":
        headers = getattr(resp, "headers", {}) or {}
        retry = headers.get("Retry-After") or headers.get("retry-after") or "30"
        try:
            wait = float(retry)
        except ValueError:
            wait = 30.0
        return DeliveryError(f"Slack {method}: rate limited", retry_after=wait)
    if error in FATAL:
        return DeliveryError(f"Slack {method}: {error} — check SLACK_BOT_TOKEN and the app's "
                             "scopes; delivery is paused, nothing is lost", retryable=False,
                             fatal=True)
    if error in PERMANENT:
        where = f" {channel}" if channel and error in HINTS else ""
        return DeliveryError(f"Slack {method}: {error}{where}{HINTS.get(error, '')}",
                             retryable=False)
    if isinstance(status, int) and status >= 500:
        # a 5xx (or a proxy's 502/504) can come after Slack carried the call out
        return DeliveryError(f"Slack {method}: HTTP {status}", maybe_sent=True)
    return DeliveryError(f"Slack {method}: {error}")


def transport_error(method: str, e: BaseException) -> DeliveryError:
    """A call that got no answer. urllib raises URLError only while connecting or sending the
    request (nothing was carried out); a timeout, reset or close while waiting for the answer
    comes after Slack received the whole request, which it may have carried out."""
    if isinstance(e, urllib.error.URLError) and not isinstance(e, urllib.error.HTTPError):
        return DeliveryError(f"Slack {method}: network error ({e.reason})")
    if isinstance(e, TimeoutError):
        what = "no answer in time"
    else:
        what = f"connection lost before the answer ({type(e).__name__})"
    return DeliveryError(f"Slack {method}: {what}; it may have gone through", maybe_sent=True)


def unanswered(e: DeliveryError) -> bool:
    """The call got no answer at all (timeout, dropped connection): it may still be at work in
    Slack, unlike one Slack answered (even with a 5xx)."""
    return isinstance(e.__cause__, AFTER_SENDING) and e.maybe_sent
