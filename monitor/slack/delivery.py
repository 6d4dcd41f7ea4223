"""Where outbox messages go: Slack's Web API, or the terminal when no token is configured."""

from __future__ import annotations

import logging
import re
import urllib.error
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.panel import Panel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from monitor.errors import DeliveryError

logger = logging.getLogger(__name__)

METADATA_EVENT = "brand_monitor_item"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
# Slack errors that will not heal by retrying the same call
_PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long",
              "no_text", "invalid_blocks", "invalid_arguments", "message_not_found",
              "cant_update_message", "restricted_action"}
_FATAL = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
          "missing_scope"}


class Delivery(Protocol):
    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None) -> tuple[str, str]:
        """Post a message carrying `key` in its metadata; returns (channel id, ts)."""
        ...

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        ...

    def find(self, *, channel: str, key: str, since: datetime, thread_ts: str | None = None
             ) -> tuple[str, str] | None:
        """The message an earlier, interrupted attempt posted under `key`, if Slack has it."""
        ...

    def upload(self, *, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str, key: str) -> tuple[str, str | None]:
        """Share a file (a report chart) in `channel` with `initial_comment` (mrkdwn) as its
        message; returns (channel id, file id or None)."""
        ...


class SlackDelivery:
    """Slack Web API through slack_sdk's WebClient (base_url configurable for GovSlack/tests)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def from_token(cls, token: str, *, base_url: str, timeout: float) -> SlackDelivery:
        return cls(WebClient(token=token, base_url=base_url, timeout=int(timeout)))

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None) -> tuple[str, str]:
        args: dict[str, Any] = dict(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,  # never preview links from public text
            metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_key": key}},
        )
        try:
            resp = self._call("chat_postMessage", joinable=True, **args)
        except _NotInChannel:
            self._join(channel)  # public channels: join (channels:join) and retry once
            resp = self._call("chat_postMessage", **args)
        channel_id = str(resp.get("channel") or channel)
        self._channel_ids[channel] = channel_id
        return channel_id, str(resp["ts"])

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)

    def upload(self, *, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str, key: str) -> tuple[str, str | None]:
        """files_upload_v2 (getUploadURLExternal -> upload -> completeUploadExternal); the
        last step needs a channel id, so '#name' is resolved first."""
        channel_id = self.channel_id(channel)
        if channel_id is None:
            raise DeliveryError(f"Slack files_upload_v2: channel_not_found {channel}"
                                f"{_HINTS['channel_not_found']}", retryable=False)
        args: dict[str, Any] = dict(channel=channel_id, file=content, filename=filename,
                                    title=title, initial_comment=initial_comment)
        try:
            try:
                resp = self._call("files_upload_v2", joinable=True, **args)
            except _NotInChannel:
                self._join(channel_id)
                resp = self._call("files_upload_v2", **args)
        except SlackRequestError as e:  # the upload step itself failed (HTTP status != 200)
            raise DeliveryError(f"Slack files_upload_v2: {e}") from e
        file_id = (resp.get("file") or {}).get("id")
        logger.info("uploaded %s to %s (file %s)", filename, channel, file_id,
                    extra={"channel": channel, "outbox_key": key})
        return channel_id, str(file_id) if file_id else None

    def find(self, *, channel: str, key: str, since: datetime, thread_ts: str | None = None
             ) -> tuple[str, str] | None:
        channel_id = self.channel_id(channel)
        if channel_id is None:
            return None
        oldest = f"{since.timestamp() - 60:.6f}"
        if thread_ts:
            resp = self._call("conversations_replies", channel=channel_id, ts=thread_ts,
                              oldest=oldest, include_all_metadata=True, limit=200)
        else:
            resp = self._call("conversations_history", channel=channel_id, oldest=oldest,
                              include_all_metadata=True, limit=200)
        for msg in resp.get("messages") or []:
            payload = (msg.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox_key") == key:
                return channel_id, str(msg["ts"])
        return None

    def channel_id(self, channel: str) -> str | None:
        """Resolve '#name' to an id (conversations.history needs ids)."""
        if _CHANNEL_ID.match(channel):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        name = channel.lstrip("#")
        cursor = None
        while True:
            resp = self._call("conversations_list", limit=200, cursor=cursor,
                              exclude_archived=True, types="public_channel,private_channel")
            for ch in resp.get("channels") or []:
                if ch.get("name") == name:
                    self._channel_ids[channel] = ch["id"]
                    return str(ch["id"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def _join(self, channel: str) -> None:
        channel_id = self.channel_id(channel)
        if channel_id is None:
            raise DeliveryError(f"Slack chat_postMessage: not_in_channel {channel}"
                                f"{_HINTS['not_in_channel']}", retryable=False)
        try:
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as e:
            error = e.response.get("error") if hasattr(e.response, "get") else None
            # private channel or no channels:join scope: only an invite helps (never fatal)
            raise DeliveryError(f"Slack chat_postMessage: not_in_channel {channel} and "
                                f"conversations.join failed ({error}){_HINTS['not_in_channel']}",
                                retryable=False) from e
        logger.info("joined %s to post there", channel, extra={"channel": channel})

    def _call(self, method: str, *, joinable: bool = False, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as e:
            if joinable and hasattr(e.response, "get") and \
                    e.response.get("error") == "not_in_channel":
                raise _NotInChannel() from e
            raise _delivery_error(method, e, channel=kwargs.get("channel")) from e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise DeliveryError(f"Slack {method}: network error ({e})") from e


class _NotInChannel(Exception):  # internal signal: try conversations.join, then once more
    pass


_HINTS = {
    "not_in_channel": " (invite the bot: /invite @brand-monitor, or grant channels:join)",
    "channel_not_found": " (no such channel, or a private one the bot was not invited to; "
                         "check the channel in the config/rules routing, then /invite the bot)",
    "is_archived": " (the channel is archived; route this label to another channel)",
}


def _delivery_error(method: str, e: SlackApiError, *, channel: str | None = None
                    ) -> DeliveryError:
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
    if error in _FATAL:
        return DeliveryError(f"Slack {method}: {error} — check SLACK_BOT_TOKEN and the app's "
                             "scopes; delivery is paused, nothing is lost", retryable=False,
                             fatal=True)
    if error in _PERMANENT:
        where = f" {channel}" if channel and error in _HINTS else ""
        return DeliveryError(f"Slack {method}: {error}{where}{_HINTS.get(error, '')}",
                             retryable=False)
    return DeliveryError(f"Slack {method}: {error}")


class TerminalDelivery:
    """Renders each message in the terminal, showing what Slack would show (no token set)."""

    def __init__(self, console: Console | None = None, *, files_dir: Path | None = None
                 ) -> None:
        self.console = console or Console()
        self.files_dir = files_dir  # where upload() writes files (default: the working dir)
        self._n = 0

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None) -> tuple[str, str]:
        self._n += 1
        ts = f"terminal.{self._n:06d}"
        title = f"{channel}" + (" · thread reply" if thread_ts else "")
        self.console.print(Panel(render_blocks(blocks) or text, title=title, title_align="left",
                                 border_style="dim" if thread_ts else "cyan"))
        return channel, ts

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.console.print(Panel(render_blocks(blocks) or text, title=f"{channel} · updated",
                                 title_align="left", border_style="yellow"))

    def find(self, *, channel: str, key: str, since: datetime, thread_ts: str | None = None
             ) -> tuple[str, str] | None:
        return None  # the terminal keeps no history; re-rendering a message is harmless

    def upload(self, *, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str, key: str) -> tuple[str, str | None]:
        """Write the file under files_dir and show the message with the file's path."""
        from rich.markup import escape as rich_escape

        folder = self.files_dir or Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(filename).name
        path.write_bytes(content)
        body = rich_escape(_plain(initial_comment))
        self.console.print(Panel(f"{body}\n[dim]{rich_escape(title)}: {rich_escape(str(path))}[/]",
                                 title=f"{channel} · file", title_align="left",
                                 border_style="cyan"))
        return channel, None


_SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]+)>")
_SLACK_USER = re.compile(r"<@([A-Z0-9]+)>")


def _plain(mrkdwn: str) -> str:
    out = _SLACK_DATE.sub(r"\1", mrkdwn)
    out = _SLACK_LINK.sub(r"\2 (\1)", out)
    out = _SLACK_USER.sub(r"@\1", out)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(blocks: list[dict[str, Any]]) -> str:
    """A readable plain-text rendering of Block Kit (for the terminal); markup is not parsed."""
    lines: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header":
            lines.append(f"== {b['text']['text']} ==")
        elif kind == "section":
            lines.append(_plain(b["text"]["text"]))
        elif kind == "context":
            lines.append(" | ".join(_plain(e.get("text", "")) for e in b.get("elements", [])))
        elif kind == "actions":
            names = [e["text"]["text"] if e.get("type") == "button"
                     else f"[{e['placeholder']['text']} ▾]" for e in b.get("elements", [])]
            lines.append("  ".join(f"[{n}]" if not n.startswith("[") else n for n in names))
        elif kind == "image":
            lines.append(f"[image: {b.get('alt_text', '')}]")
    from rich.markup import escape as rich_escape

    return rich_escape("\n".join(lines))
