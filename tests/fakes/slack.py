"""A fake Slack Web API on loopback, driven by the real slack_sdk WebClient."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes import blockkit
from tests.fakes.server import FakeServer, Request, Response
from tests.fakes.slack_faults import Chaos, Fault

BOT = "U0BOT00001"


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    user: str = BOT  # who wrote it (chatter from people in a busy channel has another id)

    @property
    def key(self) -> str | None:
        """The outbox key in the message's metadata, if it carries one."""
        return ((self.metadata or {}).get("event_payload") or {}).get("outbox_key")


class FakeSlack:
    """Holds channels and messages; `fail(method, ...)` queues failures for the next calls."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.channels: dict[str, str] = {"social-care": "C0SOCIAL01", "marketing": "C0MARKET01",
                                         "care-parcelly": "C0PARCEL01", "care-lumo": "C0LUMO0001",
                                         "care-brewbird": "C0BREWB001"}
        self.messages: list[Message] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.private: set[str] = set()  # channel ids conversations.join refuses
        self.outside: set[str] = set()  # channel ids the bot is not a member of
        self.usergroups: dict[str, list[str]] = {}  # user group id -> member user ids
        self.scopes = ("chat:write,channels:history,groups:history,channels:read,groups:read,"
                       "channels:join,files:write,usergroups:read,users:read")
        self.auth_error: str | None = None  # e.g. "invalid_auth": every call answers it
        self.chaos: Chaos | None = None
        self.on_post: Callable[[Message], None] | None = None  # called once a post is stored
        self._failures: dict[str, deque[Fault]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        server.route("POST", "/api/*", self._handle)
        server.route("GET", "/api/*", self._handle)
        server.route("POST", "/upload/*", self._upload)

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/api/"

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             headers: dict[str, str] | None = None, times: int = 1, delay: float = 0.0,
             after: bool = False, drop: bool = False) -> None:
        """Queue `times` failures of `method` (see Fault: `after` = Slack did it first)."""
        fault = Fault(status=status, error=error, headers=headers or {}, delay=delay,
                      after=after, drop=drop)
        self._failures.setdefault(method, deque()).extend([fault] * times)

    def chatter(self, channel_id: str, n: int, *, thread_ts: str | None = None) -> None:
        """`n` messages from people (no metadata): a busy channel."""
        with self._lock:
            for i in range(n):
                self.messages.append(Message(channel=channel_id, ts=self._next_ts(),
                                             text=f"chatter {i}", blocks=[],
                                             thread_ts=thread_ts, user="U0PERSON01"))

    def by_key(self, key: str) -> list[Message]:
        """Every message posted under outbox key `key` (more than one is a duplicate)."""
        return [m for m in self.messages if m.key == key]

    def shared_in(self, file: dict[str, Any]) -> Message:
        """The message that shared `file` (it links the file's permalink)."""
        return next(m for m in self.messages if m.ts == file.get("message_ts"))

    def posted(self, channel_id: str | None = None, *, top_level: bool | None = None
               ) -> list[Message]:
        out = [m for m in self.messages if channel_id in (None, m.channel) and m.user == BOT]
        if top_level is not None:
            out = [m for m in out if (m.thread_ts is None) == top_level]
        return out

    # -- request handling ---------------------------------------------------------------

    @staticmethod
    def _params(req: Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[0] for k, v in req.query.items()}
        ctype = req.headers.get("content-type", "")
        if req.body:
            if "json" in ctype:
                params.update(req.json())
            else:
                params.update({k: v[0] for k, v in parse_qs(req.body.decode()).items()})
        for key in ("blocks", "metadata", "attachments", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _handle(self, req: Request) -> Response:
        method = req.path.removeprefix("/api/")
        params = self._params(req)
        with self._lock:
            self.calls.append((method, params))
            queued = self._failures.get(method)
            fault = queued.popleft() if queued else (
                self.chaos.pick(method) if self.chaos else None)
        if fault is not None and not fault.after:
            return fault.answer()
        done = self._serve(method, params, req)
        return fault.answer(done) if fault is not None else done

    def _serve(self, method: str, params: dict[str, Any], req: Request) -> Response:
        if req.headers.get("authorization", "") in ("", "Bearer "):
            return Response(200, {"ok": False, "error": "not_authed"})
        if self.auth_error:
            return Response(200, {"ok": False, "error": self.auth_error})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return Response(200, {"ok": False, "error": "unknown_method"})
        return handler(params)

    def _channel(self, ref: str) -> str | None:
        if ref in self.channels.values():
            return ref
        return self.channels.get(ref.lstrip("#"))

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"  # like Slack: epoch seconds

    def _auth_test(self, p: dict[str, Any]) -> Response:
        return Response(200, {"ok": True, "url": "https://fake.slack.com/", "team": "Fake",
                              "user": "brand-monitor", "team_id": "T0FAKE0001",
                              "user_id": "U0BOT00001", "bot_id": "B0BOT00001",
                              "is_enterprise_install": False},
                        headers={"X-OAuth-Scopes": self.scopes})

    def _chat_postEphemeral(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        with self._lock:
            self.ephemerals.append({**p, "channel": channel})
        return Response(200, {"ok": True, "message_ts": self._next_ts()})

    @staticmethod
    def _invalid(p: dict[str, Any]) -> Response | None:
        if len(str(p.get("text") or "")) > blockkit.MAX_MESSAGE_TEXT:
            return Response(200, {"ok": False, "error": "msg_too_long"})
        errors = blockkit.problems(p.get("blocks"))
        if errors:
            return Response(200, {"ok": False, "error": "invalid_blocks", "errors": errors,
                                  "response_metadata": {"messages": errors}})
        return None

    def _chat_postMessage(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if channel in self.outside:
            return Response(200, {"ok": False, "error": "not_in_channel"})
        invalid = self._invalid(p)
        if invalid:
            return invalid
        with self._lock:
            ts = self._next_ts()
            msg = Message(channel=channel, ts=ts, text=p.get("text", ""),
                          blocks=p.get("blocks") or [], thread_ts=p.get("thread_ts"),
                          metadata=p.get("metadata"), raw=p)
            self.messages.append(msg)
            for f in self.files:  # a file the bot links in its message is shared there
                if f.get("completed") and self._permalink(f) in msg.text:
                    f["channel"], f["message_ts"] = channel, ts
        if self.on_post:
            self.on_post(msg)
        return Response(200, {"ok": True, "channel": channel, "ts": ts,
                              "message": {"type": "message", "text": msg.text, "ts": ts,
                                          "bot_id": "B0BOT00001"}})

    def _chat_update(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        invalid = self._invalid(p)
        if invalid:
            return invalid
        for m in self.messages:
            if m.channel == channel and m.ts == p.get("ts"):
                m.updates.append(p)
                m.text, m.blocks = p.get("text", m.text), p.get("blocks") or m.blocks
                return Response(200, {"ok": True, "channel": channel, "ts": m.ts})
        return Response(200, {"ok": False, "error": "message_not_found"})

    def _history(self, msgs: list[Message], p: dict[str, Any], *, newest_first: bool = True
                 ) -> Response:
        """One page of `msgs` inside (oldest, latest), `limit` at a time, with a cursor."""
        oldest = float(p.get("oldest") or 0)
        latest = float(p.get("latest") or "inf")
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        with_meta = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = max(1, min(int(p.get("limit") or 100), 999))
        start = int(base64.b64decode(p["cursor"]).decode().split(":")[1]) \
            if p.get("cursor") else 0
        inside = [m for m in sorted(msgs, key=lambda m: float(m.ts), reverse=newest_first)
                  if (oldest <= float(m.ts) <= latest if inclusive
                      else oldest < float(m.ts) < latest)]
        out = []
        for m in inside[start:start + limit]:
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text,
                                    "user": m.user}
            if m.thread_ts:
                item["thread_ts"] = m.thread_ts
            if with_meta and m.metadata:
                item["metadata"] = m.metadata
            out.append(item)
        more = start + limit < len(inside)
        cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
        return Response(200, {"ok": True, "messages": out, "has_more": more,
                              "response_metadata": {"next_cursor": cursor}})

    def _conversations_history(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        return self._history([m for m in self.messages
                              if m.channel == channel and m.thread_ts is None], p)

    def _conversations_replies(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        ts = p.get("ts")
        if not any(m.channel == channel and m.ts == ts for m in self.messages):
            return Response(200, {"ok": False, "error": "thread_not_found"})
        # like Slack: the parent first, then its replies, oldest first
        return self._history([m for m in self.messages if m.channel == channel
                              and (m.thread_ts == ts or m.ts == ts)], p, newest_first=False)

    def _conversations_list(self, p: dict[str, Any]) -> Response:
        chans = [{"id": cid, "name": name, "is_channel": True, "is_private": cid in
                  self.private, "is_archived": False, "is_member": cid not in self.outside}
                 for name, cid in self.channels.items()]
        return Response(200, {"ok": True, "channels": chans,
                              "response_metadata": {"next_cursor": ""}})

    def _conversations_join(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if "channels:join" not in self.scopes.split(","):
            return Response(200, {"ok": False, "error": "missing_scope", "needed": "channels:join"})
        if channel in self.private:
            return Response(200, {"ok": False, "error": "method_not_supported_for_channel_type"})
        self.outside.discard(channel)
        return Response(200, {"ok": True, "channel": {"id": channel, "is_member": True}})

    def _usergroups_list(self, p: dict[str, Any]) -> Response:
        return Response(200, {"ok": True, "usergroups": [
            {"id": "S0ONCALL01", "handle": "care-oncall", "name": "Care on-call",
             "is_usergroup": True}]})

    def _usergroups_users_list(self, p: dict[str, Any]) -> Response:
        group = str(p.get("usergroup", ""))
        if "usergroups:read" not in self.scopes.split(","):
            return Response(200, {"ok": False, "error": "missing_scope",
                                  "needed": "usergroups:read"})
        if group not in self.usergroups:
            return Response(200, {"ok": False, "error": "no_such_subteam"})
        return Response(200, {"ok": True, "users": list(self.usergroups[group])})

    def _apps_connections_open(self, p: dict[str, Any]) -> Response:
        url = getattr(self, "socket_url", None)
        if url is None:
            return Response(200, {"ok": False, "error": "not_allowed_token_type"})
        return Response(200, {"ok": True, "url": url})

    def _permalink(self, f: dict[str, Any]) -> str:
        return f"https://fake.slack.com/files/{BOT}/{f['id']}/{f['filename']}"

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> Response:
        with self._lock:
            file_id = f"F0FILE{len(self.files):04d}"
            self.files.append({"id": file_id, "filename": p.get("filename"),
                               "length": int(p.get("length", 0)), "data": b""})
        return Response(200, {"ok": True, "file_id": file_id,
                              "upload_url": f"{self.server.url}/upload/{file_id}"})

    def _upload(self, req: Request) -> Response:
        file_id = req.path.rsplit("/", 1)[-1]
        for f in self.files:
            if f["id"] == file_id:
                f["data"] = req.body
        return Response(200, "OK - uploaded", headers={"Content-Type": "text/plain"})

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> Response:
        """Without channel_id the file stays private to the bot (shared by a message that
        links it); with one it is shared there at once, under initial_comment."""
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        channel = self._channel(str(p.get("channel_id", ""))) if p.get("channel_id") else None
        done = []
        for f in self.files:
            if any(x.get("id") == f["id"] for x in files):
                f["completed"] = True
                f["title"] = next((x.get("title") for x in files if x.get("id") == f["id"]),
                                  None)
                if channel:
                    f["channel"] = channel
                    f["initial_comment"] = p.get("initial_comment")
                done.append({"id": f["id"], "name": f["filename"], "title": f["title"],
                             "permalink": self._permalink(f), "channels": [], "shares": {}})
        return Response(200, {"ok": True, "files": done})

    def _views_open(self, p: dict[str, Any]) -> Response:
        return Response(200, {"ok": True, "view": {"id": "V0VIEW0001", **(p.get("view") or {})}})
