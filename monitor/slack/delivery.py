"""Where outbox messages go: Slack's Web API, or the terminal when no token is configured."""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.panel import Panel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from monitor.errors import DeliveryError
from monitor.slack.faults import AFTER_SENDING, HINTS, api_error, transport_error

logger = logging.getLogger(__name__)

METADATA_EVENT = "brand_monitor_item"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
# the reconciling lookup reads the channel from the first attempt on, less this much (clocks)
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGES = 25  # of 200 messages: a lookup reads at most 5,000 messages


class Delivery(Protocol):
    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None, unfurl_media: bool = False) -> tuple[str, str]:
        """Post a message carrying `key` in its metadata; returns (channel id, ts)."""
        ...

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        ...

    def find(self, *, channel: str, key: str, since: datetime, thread_ts: str | None = None
             ) -> tuple[str, str] | None:
        """The message an earlier attempt, begun at `since` or later, posted under `key`, if
        Slack has it. Raises DeliveryError when Slack cannot say (then nothing is resent)."""
        ...

    def upload_file(self, *, filename: str, content: bytes, title: str) -> tuple[str, str]:
        """Upload a file without sharing it anywhere; returns (file id, permalink). A message
        that links the permalink shares it (see OutboxWorker: the weekly digest)."""
        ...

    def check_auth(self) -> None:
        """Raise DeliveryError (fatal) unless the token works now."""
        ...


class SlackDelivery:
    """Slack Web API through slack_sdk's WebClient (base_url configurable for GovSlack/tests)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def from_token(cls, token: str, *, base_url: str, timeout: float) -> SlackDelivery:
        # no retry handlers: the outbox owns retries. slack_sdk's default handler sends a call
        # again when the connection drops, which re-posts a message Slack already accepted.
        return cls(WebClient(token=token, base_url=base_url, timeout=math.ceil(timeout),
                             retry_handlers=[]))

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None, unfurl_media: bool = False) -> tuple[str, str]:
        args: dict[str, Any] = dict(
            channel=channel, text=text, blocks=blocks or None, thread_ts=thread_ts,
            # never preview links from public text; media only for our own files
            unfurl_links=False, unfurl_media=unfurl_media,
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

    def upload_file(self, *, filename: str, content: bytes, title: str) -> tuple[str, str]:
        """files_upload_v2 without a channel: the file is private to the bot until a message
        links it, so an upload that is interrupted and done again shows nothing twice."""
        try:
            resp = self._call("files_upload_v2", file=content, filename=filename, title=title)
        except SlackRequestError as e:  # the upload step itself failed (HTTP status != 200)
            raise DeliveryError(f"Slack files_upload_v2: {e}") from e
        file = resp.get("file") or {}
        if not file.get("id") or not file.get("permalink"):
            raise DeliveryError("Slack files_upload_v2: the answer names no file")
        logger.info("uploaded %s (file %s)", filename, file["id"])
        return str(file["id"]), str(file["permalink"])

    def check_auth(self) -> None:
        self._call("auth_test")

    def find(self, *, channel: str, key: str, since: datetime, thread_ts: str | None = None
             ) -> tuple[str, str] | None:
        """Read the channel (or the thread) from `since` on, page by page, for a message whose
        metadata carries `key`. A channel busier than LOOKUP_PAGES pages since then raises:
        the message cannot be ruled out, so it is not posted again."""
        channel_id = self.channel_id(channel)
        if channel_id is None:
            return None
        method = "conversations_replies" if thread_ts else "conversations_history"
        oldest = f"{(since - LOOKUP_MARGIN).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(LOOKUP_PAGES):
            resp = self._call(method, channel=channel_id, ts=thread_ts, oldest=oldest,
                              include_all_metadata=True, limit=200, cursor=cursor)
            for msg in resp.get("messages") or []:
                payload = (msg.get("metadata") or {}).get("event_payload") or {}
                if payload.get("outbox_key") == key:
                    return channel_id, str(msg["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        raise DeliveryError(f"Slack {method}: more than {LOOKUP_PAGES * 200} messages in "
                            f"{channel} since {since:%Y-%m-%d %H:%M} UTC; cannot rule out that "
                            f"{key} was posted, so it is not posted again (check the channel, "
                            "then `brand-monitor outbox retry --key`)", retryable=False)

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
                                f"{HINTS['not_in_channel']}", retryable=False)
        try:
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as e:
            error = e.response.get("error") if hasattr(e.response, "get") else None
            # private channel or no channels:join scope: only an invite helps (never fatal)
            raise DeliveryError(f"Slack chat_postMessage: not_in_channel {channel} and "
                                f"conversations.join failed ({error}){HINTS['not_in_channel']}",
                                retryable=False) from e
        except AFTER_SENDING as e:
            raise transport_error("conversations_join", e) from e
        logger.info("joined %s to post there", channel, extra={"channel": channel})

    def _call(self, method: str, *, joinable: bool = False, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as e:
            if joinable and hasattr(e.response, "get") and \
                    e.response.get("error") == "not_in_channel":
                raise _NotInChannel() from e
            raise api_error(method, e, channel=kwargs.get("channel")) from e
        except AFTER_SENDING as e:  # URLError is an OSError: sorted out by transport_error
            raise transport_error(method, e) from e


class _NotInChannel(Exception):  # internal signal: try conversations.join, then once more
    pass


class TerminalDelivery:
    """Renders each message in the terminal, showing what Slack would show (no token set)."""

    def __init__(self, console: Console | None = None, *, files_dir: Path | None = None
                 ) -> None:
        self.console = console or Console()
        self.files_dir = files_dir  # where upload_file() writes (default: the working dir)
        self._n = 0

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]], key: str,
             thread_ts: str | None = None, unfurl_media: bool = False) -> tuple[str, str]:
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

    def upload_file(self, *, filename: str, content: bytes, title: str) -> tuple[str, str]:
        """Write the file under files_dir; its permalink is the file's path (as a file URI)."""
        folder = self.files_dir or Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        path = (folder / Path(filename).name).resolve()
        path.write_bytes(content)
        return path.name, path.as_uri()

    def check_auth(self) -> None:
        return None  # nothing to authenticate


_SLACK_LINK = re.compile(r"<((?:https?|file)://[^|>]+)\|([^>]+)>")
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
