"""A fake Slack Web API on loopback, driven by the real slack_sdk WebClient."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.server import FakeServer, Request, Response


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
        self._failures: dict[str, deque[Response]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        server.route("POST", "/api/*", self._handle)
        server.route("GET", "/api/*", self._handle)
        server.route("POST", "/upload/*", self._upload)

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/api/"

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             headers: dict[str, str] | None = None, times: int = 1, delay: float = 0.0) -> None:
        body: Any = {"ok": False, "error": error} if error else ""
        resp = Response(status=status, body=body, headers=headers or {}, delay=delay)
        self._failures.setdefault(method, deque()).extend([resp] * times)

    def posted(self, channel_id: str | None = None, *, top_level: bool | None = None
               ) -> list[Message]:
        out = [m for m in self.messages if channel_id in (None, m.channel)]
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
            if queued:
                return queued.popleft()
        if req.headers.get("authorization", "") in ("", "Bearer "):
            return Response(200, {"ok": False, "error": "not_authed"})
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

    def _chat_postMessage(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if channel in self.outside:
            return Response(200, {"ok": False, "error": "not_in_channel"})
        ts = self._next_ts()
        msg = Message(channel=channel, ts=ts, text=p.get("text", ""),
                      blocks=p.get("blocks") or [], thread_ts=p.get("thread_ts"),
                      metadata=p.get("metadata"), raw=p)
        with self._lock:
            self.messages.append(msg)
        return Response(200, {"ok": True, "channel": channel, "ts": ts,
                              "message": {"type": "message", "text": msg.text, "ts": ts,
                                          "bot_id": "B0BOT00001"}})

    def _chat_update(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        for m in self.messages:
            if m.channel == channel and m.ts == p.get("ts"):
                m.updates.append(p)
                m.text, m.blocks = p.get("text", m.text), p.get("blocks") or m.blocks
                return Response(200, {"ok": True, "channel": channel, "ts": m.ts})
        return Response(200, {"ok": False, "error": "message_not_found"})

    def _history(self, msgs: list[Message], p: dict[str, Any]) -> Response:
        oldest = float(p.get("oldest") or 0)
        with_meta = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        out = []
        for m in sorted(msgs, key=lambda m: m.ts, reverse=True):
            if float(m.ts) < oldest:
                continue
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if with_meta and m.metadata:
                item["metadata"] = m.metadata
            out.append(item)
        return Response(200, {"ok": True, "messages": out, "has_more": False})

    def _conversations_history(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        return self._history([m for m in self.messages
                              if m.channel == channel and m.thread_ts is None], p)

    def _conversations_replies(self, p: dict[str, Any]) -> Response:
        channel = self._channel(str(p.get("channel", "")))
        return self._history([m for m in self.messages
                              if m.channel == channel and m.thread_ts == p.get("ts")], p)

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

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> Response:
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
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        channel = self._channel(str(p.get("channel_id", "")))
        for f in self.files:
            if any(x.get("id") == f["id"] for x in files):
                f["channel"] = channel
                f["initial_comment"] = p.get("initial_comment")
                f["title"] = next((x.get("title") for x in files if x.get("id") == f["id"]),
                                  None)
        return Response(200, {"ok": True, "files": [{"id": x.get("id")} for x in files]})

    def _views_open(self, p: dict[str, Any]) -> Response:
        return Response(200, {"ok": True, "view": {"id": "V0VIEW0001", **(p.get("view") or {})}})
