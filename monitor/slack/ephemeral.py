"""Private lines to the person who clicked: what their click did, or why it did nothing."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


def tell(body: dict[str, Any], client: WebClient, text: str) -> None:
    """chat.postEphemeral to the clicker in the channel of the click; never raises."""
    channel = (body.get("channel") or {}).get("id") or \
        (body.get("container") or {}).get("channel_id")
    if not channel:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
    except SlackApiError as e:
        logger.warning("could not tell %s privately: %s", body["user"]["id"],
                       e.response.get("error"))
