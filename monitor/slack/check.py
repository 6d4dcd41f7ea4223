"""Onboarding check: is the token good, are the scopes there, can the bot post where routed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.slack import copy

if TYPE_CHECKING:
    from monitor.config import Settings

logger = logging.getLogger(__name__)

# What the app calls, and the scope each call needs (deploy/slack-app-manifest.yaml has them).
REQUIRED_SCOPES = {
    "chat:write": "post and update case messages",
    "channels:read": "resolve #channel names",
    "groups:read": "resolve private #channel names",
    "channels:history": "find a message after a crash (no double posts) in public channels",
    "groups:history": "the same in private channels",
}
OPTIONAL_SCOPES = {
    "channels:join": "join public channels by itself instead of waiting for /invite",
    "files:write": "upload the weekly digest chart",
    "usergroups:read": "check slack.oncall_group here",
}


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    text: str
    fatal: bool = False  # a problem that blocks delivery entirely


def _error(e: SlackApiError) -> str:
    return str(e.response.get("error") or f"HTTP {e.response.status_code}")


def _unreachable(client: WebClient, e: OSError) -> Finding:
    reason = getattr(e, "reason", None) or e.strerror or e
    return Finding(False, copy.CHECK["unreachable"].format(url=client.base_url, error=reason),
                   fatal=True)


def routed_channels(settings: Settings) -> list[str]:
    """Every channel a case may be posted to: the config's and the rules files' routing."""
    channels = [settings.slack.default_channel, *settings.slack.channels.values(),
                *settings.slack.channels_by_language.values()]
    try:
        from monitor.rules.loader import load_rules

        for brand in load_rules(settings.rules_dir).brands:
            channels.extend(brand.channels.values())
    except Exception as e:  # broken or missing rules are `rules check`'s to report, not ours
        logger.debug("rules not read for the channel check: %s", e)
    return list(dict.fromkeys(c for c in channels if c))


def run_check(client: WebClient, settings: Settings, *, app_token: str | None,
              signing_secret: str | None) -> list[Finding]:
    out: list[Finding] = []
    try:
        auth = client.auth_test()
    except SlackApiError as e:
        return [Finding(False, copy.CHECK["auth_failed"].format(error=_error(e)), fatal=True)]
    except OSError as e:  # DNS, refused, timeout, TLS: urllib's errors are OSErrors
        return [_unreachable(client, e)]
    out.append(Finding(True, copy.CHECK["auth_ok"].format(user=auth.get("user"),
                                                           team=auth.get("team"))))
    header = {k.lower(): v for k, v in (auth.headers or {}).items()}.get("x-oauth-scopes")
    granted = {s.strip() for s in str(header or "").split(",") if s.strip()}
    if header is not None:
        for scope, why in REQUIRED_SCOPES.items():
            if scope not in granted:
                out.append(Finding(False, copy.CHECK["scope_missing"].format(scope=scope, why=why),
                                   fatal=True))
        for scope, why in OPTIONAL_SCOPES.items():
            if scope not in granted:
                out.append(Finding(True, copy.CHECK["scope_optional"].format(scope=scope,
                                                                              why=why)))
    try:
        out.extend(_channels(client, routed_channels(settings),
                             can_join="channels:join" in granted))
        if settings.slack.oncall_group:
            out.append(_group(client, settings.slack.oncall_group))
        if settings.replies.approval:  # approvers are looked up with usergroups:read
            if header is not None and "usergroups:read" not in granted:
                out.append(Finding(False, copy.CHECK["approval_scope"]))
            else:
                for group in dict.fromkeys(rule.group for rule in settings.replies.approval):
                    out.append(_approvers(client, group))
    except OSError as e:  # Slack went away half-way through
        out.append(_unreachable(client, e))
        return out
    out.append(_buttons(settings, app_token=app_token, signing_secret=signing_secret))
    return out


def _buttons(settings: Settings, *, app_token: str | None, signing_secret: str | None
             ) -> Finding:
    """How the buttons will be answered; nothing answering them is a failure (the messages
    post, but Claim, Mark handled … do nothing)."""
    if app_token and settings.slack.socket_mode:
        return Finding(True, copy.CHECK["socket_mode"])
    if signing_secret:
        return Finding(True, copy.CHECK["http_mode"])
    return Finding(False, copy.CHECK["no_interactivity"])


def _channels(client: WebClient, wanted: list[str], *, can_join: bool) -> list[Finding]:
    known: dict[str, dict[str, object]] = {}
    try:
        cursor = None
        while True:
            resp = client.conversations_list(limit=200, cursor=cursor, exclude_archived=True,
                                             types="public_channel,private_channel")
            for ch in resp.get("channels") or []:
                known[str(ch["name"])] = ch
                known[str(ch["id"])] = ch
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as e:
        return [Finding(False, copy.CHECK["list_failed"].format(error=_error(e)))]
    out = []
    for channel in wanted:
        ch = known.get(channel.lstrip("#"))
        if ch is None:
            out.append(Finding(False, copy.CHECK["channel_missing"].format(channel=channel)))
        elif ch.get("is_member"):
            out.append(Finding(True, copy.CHECK["channel_ok"].format(channel=channel)))
        elif not ch.get("is_private") and can_join:
            out.append(Finding(True, copy.CHECK["channel_join"].format(channel=channel)))
        else:
            out.append(Finding(False, copy.CHECK["channel_invite"].format(channel=channel)))
    return out


def _approvers(client: WebClient, group: str) -> Finding:
    """A replies.approval group: it must exist and have members, or no reply is ever sent."""
    try:
        users = client.usergroups_users_list(usergroup=group).get("users") or []
    except SlackApiError as e:
        return Finding(False, copy.CHECK["approvers_missing"].format(group=group,
                                                                      error=_error(e)))
    if not users:
        return Finding(False, copy.CHECK["approvers_empty"].format(group=group))
    return Finding(True, copy.CHECK["approvers_ok"].format(group=group, n=len(users)))


def _group(client: WebClient, group: str) -> Finding:
    try:
        groups = client.usergroups_list().get("usergroups") or []
    except SlackApiError as e:
        return Finding(True, copy.CHECK["group_unchecked"].format(group=group, error=_error(e)))
    for g in groups:
        if group in (g.get("id"), g.get("handle"), "@" + str(g.get("handle"))):
            if g.get("id") == group:
                return Finding(True, copy.CHECK["group_ok"].format(group=group,
                                                                    handle=g.get("handle")))
            return Finding(False, copy.CHECK["group_use_id"].format(group=group, id=g.get("id")))
    return Finding(False, copy.CHECK["group_missing"].format(group=group))
