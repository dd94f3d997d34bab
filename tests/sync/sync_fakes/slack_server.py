"""A stateful Slack Web API on 127.0.0.1: channels, messages with metadata, threads, history,
people's messages and other bots' (tests post them), reactions, pins, edits and deletions.

Errors are HTTP 200 with `{"ok": false, "error": ...}`, rate limits HTTP 429 with Retry-After,
as Slack answers; the slack-sdk client POSTs (JSON or form) or GETs with a query string.

Messages look as Slack gives them: this app's posts carry its `bot_id` and user; a person's has
their `user` only; another integration's has its own `bot_id`; `conversations.history` lists the
top of the channel (with broadcast replies, subtype `thread_broadcast`), newest first, with each
message's `reactions` and reply counts, paged with a cursor."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .base import FakeService, Reply, Request


BOT_USER = "UBOT"  # this app's bot user (auth.test's user_id)
BOT_ID = "B0ONCALLBOT"  # and its bot id


@dataclass
class FakeMessage:
    ts: str
    text: str
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    edits: int = 0
    user: str = BOT_USER
    bot_id: str | None = BOT_ID  # None: a person's message
    subtype: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)  # emoji name -> who reacted, in order
    pinned: bool = False


@dataclass
class FakeChannel:
    id: str
    name: str
    bot_is_member: bool = True
    messages: list[FakeMessage] = field(default_factory=list)

    def message(self, ts: str | None) -> FakeMessage | None:
        return next((m for m in self.messages if m.ts == ts), None)

    def parents(self) -> list[FakeMessage]:
        return [m for m in self.messages if m.thread_ts is None or m.thread_ts == m.ts]

    def listed(self) -> list[FakeMessage]:
        """What conversations.history lists: the top of the channel and replies broadcast to it."""
        return [m for m in self.messages if m.thread_ts is None or m.thread_ts == m.ts or m.reply_broadcast]

    def replies(self, parent_ts: str) -> list[FakeMessage]:
        return [m for m in self.messages if m.thread_ts == parent_ts and m.ts != parent_ts]


class FakeSlack(FakeService):
    name = "slack"

    def __init__(self, *, token: str = "xoxb-slack-secret-token", page_size: int = 100,
                 now: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        # Message timestamps come from this clock (tests pass the clock of the code under test).
        self.now = now
        self.token = token
        self.page_size = page_size
        self.channels: dict[str, FakeChannel] = {}
        self._ts = itertools.count(1)
        self.add_channel("C0INCIDENTS", "data-incidents")

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def add_channel(self, channel_id: str, name: str, bot_is_member: bool = True) -> FakeChannel:
        channel = FakeChannel(channel_id, name, bot_is_member)
        self.channels[channel_id] = channel
        return channel

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> Reply:
        return Reply(200, {"ok": False, "error": "invalid_auth"})

    def unavailable(self) -> Reply:
        return Reply(503, {"ok": False, "error": "service_unavailable"})

    def rate_limited(self, retry_after: int) -> Reply:
        return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})

    def refusal(self, error: str) -> Reply:
        """Slack says no: HTTP 200, `ok: false`, the error code (e.g. `no_permission`)."""
        return Reply(200, {"ok": False, "error": error})

    # -- the API ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        method = request.path.removeprefix("/api/")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return Reply(200, {"ok": False, "error": "unknown_method"})
        return handler(request)

    def _channel(self, request: Request) -> FakeChannel | Reply:
        wanted = str(request.param("channel", "")).lstrip("#")
        channel = self.channels.get(wanted) or next((c for c in self.channels.values() if c.name == wanted), None)
        if channel is None:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if not channel.bot_is_member:
            return Reply(200, {"ok": False, "error": "not_in_channel"})
        return channel

    def _message_json(self, message: FakeMessage, with_metadata: bool, channel: FakeChannel | None = None) -> dict:
        body: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts}
        if message.bot_id:
            body["bot_id"] = message.bot_id
        subtype = message.subtype or ("thread_broadcast" if message.reply_broadcast else None)
        if subtype:
            body["subtype"] = subtype
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        if message.reactions:
            body["reactions"] = [{"name": name, "users": list(users), "count": len(users)}
                                 for name, users in message.reactions.items() if users]
        if message.pinned and channel is not None:
            body["pinned_to"] = [channel.id]
        if channel is not None and message.thread_ts in (None, message.ts):
            replies = channel.replies(message.ts)
            if replies:
                body["thread_ts"] = message.ts
                body["reply_count"] = len(replies)
                body["reply_users"] = sorted({reply.user for reply in replies})
                body["latest_reply"] = replies[-1].ts
        if with_metadata and message.metadata:
            body["metadata"] = message.metadata
        return body

    def _auth_test(self, request: Request) -> Reply:
        return Reply(200, {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "oncall",
                           "team_id": "T0FAKE", "user_id": BOT_USER, "bot_id": BOT_ID})

    def _chat_postMessage(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        metadata = request.param("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = FakeMessage(
            ts=self._next_ts(), text=str(request.param("text", "")), metadata=metadata,
            thread_ts=request.param("thread_ts"), reply_broadcast=bool(request.param("reply_broadcast", False)),
        )
        channel.messages.append(message)
        return Reply(200, {"ok": True, "channel": channel.id, "ts": message.ts,
                           "message": self._message_json(message, with_metadata=True)})

    def _next_ts(self) -> str:
        return f"{int(self.now())}.{next(self._ts):06d}"

    def _chat_getPermalink(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        ts = str(request.param("message_ts", ""))
        if channel.message(ts) is None:
            return Reply(200, {"ok": False, "error": "message_not_found"})
        return Reply(200, {"ok": True, "channel": channel.id, "permalink": self.permalink(ts, channel.id)})

    def _chat_update(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        ts = request.param("ts")
        message = channel.message(ts)
        if message is None:
            return Reply(200, {"ok": False, "error": "message_not_found"})
        if message.bot_id != BOT_ID:  # a person's message, or another app's: not this app's to edit
            return Reply(200, {"ok": False, "error": "cant_update_message"})
        message.text = str(request.param("text", ""))
        message.edits += 1
        return Reply(200, {"ok": True, "channel": channel.id, "ts": ts, "text": message.text,
                           "message": self._message_json(message, with_metadata=False)})

    def _page(self, items: list, request: Request) -> tuple[list, dict]:
        start = int(request.param("cursor") or 0)
        limit = min(int(request.param("limit", self.page_size)), self.page_size)
        page = items[start:start + limit]
        more = start + limit < len(items)
        return page, {"has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _conversations_history(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        inclusive = str(request.param("inclusive", "")).lower() in ("1", "true")
        oldest = float(request.param("oldest", 0) or 0)
        latest = float(request.param("latest", 0) or 0) or float("inf")
        metadata = str(request.param("include_all_metadata", "")).lower() in ("1", "true")

        def within(message: FakeMessage) -> bool:
            ts = float(message.ts)
            return oldest <= ts <= latest if inclusive else oldest < ts < latest

        newest_first = [m for m in reversed(channel.listed()) if within(m)]
        page, paging = self._page(newest_first, request)
        return Reply(200, {"ok": True, "messages": [self._message_json(m, metadata, channel) for m in page],
                           "pin_count": sum(m.pinned for m in channel.messages), "channel_actions_ts": None,
                           "channel_actions_count": 0, **paging})

    def _conversations_replies(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        ts = request.param("ts")
        parent = channel.message(ts)
        if parent is None:
            return Reply(200, {"ok": False, "error": "thread_not_found"})
        metadata = str(request.param("include_all_metadata", "")).lower() in ("1", "true")
        page, paging = self._page([parent, *channel.replies(ts)], request)
        return Reply(200, {"ok": True, "messages": [self._message_json(m, metadata, channel) for m in page], **paging})

    def _message_of(self, request: Request, ts_param: str) -> tuple[FakeChannel, FakeMessage] | Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        message = channel.message(str(request.param(ts_param, "")))
        if message is None:
            return Reply(200, {"ok": False, "error": "message_not_found"})
        return channel, message

    def _reactions_add(self, request: Request) -> Reply:
        found = self._message_of(request, "timestamp")
        if isinstance(found, Reply):
            return found
        _, message = found
        users = message.reactions.setdefault(str(request.param("name", "")), [])
        if BOT_USER in users:
            return Reply(200, {"ok": False, "error": "already_reacted"})
        users.append(BOT_USER)
        return Reply(200, {"ok": True})

    def _pins_add(self, request: Request) -> Reply:
        found = self._message_of(request, "timestamp")
        if isinstance(found, Reply):
            return found
        _, message = found
        if message.pinned:
            return Reply(200, {"ok": False, "error": "already_pinned"})
        message.pinned = True
        return Reply(200, {"ok": True})

    def _pins_list(self, request: Request) -> Reply:
        channel = self._channel(request)
        if isinstance(channel, Reply):
            return channel
        # Newest pin first, as Slack lists them; the message without its metadata (pins.list does
        # not promise it), so the caller reads the message itself to know what it is.
        items = [{"type": "message", "channel": channel.id, "created": int(float(m.ts)), "created_by": BOT_USER,
                  "message": self._message_json(m, with_metadata=False, channel=channel)}
                 for m in reversed(channel.messages) if m.pinned]
        return Reply(200, {"ok": True, "items": items})

    def _conversations_info(self, request: Request) -> Reply:
        wanted = str(request.param("channel", ""))
        channel = self.channels.get(wanted)
        if channel is None:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        return Reply(200, {"ok": True, "channel": {"id": channel.id, "name": channel.name, "is_channel": True,
                                                   "is_member": channel.bot_is_member, "is_archived": False}})

    def _conversations_list(self, request: Request) -> Reply:
        channels = [{"id": c.id, "name": c.name, "is_channel": True, "is_member": c.bot_is_member,
                     "is_archived": False} for c in self.channels.values()]
        page, paging = self._page(channels, request)
        return Reply(200, {"ok": True, "channels": page, "response_metadata": paging["response_metadata"]})

    # -- for tests ---------------------------------------------------------------------------

    def permalink(self, ts: str, channel_id: str = "C0INCIDENTS") -> str:
        return f"https://fake.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"

    def post_as_teammate(self, label: str, text: str, channel_id: str = "C0INCIDENTS") -> FakeMessage:
        """A parent message a teammate's laptop posted for their incident, now (on this fake's clock)."""
        with self.lock:
            message = FakeMessage(ts=self._next_ts(), text=text,
                                  metadata={"event_type": "oncall_incident", "event_payload": {"label": label}})
            self.channels[channel_id].messages.append(message)
            return message

    def parents_in(self, channel_id: str = "C0INCIDENTS") -> list[FakeMessage]:
        with self.lock:
            return list(self.channels[channel_id].parents())

    def post_as_person(self, user: str, text: str, channel_id: str = "C0INCIDENTS", *, thread_ts: str | None = None,
                       subtype: str | None = None, broadcast: bool = False) -> FakeMessage:
        """A message a person wrote (no bot id), now; in a thread with `thread_ts`."""
        return self._add(FakeMessage(ts=self._next_ts(), text=text, thread_ts=thread_ts, reply_broadcast=broadcast,
                                     user=user, bot_id=None, subtype=subtype), channel_id)

    def post_as_other_bot(self, text: str, channel_id: str = "C0INCIDENTS", *, bot_id: str = "B0ALERTSBOT",
                          user: str = "U0ALERTBOT") -> FakeMessage:
        """A message another integration posted (its own bot id and user)."""
        return self._add(FakeMessage(ts=self._next_ts(), text=text, user=user, bot_id=bot_id), channel_id)

    def _add(self, message: FakeMessage, channel_id: str) -> FakeMessage:
        with self.lock:
            self.channels[channel_id].messages.append(message)
            return message

    def react(self, ts: str, name: str, user: str, channel_id: str = "C0INCIDENTS") -> None:
        """`user` reacts to the message with `name` (as a person does, in Slack's own client)."""
        with self.lock:
            message = self.channels[channel_id].message(ts)
            assert message is not None, ts
            users = message.reactions.setdefault(name, [])
            if user not in users:
                users.append(user)

    def delete_message(self, ts: str, channel_id: str = "C0INCIDENTS") -> None:
        """Someone deleted the message (its pin goes with it)."""
        with self.lock:
            channel = self.channels[channel_id]
            channel.messages = [m for m in channel.messages if m.ts != ts]

    def pinned_in(self, channel_id: str = "C0INCIDENTS") -> list[FakeMessage]:
        with self.lock:
            return [m for m in self.channels[channel_id].messages if m.pinned]

    def message_at(self, ts: str, channel_id: str = "C0INCIDENTS") -> FakeMessage | None:
        with self.lock:
            return self.channels[channel_id].message(ts)

    def replies_to(self, parent_ts: str, channel_id: str = "C0INCIDENTS") -> list[FakeMessage]:
        with self.lock:
            return list(self.channels[channel_id].replies(parent_ts))
