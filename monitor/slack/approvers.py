"""Who may approve a reply: members of a Slack user group, asked of Slack and cached briefly."""

from __future__ import annotations

import threading
import time
import urllib.error
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.errors import DeliveryError

TTL = 60.0  # seconds a group's member list is trusted; a removed approver loses rights soon


class ApproverGroups:
    """`is_member(group, user)` through usergroups.users.list (scope usergroups:read), each
    group's members cached for `ttl` seconds. Fails closed: an error raises DeliveryError and
    nobody is treated as a member."""

    def __init__(self, client: WebClient, *, ttl: float = TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group: str) -> frozenset[str]:
        now = self.clock()
        with self._lock:
            cached = self._members.get(group)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        try:
            resp = self.client.usergroups_users_list(usergroup=group, include_disabled=False)
        except SlackApiError as e:
            error = e.response.get("error") if hasattr(e.response, "get") else None
            raise DeliveryError(str(error or f"HTTP {e.response.status_code}"),
                                retryable=False) from e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise DeliveryError(f"network error ({e})") from e
        users = frozenset(str(u) for u in resp.get("users") or [])
        with self._lock:
            self._members[group] = (now, users)
        return users

    def is_member(self, group: str, user: str) -> bool:
        return user in self.members(group)
