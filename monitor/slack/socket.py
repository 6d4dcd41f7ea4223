"""Socket Mode inside the daemon: the triage app over the app-token websocket, no public URL."""

from __future__ import annotations

import logging
import random
import threading
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.backoff import backoff_delay
from monitor.clock import utcnow
from monitor.jobs import Service
from monitor.slack.app import build_bolt_app
from monitor.store.keys import SOCKET_STATUS_KEY

if TYPE_CHECKING:
    from monitor.config import SlackSettings
    from monitor.replies.publishing import Publishing
    from monitor.store import Store

logger = logging.getLogger(__name__)

RETRY_BASE = 5.0  # seconds before the first retry; doubles per failure (jittered)
RETRY_MAX = 300.0
CHECK_EVERY = 10.0  # seconds between looks at a connection that should be up
LOST_AFTER = 60.0  # down this long (slack_sdk's own reconnects failed): connect anew


class SocketModeService:
    """Connects when the daemon starts and keeps the connection: a failed connect is retried
    with jittered exponential backoff, and a connection that stays lost (slack_sdk reconnects
    by itself first) is opened anew. Its state goes to the kv table (SOCKET_STATUS_KEY) for
    `brand-monitor status`, which runs in another process."""

    def __init__(self, *, store: Store, slack: SlackSettings, bot_token: str, app_token: str,
                 retry_base: float = RETRY_BASE, retry_max: float = RETRY_MAX,
                 check_every: float = CHECK_EVERY, lost_after: float = LOST_AFTER,
                 rng: random.Random | None = None, publishing: Publishing | None = None) -> None:
        self.store = store
        self.slack = slack
        self.bot_token = bot_token
        self.app_token = app_token
        self.retry_base, self.retry_max = retry_base, retry_max
        self.check_every, self.lost_after = check_every, lost_after
        self.rng = rng or random.Random()
        self.publishing = publishing
        self.handler: SocketModeHandler | None = None
        self.failures = 0
        self._last_error: str | None = None
        self._state: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Try once now (so startup logs say how it went), then keep trying in the background."""
        self._stop.clear()
        if not self._connect():
            self._record("reconnecting", error=self._last_error, retry_in=self._delay())
        self._thread = threading.Thread(target=self._supervise, name="slack-socket-mode",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.handler is not None:
            self.handler.close()
            self.handler = None
            logger.info("Slack Socket Mode disconnected")
        self._record("stopped")

    @property
    def connected(self) -> bool:
        return self.handler is not None and self.handler.client.is_connected()

    # -- the supervisor thread ----------------------------------------------------------------

    def _supervise(self) -> None:
        lost = 0.0
        wait = self._delay() if self.handler is None else self.check_every
        while not self._stop.wait(wait):
            if self.handler is None:
                if self._connect():
                    lost, wait = 0.0, self.check_every
                else:
                    wait = self._delay()
                    self._record("reconnecting", error=self._last_error, retry_in=wait)
                continue
            wait = self.check_every
            if self.connected:
                lost = 0.0
                self._record("connected")
                continue
            lost += self.check_every
            self._record("reconnecting", error="connection lost")
            if lost >= self.lost_after:
                logger.warning("Slack Socket Mode lost for %.0fs: connecting anew", lost)
                self._drop()

    def _connect(self) -> bool:
        handler = self._handler()
        try:
            handler.connect()
        except SlackApiError as e:
            self._failed(f"Slack said {e.response.get('error')}", hint=True)
            return False
        except Exception as e:  # network, TLS, websocket: a connection attempt's failures
            self._failed(f"{type(e).__name__}: {e}", hint=False)
            return False
        self.handler, self.failures = handler, 0
        self._record("connected")
        logger.info("Slack Socket Mode connected: buttons are handled by this daemon")
        return True

    def _handler(self) -> SocketModeHandler:
        client = WebClient(token=self.bot_token, base_url=self.slack.base_url,
                           timeout=int(self.slack.timeout))
        # no auth.test at startup: the daemon must come up even while Slack is unreachable
        app = build_bolt_app(store=self.store, settings=self.slack, client=client,
                             signing_secret="", token_verification=False,
                             publishing=self.publishing)
        # apps.connections.open goes to the configured base_url too (GovSlack, tests)
        opener = WebClient(base_url=self.slack.base_url, timeout=int(self.slack.timeout))
        return SocketModeHandler(app, app_token=self.app_token, web_client=opener,
                                 logger=logging.getLogger("monitor.slack.socket_mode"))

    def _failed(self, error: str, *, hint: bool) -> None:
        self.failures += 1
        self._last_error = error
        extra = (": check SLACK_APP_TOKEN (an app-level xapp- token with connections:write) "
                 "and that Socket Mode is enabled for the app") if hint else ""
        logger.error("Slack Socket Mode could not start (%s)%s; posting goes on, buttons will "
                     "not answer until it connects (retrying)", error.removeprefix("Slack said "),
                     extra)

    def _drop(self) -> None:
        if self.handler is not None:
            try:
                self.handler.close()
            except Exception:  # closing a broken connection may fail; we replace it anyway
                logger.debug("closing the lost Socket Mode connection failed", exc_info=True)
        self.handler = None

    def _delay(self) -> float:
        return backoff_delay(self.failures, base=self.retry_base, cap=self.retry_max,
                             rng=self.rng)

    def _record(self, state: str, **detail: Any) -> None:
        """Write the state for `status` when it changes (and every retry's error)."""
        if state == self._state and state in ("connected", "stopped"):
            return
        since = utcnow() if state != self._state else None
        self._state = state
        value = {"state": state, "failures": self.failures, **detail}
        previous = self.store.kv_get(SOCKET_STATUS_KEY) or {}
        value["since"] = since or previous.get("since") or utcnow()
        try:
            self.store.kv_set(SOCKET_STATUS_KEY, value)
        except Exception:  # the database being down must not stop the connection's upkeep
            logger.warning("could not record the Socket Mode state", exc_info=True)


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
