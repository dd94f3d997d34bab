"""Slack through `slack-sdk`'s WebClient: one parent message per incident, thread replies.

The client has no retry handlers (this application's policy owns retries) and its proxy is
chosen here, honouring NO_PROXY, because slack-sdk reads HTTP(S)_PROXY but ignores NO_PROXY.
Messages carry metadata naming the incident (and the event), so a post whose answer was lost
can be found in the channel's history instead of being posted twice.

It also reads the incident channel for reports (`pull.py`), claims a report with a reaction, and
keeps the pinned known-issues list (`known_issues_pin.py`): answers such as `already_pinned`,
`already_reacted` and `message_not_found` are facts for those callers, not failures.
"""

from __future__ import annotations

import http.client
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oncall.sync.errors import Permanent, Transient
from oncall.sync.messages import PARENT_EVENT_TYPE, REPLY_EVENT_TYPE
from oncall.sync.retry import MAX_REFUSALS_PER_CALL, RateGate, call_through_gate, parse_retry_after
from oncall.workspace.secrets import SLACK_TOKEN_ENV, Secret
from oncall.workspace.sync_config import SlackConfig

T = TypeVar("T")

# Errors no retry can fix, and what to do about each.
_FIXES = {
    "invalid_auth": f"the token is not valid: check {SLACK_TOKEN_ENV}",
    "not_authed": f"no token was sent: set {SLACK_TOKEN_ENV}",
    "account_inactive": f"the token's account is deactivated: make a new token and set {SLACK_TOKEN_ENV}",
    "token_revoked": f"the token was revoked: make a new one and set {SLACK_TOKEN_ENV}",
    "token_expired": f"the token expired: make a new one and set {SLACK_TOKEN_ENV}",
    "missing_scope": "the Slack app lacks a scope it needs (chat:write, channels:history, channels:read; for reports "
                     "and the known-issues list also reactions:write, pins:read, pins:write)",
    "channel_not_found": "no such channel: check [slack] channel in oncall.toml (and invite the bot to it)",
    "not_in_channel": "the bot is not in the channel: invite it with /invite @your-bot",
    "is_archived": "the channel is archived: pick another [slack] channel in oncall.toml",
}
_WHOLE_TARGET = set(_FIXES)


def proxy_for(url: str) -> str | None:
    """The proxy urllib would use for `url`, honouring NO_PROXY (which slack-sdk ignores)."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.request.getproxies().get(parts.scheme)


@dataclass(frozen=True)
class SlackIdentity:
    """Who the token is (`auth.test`): this app's user and bot, and the workspace's address."""

    user_id: str
    bot_id: str
    url: str  # https://acme.slack.com/


class SlackAdapter:
    def __init__(self, config: SlackConfig, token: Secret, gate: RateGate) -> None:
        self.config = config
        self.token = token
        self.gate = gate
        self.client = WebClient(
            token=token.reveal(), base_url=config.api_url, timeout=config.timeout, retry_handlers=[],
        )
        # Set after construction: given None, WebClient falls back to HTTP(S)_PROXY from the environment.
        self.client.proxy = proxy_for(config.api_url)
        self._channel_ids: dict[str, str] = {}  # channel name (or id) -> id, looked up once
        self._identity: SlackIdentity | None = None
        self._lock = threading.Lock()

    def call(self, action: Callable[[], T], what: str = "", tries: int = MAX_REFUSALS_PER_CALL) -> T:
        return call_through_gate(self.gate, action, _refused_for, lambda error: self._translate(error, what), "Slack",
                                 tries)

    def _translate(self, error: Exception, what: str) -> Exception | None:
        where = _during(what)
        if isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError):
            return Transient(f"Slack did not answer within {self.config.timeout:g} s{where}", uncertain=True)
        if isinstance(error, (OSError, http.client.HTTPException)):  # URLError, RemoteDisconnected, resets
            return Transient(f"cannot reach Slack at {self.config.api_url}{where}: {type(error).__name__}",
                             uncertain=True)
        if not isinstance(error, SlackApiError):
            return None
        status, data = error.response.status_code, error.response.data
        code = str(data.get("error", "")) if isinstance(data, dict) else ""
        needed = str(data.get("needed") or "") if isinstance(data, dict) else ""
        if code == "missing_scope" and needed:
            return Permanent(f"Slack said missing_scope{where}: the Slack app lacks the scope {needed} (add it to the "
                             "app's bot token scopes and reinstall the app)", whole_target=True)
        if code in _FIXES:
            return Permanent(f"Slack said {code}{where}: {_FIXES[code]}", whole_target=code in _WHOLE_TARGET)
        if status >= 500 or code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
            return Transient(f"Slack answered HTTP {status} {code}{where}".rstrip(), uncertain=True)
        return Permanent(f"Slack said {code or f'HTTP {status}'}{where}")

    # -- the channel -------------------------------------------------------------------------

    def channel_id(self) -> str:
        """The incident channel's id; a name (`#data-incidents`) is looked up once with conversations.list."""
        return self._id_of(self.config.channel_name, "[slack] channel")

    def stakeholder_channel_id(self) -> str:
        """The stakeholder channel's id (`[slack] stakeholder_channel`), looked up the same way."""
        return self._id_of(self.config.stakeholder_channel.lstrip("#"), "[slack] stakeholder_channel")

    def drill_channel_id(self, channel: str) -> str:
        """The drill channel's id (`[drills] slack_channel`, passed in), looked up the same way.
        Refused if it is the incident or the stakeholder channel: a drill reaches no real channel."""
        found = self._id_of(channel.lstrip("#"), "[drills] slack_channel")
        real = {self.channel_id(): "[slack] channel"}
        if self.config.stakeholder_channel:
            real[self.stakeholder_channel_id()] = "[slack] stakeholder_channel"
        if found in real:
            raise Permanent(f"[drills] slack_channel is the same channel as {real[found]}: drills must go to a "
                            "channel of their own (set another [drills] slack_channel in oncall.toml)")
        return found

    def known_issues_channel_id(self) -> str:
        """Where the pinned known-issues list goes (`[slack] known_issues_channel`, else the incident channel)."""
        if not self.config.known_issues_channel:
            return self.channel_id()
        return self._id_of(self.config.known_issues_channel_name, "[slack] known_issues_channel")

    def identity(self) -> SlackIdentity:
        """This app's user and bot ids and the workspace's address, asked once (`auth.test`)."""
        if self._identity is None:
            answer = self.call(lambda: self.client.auth_test(), "asking Slack who the token is")
            self._identity = SlackIdentity(str(answer.get("user_id") or ""), str(answer.get("bot_id") or ""),
                                           str(answer.get("url") or ""))
        return self._identity

    def _id_of(self, wanted: str, key: str) -> str:
        with self._lock:
            if wanted not in self._channel_ids:
                self._channel_ids[wanted] = self._resolve_channel(wanted, key)
            return self._channel_ids[wanted]

    def _resolve_channel(self, wanted: str, key: str) -> str:
        if wanted[:1] in ("C", "G") and wanted.isupper() and wanted.isalnum():
            return wanted
        cursor = None
        while True:
            page = self.call(lambda: self.client.conversations_list(
                cursor=cursor, limit=200, exclude_archived=True, types="public_channel,private_channel",
            ), "looking up the channel")
            for channel in page.get("channels", []):
                if channel.get("name") == wanted:
                    return channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise Permanent(f"Slack has no channel named #{wanted} that the bot can see: check {key} in "
                                "oncall.toml (and invite the bot to it)", whole_target=True)

    # -- messages ----------------------------------------------------------------------------

    def post_parent(self, text: str, metadata: dict, channel: str = "") -> tuple[str, str]:
        """The incident's parent message, in `channel` (an id; the incident channel by default)."""
        answer = self.call(lambda: self.client.chat_postMessage(
            channel=channel or self.channel_id(), text=text, metadata=metadata, unfurl_links=False, unfurl_media=False,
        ), "posting the incident message")
        return answer["channel"], answer["ts"]

    def update_parent(self, channel: str, ts: str, text: str) -> None:
        self.call(lambda: self.client.chat_update(channel=channel, ts=ts, text=text), "updating the incident message")

    def permalink(self, channel: str, ts: str) -> str:
        answer = self.call(lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts),
                           "reading the incident message's address", tries=1)  # for a link, which can wait
        return str(answer["permalink"])

    def post_reply(self, channel: str, parent_ts: str, text: str, metadata: dict, broadcast: bool) -> str:
        answer = self.call(lambda: self.client.chat_postMessage(
            channel=channel, thread_ts=parent_ts, text=text, metadata=metadata, reply_broadcast=broadcast,
            unfurl_links=False, unfurl_media=False,
        ), "posting a thread reply")
        return answer["ts"]

    def post_message(self, channel: str, text: str, metadata: dict, what: str) -> str:
        """A top-level message in `channel` (an id); its ts."""
        answer = self.call(lambda: self.client.chat_postMessage(
            channel=channel, text=text, metadata=metadata, unfurl_links=False, unfurl_media=False,
        ), what)
        return answer["ts"]

    def find_parent(self, label: str, oldest: float, channel: str = "") -> tuple[str, str] | None:
        """An earlier parent message for the incident labelled `label`, posted after `oldest`, in
        `channel` (an id; the incident channel by default)."""
        channel = channel or self.channel_id()
        found = self.find_message(channel, PARENT_EVENT_TYPE, "label", label, oldest)
        return (channel, found) if found else None

    def find_message(self, channel: str, event_type: str, key: str, value: str, oldest: float) -> str | None:
        """The ts of a top-level message in `channel` posted after `oldest` whose metadata has
        `event_type` and `key` = `value`."""
        cursor = None
        while True:
            page = self.call(lambda: self.client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True, cursor=cursor,
            ), "looking for an earlier incident message")
            for message in page.get("messages", []):
                if _metadata_matches(message, event_type, key, value):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None

    def find_reply(self, channel: str, parent_ts: str, marker: str, event_type: str = REPLY_EVENT_TYPE) -> str | None:
        cursor = None
        while True:
            page = self.call(lambda: self.client.conversations_replies(
                channel=channel, ts=parent_ts, limit=200, include_all_metadata=True, cursor=cursor,
            ), "looking for an earlier thread reply")
            for message in page.get("messages", []):
                if _metadata_matches(message, event_type, "event", marker):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None


    # -- reading the channel, reactions and pins ----------------------------------------------

    def history(self, channel: str, oldest: float, what: str = "reading the channel") -> list[dict[str, Any]]:
        """Every top-level message (and broadcast reply) in `channel` posted after `oldest`,
        newest first, with its reactions and reply counts, page after page."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.call(lambda: self.client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", limit=200, cursor=cursor,
            ), what)
            found += [message for message in page.get("messages", []) if isinstance(message, dict)]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return found

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One top-level message, with its metadata; None if it is not there (any more)."""
        page = self.call(lambda: self.client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1, include_all_metadata=True,
        ), "reading a message")
        return next((m for m in page.get("messages", []) if isinstance(m, dict) and m.get("ts") == ts), None)

    def react(self, channel: str, ts: str, name: str) -> str:
        """Add this app's reaction `name` to a message: "" when added, else `already_reacted` (it
        was there) or `message_not_found` (the message is gone)."""
        answer = self.call(lambda: _answer_or_code(lambda: self.client.reactions_add(
            channel=channel, timestamp=ts, name=name), {"already_reacted", "message_not_found"}),
            "reacting to a report")
        return answer if isinstance(answer, str) else ""

    def update_message(self, channel: str, ts: str, text: str, what: str) -> bool:
        """Edit one of this app's messages; False if it is gone (deleted, or not editable by this app)."""
        answer = self.call(lambda: _answer_or_code(lambda: self.client.chat_update(
            channel=channel, ts=ts, text=text), {"message_not_found", "cant_update_message"}), what)
        return not isinstance(answer, str)

    def pin(self, channel: str, ts: str) -> bool:
        """Pin a message (pinned already is fine); False if the message is gone."""
        answer = self.call(lambda: _answer_or_code(lambda: self.client.pins_add(
            channel=channel, timestamp=ts), {"already_pinned", "message_not_found"}), "pinning the known-issues list")
        return answer != "message_not_found"

    def pinned_messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages pinned in `channel` (`pins.list`), as it gives them."""
        answer = self.call(lambda: self.client.pins_list(channel=channel), "reading the channel's pinned messages")
        return [item["message"] for item in answer.get("items", [])
                if isinstance(item, dict) and item.get("type") == "message" and isinstance(item.get("message"), dict)]


def _answer_or_code(action: Callable[[], T], codes: set[str]) -> T | str:
    """The answer, or the error code when Slack refused with one of `codes` (facts, not failures)."""
    try:
        return action()
    except SlackApiError as error:
        data = error.response.data
        code = str(data.get("error", "")) if isinstance(data, dict) else ""
        if code in codes:
            return code
        raise


def _refused_for(error: Exception) -> float | None:
    if isinstance(error, SlackApiError) and error.response.status_code == 429:
        return parse_retry_after(error.response.headers.get("Retry-After"))
    return None


def _metadata_matches(message: dict, event_type: str, key: str, value: str) -> bool:
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == event_type and (metadata.get("event_payload") or {}).get(key) == value


def _during(what: str) -> str:
    return f" while {what}" if what else ""
