"""The pinned known-issues list in Slack, kept current by the sync (docs/slack-reports.md).

Once per pass the list is read (`service/known_issues.py`; drills are never on it). When it says
something new, or an hour has gone by (so its "last checked" line stays true), the pinned
message is edited with `chat.update`: it is never posted again while it can be edited. Only when
there is none yet, or it was deleted (`message_not_found`), is one posted, with metadata naming
it, and pinned (`already_pinned` is fine).

One message per team: a laptop with none on record first looks among the channel's pinned
messages for one this app posted with that metadata (a teammate's laptop's, or its own from
before), and after a post whose answer was lost, in the channel's history since that post, so a
lost answer never makes two. Each laptop edits it when its own view of the list changes.

A problem here (a missing scope, the channel) stops only the list: it waits and tries again,
and `slack_known_issues_problem` in the sync state says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Any, Callable

from oncall.domain.clock import FrozenClock
from oncall.store.db import Database
from oncall.store.intake import SyncState
from oncall.sync.errors import Permanent, SyncError
from oncall.sync.slack_adapter import SlackAdapter
from oncall.workspace.config import Config

log = logging.getLogger(__name__)

EVENT_TYPE = "oncall_known_issues"  # the metadata that names the message (payload: the workspace's name)
STATE = "slack_known_issues"  # sync_state: JSON channel, ts, digest, edited, pinned, posting
PROBLEM = "slack_known_issues_problem"  # sync_state: why the list is not kept current ('' when it is)
REFRESH_SECONDS = 3600.0  # an unchanged list is edited once an hour, for its "last checked" line
RETRY_SECONDS = 60.0  # after Slack did not answer or was busy
PAUSE_SECONDS = 600.0  # after Slack refused (a scope, the channel): a person has to fix something
PINNED_LOOKED_AT = 10  # of the channel's pinned messages by this app, how many are read for the metadata


def metadata(config: Config) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"workspace": config.workspace.name}}


def digest(issues: Any) -> str:
    """What the list says (its rows and the number in triage), whenever it was checked."""
    said = repr((issues.rows, issues.in_triage))
    return hashlib.sha256(said.encode("utf-8")).hexdigest()[:32]


class KnownIssuesPin:
    """Keeps the pinned message current; `run` once per pass, on the thread that runs the passes."""

    def __init__(self, slack: SlackAdapter, now: Callable[[], float]) -> None:
        self.slack = slack
        self.now = now
        self._quiet_until = float("-inf")

    def run(self, database: Database, config: Config) -> str:
        """Post, edit or leave the message; what was done ("posted", "edited", ""). Never raises
        a Slack error: the list waits (a minute, or ten after a refusal) and the reason is kept."""
        now = self.now()
        if now < self._quiet_until:
            return ""
        state = SyncState(database)
        try:
            done = self._keep_current(database, config, state, now)
        except Permanent as error:
            self._quiet_until = now + PAUSE_SECONDS
            log.warning("slack: the known-issues list is not kept current: %s", error.message)
            state.put(PROBLEM, f"the pinned known-issues list: {error.message}"[:500])
            return ""
        except SyncError as error:
            self._quiet_until = now + max(RETRY_SECONDS, getattr(error, "retry_after", 0.0) or 0.0)
            log.info("slack: the known-issues list will be tried again: %s", error.message)
            return ""
        if state.get(PROBLEM):
            state.put(PROBLEM, "")
        return done

    def _keep_current(self, database: Database, config: Config, state: SyncState, now: float) -> str:
        from oncall.service.known_issues import known_issues_now, known_issues_slack
        from oncall.store.lineage import with_lineage

        channel = self.slack.known_issues_channel_id()
        saved = _load(state)
        if saved.get("channel") != channel:  # a new channel (or the first time): its own message
            saved = {"channel": channel}
        clock = FrozenClock(datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0))
        issues = known_issues_now(database, with_lineage(config, database), clock)
        said = digest(issues)
        ts = str(saved.get("ts") or "")
        if not ts:
            ts = self._find(channel, config, saved)
            if ts:
                saved.update(ts=ts, digest="", posting=None)
                _save(state, saved)
        done = ""
        stale = said != saved.get("digest") or now - float(saved.get("edited") or 0.0) >= REFRESH_SECONDS
        if ts and stale:
            if self.slack.update_message(channel, ts, known_issues_slack(issues, clock),
                                         "updating the pinned known-issues list"):
                saved.update(digest=said, edited=now)
                done = "edited"
            else:  # deleted (or no longer this app's to edit): a new one is posted and pinned
                ts, saved = "", {"channel": channel}
            _save(state, saved)
        if not ts:
            saved["posting"] = now  # before the request: after a lost answer, look before posting again
            _save(state, saved)
            ts = self.slack.post_message(channel, known_issues_slack(issues, clock), metadata(config),
                                         "posting the known-issues list")
            saved.update(ts=ts, digest=said, edited=now, posting=None, pinned="")
            _save(state, saved)
            done = "posted"
        if saved.get("pinned") != ts:
            if self.slack.pin(channel, ts):
                saved["pinned"] = ts
            else:  # deleted between posting and pinning: posted again next pass
                saved = {"channel": channel}
            _save(state, saved)
        return done

    def _find(self, channel: str, config: Config, saved: dict[str, Any]) -> str:
        """An existing message: the one a post whose answer was lost made, else one pinned in the
        channel by this app with the list's metadata (a teammate's laptop's). '' when none is."""
        wanted = metadata(config)["event_payload"]["workspace"]
        posting = saved.get("posting")
        if posting:
            found = self.slack.find_message(channel, EVENT_TYPE, "workspace", wanted, float(posting) - 60.0)
            if found:
                return found
        me = self.slack.identity()
        mine = [m for m in self.slack.pinned_messages(channel) if m.get("ts") and (
            (me.user_id and m.get("user") == me.user_id) or (me.bot_id and m.get("bot_id") == me.bot_id))]
        for message in mine[:PINNED_LOOKED_AT]:
            full = message if message.get("metadata") else self.slack.message(channel, str(message["ts"]))
            if full is not None and _names_the_list(full, wanted):
                saved["pinned"] = str(message["ts"])
                return str(message["ts"])
        return ""


def _names_the_list(message: dict[str, Any], workspace: str) -> bool:
    found = message.get("metadata") or {}
    return found.get("event_type") == EVENT_TYPE and (found.get("event_payload") or {}).get("workspace") == workspace


def _load(state: SyncState) -> dict[str, Any]:
    try:
        found = json.loads(state.get(STATE) or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _save(state: SyncState, saved: dict[str, Any]) -> None:
    state.put(STATE, json.dumps(saved, sort_keys=True))
