"""Socket Mode inside the daemon: the triage app over the app-token websocket, no public URL."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.jobs import Service
from monitor.slack.app import build_bolt_app

if TYPE_CHECKING:
    from monitor.config import SlackSettings
    from monitor.replies.publishing import Publishing
    from monitor.store import Store

logger = logging.getLogger(__name__)


class SocketModeService:
    """Connects when the daemon starts, disconnects when it stops. The websocket client runs in
    its own threads and reconnects by itself (slack_sdk's built-in Socket Mode client)."""

    def __init__(self, *, store: Store, slack: SlackSettings, bot_token: str, app_token: str,
                 publishing: Publishing | None = None) -> None:
        self.store = store
        self.slack = slack
        self.bot_token = bot_token
        self.app_token = app_token
        self.publishing = publishing
        self.handler: SocketModeHandler | None = None

    def start(self) -> None:
        client = WebClient(token=self.bot_token, base_url=self.slack.base_url,
                           timeout=int(self.slack.timeout))
        # no auth.test at startup: the daemon must come up even while Slack is unreachable
        app = build_bolt_app(store=self.store, settings=self.slack, client=client,
                             signing_secret="", token_verification=False,
                             publishing=self.publishing)
        # apps.connections.open goes to the configured base_url too (GovSlack, tests)
        opener = WebClient(base_url=self.slack.base_url, timeout=int(self.slack.timeout))
        handler = SocketModeHandler(app, app_token=self.app_token, web_client=opener,
                                    logger=logging.getLogger("monitor.slack.socket_mode"))
        try:
            handler.connect()
        except SlackApiError as e:
            logger.error("Slack Socket Mode could not start (%s): check SLACK_APP_TOKEN (an "
                         "app-level xapp- token with connections:write) and that Socket Mode is "
                         "enabled for the app; posting goes on, buttons will not answer",
                         e.response.get("error"))
            return
        self.handler = handler
        logger.info("Slack Socket Mode connected: buttons are handled by this daemon")

    def stop(self) -> None:
        if self.handler is not None:
            self.handler.close()
            self.handler = None
            logger.info("Slack Socket Mode disconnected")

    @property
    def connected(self) -> bool:
        return self.handler is not None and self.handler.client.is_connected()


def socket_service(*, store: Store, slack: SlackSettings, bot_token: str | None,
                   app_token: str | None, publishing: Publishing | None = None
                   ) -> Service | None:
    """The Socket Mode service when SLACK_APP_TOKEN (and SLACK_BOT_TOKEN) are set and
    slack.socket_mode is on; otherwise None, after saying how the buttons get handled."""
    if not slack.socket_mode:
        logger.info("slack.socket_mode is off: run `brand-monitor slack serve` for the buttons")
        return None
    if not app_token:
        logger.info("SLACK_APP_TOKEN is not set: Slack buttons need Socket Mode (set it) or "
                    "`brand-monitor slack serve` (HTTP mode)")
        return None
    if not bot_token:
        logger.warning("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode not "
                       "started")
        return None
    service = SocketModeService(store=store, slack=slack, bot_token=bot_token,
                                app_token=app_token, publishing=publishing)
    return Service("slack-socket-mode", service.start, service.stop)
