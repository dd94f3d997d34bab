"""The Jira issue's link to the incident's Slack thread.

The laptop that knows both ends (the issue key and the parent message) adds a remote link
"Slack thread" to the issue. Its global id is made from the incident's label, so adding it
again updates the one link instead of adding a second. People reading the issue reach the
thread in one click, and a teammate's laptop that pulled the issue reads the link to reuse the
thread, however long before the issue the message was posted (Jira may have been down on the
teammate's side while Slack was not). Issues made before the link existed, or in a Jira that
refuses links, are found by scanning the channel instead (`SlackDelivery.ensure_parent`).
"""

from __future__ import annotations

import logging
import re
import threading
import time

from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.remote_ids import RemoteIds, RemoteIncident
from oncall.sync.errors import Permanent, SyncError
from oncall.sync.jira_adapter import JiraAdapter
from oncall.sync.retry import Timer
from oncall.sync.slack_adapter import SlackAdapter

log = logging.getLogger(__name__)

GLOBAL_ID_PREFIX = "oncall-slack-thread:"
# sync_state key: why Jira last refused to add a link ('' once one was added). `oncall doctor` says it.
REFUSED_STATE = "jira_thread_links_refused"
# `remote_incidents.jira_thread_link` for an incident never to be linked from here (its issue or
# message is gone, Jira refuses that one issue, or a teammate's link points at another channel).
NOT_LINKED = "not linked: "
# After Jira refused for want of the Link Issues permission, ask again this much later; after a
# failure that may pass (Jira or Slack down, a 429), this much later.
ASK_AGAIN_AFTER_REFUSAL_SECONDS = 3600.0
ASK_AGAIN_AFTER_FAILURE_SECONDS = 60.0
LINKS_PER_PASS = 10
# Links are added between passes, on the thread that plans them: at most this long per pass.
SECONDS_PER_PASS = 2.0

# Slack's permalink: https://team.slack.com/archives/C0INCIDENTS/p1732701600000123 (ts without its dot).
_PERMALINK = re.compile(r"/archives/([A-Za-z0-9]+)/p(\d{7,})/?(?:[?#]|$)")


def global_id(label: str) -> str:
    return GLOBAL_ID_PREFIX + label


def link_object(permalink: str, title: str) -> dict[str, str]:
    """What Jira shows: the same on every laptop (incident numbers differ between laptops)."""
    return {"url": permalink, "title": "Slack thread", "summary": title[:255]}


def thread_from_permalink(url: str) -> tuple[str, str] | None:
    """(channel, ts) of the message a Slack permalink points at."""
    match = _PERMALINK.search((url or "").strip())
    if match is None:
        return None
    digits = match.group(2)
    return match.group(1).upper(), f"{digits[:-6]}.{digits[-6:]}"


def linked_thread(jira: JiraAdapter, remote: RemoteIncident) -> tuple[str, str] | None:
    """The Slack thread the incident's Jira issue links to, if it has such a link. Any failure
    reads as "no link": the caller then scans the channel, and Jira being down never holds
    Slack back."""
    if not remote.jira_key:
        return None
    try:
        url = jira.remote_link_url(remote.jira_key, global_id(remote.label))
    except SyncError as error:
        log.info("jira: the Slack thread link of %s could not be read: %s", remote.jira_key, error.message)
        return None
    return thread_from_permalink(url) if url else None


class ThreadLinker:
    """Adds the missing links after each pass: the issue exists, the message exists, the link
    does not yet point at it. One incident that cannot be linked never holds the others back."""

    def __init__(self, jira: JiraAdapter, slack: SlackAdapter, timer: Timer) -> None:
        self.jira = jira
        self.slack = slack
        self.timer = timer
        self._quiet_until = float("-inf")

    def run(self, database: Database, stop: threading.Event | None = None) -> bool:
        """Link what is missing, within this pass's share; True if more is left to do right away."""
        if self.timer.time() < self._quiet_until:
            return False
        ids, incidents = RemoteIds(database), IncidentRepository(database)
        rows = database.conn.execute(
            "SELECT incident_id FROM remote_incidents WHERE jira_key IS NOT NULL AND slack_ts IS NOT NULL "
            "AND jira_thread_link = '' ORDER BY incident_id LIMIT ?", (LINKS_PER_PASS,),
        ).fetchall()
        until = time.monotonic() + SECONDS_PER_PASS
        for (incident_id,) in rows:
            if (stop is not None and stop.is_set()) or time.monotonic() > until:
                return stop is None or not stop.is_set()
            remote = ids.incident(incident_id)
            assert remote.jira_key and remote.slack_channel and remote.slack_ts
            try:
                permalink = self.slack.permalink(remote.slack_channel, remote.slack_ts)
                link = link_object(permalink, incidents.get(incident_id).title)
                refusal = self.jira.add_remote_link(remote.jira_key, global_id(remote.label), link)
                if refusal and not self.jira.may_link_issues():
                    self._quiet_until = self.timer.time() + ASK_AGAIN_AFTER_REFUSAL_SECONDS
                    ids.set_state(REFUSED_STATE, refusal)
                    log.warning("jira: %s", refusal)
                    return False
            except Permanent as error:
                if error.whole_target:  # credentials, channel: the worker's deliveries will say so
                    self._quiet_until = self.timer.time() + ASK_AGAIN_AFTER_FAILURE_SECONDS
                    return False
                refusal = error.message  # this issue or message is gone
            except SyncError as error:
                log.info("Slack thread links wait %.0f s: %s", ASK_AGAIN_AFTER_FAILURE_SECONDS, error.message)
                self._quiet_until = self.timer.time() + ASK_AGAIN_AFTER_FAILURE_SECONDS
                return False
            if refusal:
                log.info("%s is not linked to its Slack thread: %s", remote.jira_key, refusal)
                ids.update_incident(incident_id, jira_thread_link=(NOT_LINKED + refusal)[:500])
                continue
            ids.update_incident(incident_id, jira_thread_link=remote.slack_ts)
            if ids.state(REFUSED_STATE):
                ids.set_state(REFUSED_STATE, "")
        return len(rows) == LINKS_PER_PASS
