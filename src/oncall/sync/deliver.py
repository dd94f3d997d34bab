"""Delivering one outbox entry to one system, idempotently.

Each event becomes a few *steps* (see `messages.py`); a step that completed is recorded in
`remote_events` with the remote id that came back, so a retry skips it. When an earlier attempt
ended without an answer (`entry.uncertain`), a create is preceded by a look-up: the Jira issue
by its label, a comment by its marker, a Slack message by its metadata.
"""

from __future__ import annotations

import json
from datetime import timedelta

from oncall.domain.incident import Incident, TimelineEvent
from oncall.domain.severity import Severity
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.outbox import OutboxEntry
from oncall.store.remote_ids import RemoteIds
from oncall.store.timeline import TimelineRepository
from oncall.sync import messages
from oncall.sync.jira_adapter import JiraAdapter
from oncall.sync.slack_adapter import SlackAdapter
from oncall.workspace.config import Config


class Delivery:
    """What both systems' deliveries need: the stores on this thread's connection."""

    target = ""

    def __init__(self, database: Database, config: Config) -> None:
        self.config = config
        self.ids = RemoteIds(database)
        self.incidents = IncidentRepository(database)
        self.timeline = TimelineRepository(database)

    def deliver(self, entry: OutboxEntry) -> str:
        """Carry out the entry; return a note for the record ('' normally). Raises `SyncError`.

        The steps that completed are left in `completed`, for the worker to record together with
        the entry's outcome (one transaction); until then the entry is marked uncertain, so a
        crash in between leads to look-ups, not repeats.
        """
        self.completed: list[tuple[int, str, str, str]] = []
        incident = self.incidents.get(entry.incident_id)
        event = self.timeline.get(entry.event_id)
        return self._deliver(entry, incident, event)

    def _deliver(self, entry: OutboxEntry, incident: Incident, event: TimelineEvent) -> str:
        raise NotImplementedError

    def _done(self, event: TimelineEvent, step: str) -> bool:
        return self.ids.event_step(event.id or 0, self.target, step) is not None

    def _record(self, event: TimelineEvent, step: str, remote_id: str = "") -> None:
        self.completed.append((event.id or 0, self.target, step, remote_id))


class JiraDelivery(Delivery):
    target = "jira"

    def __init__(self, database: Database, config: Config, adapter: JiraAdapter) -> None:
        super().__init__(database, config)
        self.adapter = adapter
        assert config.jira is not None
        self.jira = config.jira

    def _deliver(self, entry: OutboxEntry, incident: Incident, event: TimelineEvent) -> str:
        key, label = self.ensure_issue(incident)
        for step in messages.jira_steps(event, self.jira):
            if self._done(event, step):
                continue
            if step == "comment":
                marker = messages.event_marker(label, event.id or 0)
                found = self.adapter.find_comment(key, marker) if entry.uncertain else None
                self._record(event, step, found or self.adapter.add_comment(key, messages.jira_comment(event, label)))
            elif step == "transition":
                transition = self.jira.transitions[str(event.data.get("to"))]
                # After a lost answer the transition may have happened: if it is no longer on offer, it did.
                if not entry.uncertain or self.adapter.transition_available(key, transition):
                    self.adapter.transition(key, transition)
                self._record(event, step, transition)
            elif step == "fields":
                self.adapter.update_fields(key, messages.jira_fields(incident, self.jira, label))
                self._record(event, step)
        return ""

    def ensure_issue(self, incident: Incident) -> tuple[str, str]:
        """The incident's issue key, creating the issue once and only once."""
        assert incident.id is not None
        remote = self.ids.incident(incident.id)
        if remote.jira_key:
            return remote.jira_key, remote.label
        if remote.jira_creating:
            found = self.adapter.find_issue(remote.label)
            if found:
                self.ids.update_incident(incident.id, jira_key=found, jira_creating=False)
                return found, remote.label
        self.ids.update_incident(incident.id, jira_creating=True)
        key = self.adapter.create_issue(messages.jira_fields(incident, self.jira, remote.label))
        self.ids.update_incident(incident.id, jira_key=key, jira_creating=False)
        return key, remote.label


class SlackDelivery(Delivery):
    target = "slack"

    def __init__(self, database: Database, config: Config, adapter: SlackAdapter) -> None:
        super().__init__(database, config)
        self.adapter = adapter
        assert config.slack is not None
        self.slack = config.slack

    def _deliver(self, entry: OutboxEntry, incident: Incident, event: TimelineEvent) -> str:
        if incident.is_drill:
            return "a drill: never sent to Slack"
        channel, parent_ts, label = self.ensure_parent(incident)
        for step in messages.slack_steps(event):
            if self._done(event, step):
                continue
            if step == "parent":
                self.refresh_parent(incident)
                self._record(event, step, parent_ts)
            elif step == "reply":
                marker = messages.event_marker(label, event.id or 0)
                found = self.adapter.find_reply(channel, parent_ts, marker) if entry.uncertain else None
                if found is None:
                    new_ic = self.config.person(event.data.get("ic")) if "ic" in event.data else None
                    found = self.adapter.post_reply(
                        channel, parent_ts, messages.slack_reply(event, new_ic),
                        messages.reply_metadata(label, event.id or 0), self.slack.broadcasts(self.severity_at(event)),
                    )
                self._record(event, step, found)
        return ""

    def severity_at(self, event: TimelineEvent) -> Severity:
        """The incident's severity when the event happened (an update queued while offline
        keeps the broadcast rule of its moment)."""
        row = self.timeline.db.conn.execute(
            "SELECT data FROM timeline WHERE incident_id = ? AND id <= ? AND kind IN ('declared', 'severity_changed') "
            "ORDER BY id DESC LIMIT 1",
            (event.incident_id, event.id),
        ).fetchone()
        data = json.loads(row[0]) if row else {}
        return Severity(data.get("to") or data.get("severity") or "SEV-3")

    def parent_text(self, incident: Incident) -> str:
        assert incident.id is not None
        key = self.ids.incident(incident.id).jira_key
        url = f"{self.config.jira.server}/browse/{key}" if key and self.config.jira else None
        return messages.slack_parent(incident, self.config.person(incident.ic), url)

    def ensure_parent(self, incident: Incident) -> tuple[str, str, str]:
        """The incident's parent message (channel, ts), posting it once and only once."""
        assert incident.id is not None
        remote = self.ids.incident(incident.id)
        if remote.slack_channel and remote.slack_ts:
            return remote.slack_channel, remote.slack_ts, remote.label
        pulled = not remote.label.startswith(f"oncall-{self.ids.origin()}-")
        if remote.slack_creating or pulled:
            # A teammate's incident (pulled from Jira) already has its parent, posted by their laptop.
            since = (incident.detected_at - timedelta(days=1)).timestamp()
            found = self.adapter.find_parent(remote.label, since)
            if found:
                self.ids.update_incident(incident.id, slack_channel=found[0], slack_ts=found[1], slack_creating=False)
                return found[0], found[1], remote.label
        text = self.parent_text(incident)
        self.ids.update_incident(incident.id, slack_creating=True)
        channel, ts = self.adapter.post_parent(text, messages.parent_metadata(remote.label))
        self.ids.update_incident(incident.id, slack_channel=channel, slack_ts=ts, slack_creating=False, slack_text=text)
        return channel, ts, remote.label

    def refresh_parent(self, incident: Incident) -> None:
        """Bring the parent message up to date (status, severity, IC, Jira link) if it is stale."""
        assert incident.id is not None
        remote = self.ids.incident(incident.id)
        text = self.parent_text(incident)
        if remote.slack_channel and remote.slack_ts and text != remote.slack_text:
            self.adapter.update_parent(remote.slack_channel, remote.slack_ts, text)
            self.ids.update_incident(incident.id, slack_text=text)
