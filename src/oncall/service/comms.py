"""Sending a stakeholder update: one timeline event with what was sent (rendered for Slack and
as plain text), to whom, and the next update it promised; the cadence moves on with it. The sync
sends it through the outbox (`sync/messages.py`): the technical update as a reply in the
incident's thread, every update as a comment on the Jira issue. A drill's updates go nowhere
but the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall.domain import cadence
from oncall.domain.clock import Clock, to_text
from oncall.domain.incident import EventKind, TimelineEvent
from oncall.domain.rules import RuleViolation
from oncall.domain.text import clean_block
from oncall.store.cadence import CadenceRepository
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.timeline import TimelineRepository
from oncall.workspace.config import Config

AUDIENCES = ("technical", "stakeholders", "reporter")


class CommsService:
    def __init__(self, database: Database, config: Config, clock: Clock, actor: str) -> None:
        self.db = database
        self.config = config
        self.clock = clock
        self.actor = actor
        self.incidents = IncidentRepository(database)
        self.timeline = TimelineRepository(database)
        self.cadence = CadenceRepository(database)

    def send(self, incident_id: int, template: str, audience: str, text: str, slack_text: str,
             next_update: datetime | None = None) -> TimelineEvent:
        """Record an update as sent (the outbox takes it from here) and move the cadence on: the
        next one is due when this one promised, else one interval later."""
        if audience not in AUDIENCES:
            raise RuleViolation(f"an update is for {', '.join(AUDIENCES)}, not {audience!r}")
        text = clean_block(text).strip()
        if not text:
            raise RuleViolation("the update is empty")
        now = self.clock.now()
        if next_update is not None and next_update <= now:
            raise RuleViolation("the next update it promises must be later than now")
        with self.db.write():
            incident = self.incidents.get(incident_id)
            self.incidents.save(incident.model_copy(update={"updated_at": now}))
            first_line = text.splitlines()[0][:120]
            data: dict[str, Any] = {"template": template, "audience": audience, "text": text,
                                    "slack_text": slack_text,
                                    "next_update": to_text(next_update) if next_update else None}
            event = self.timeline.append(TimelineEvent(
                incident_id=incident_id, at=now, actor=self.actor, kind=EventKind.UPDATE_SENT,
                text=f"{audience} update sent ({template}): {first_line}", data=data))
            due = cadence.due_after_update(now, next_update, incident.severity, incident.status, self.config.comms)
            self.cadence.sent(incident_id, now, due)
        return event


def render_update(service, root, incident_id: int, name: str, next_update: datetime | None = None,
                  extra: dict[str, str] | None = None) -> tuple[str, str]:
    """A template rendered against the incident as it is now: (for Slack, as plain text). The
    workspace's `templates/` overrides the built-ins by file name; `extra` is what the person
    typed (doing, workaround, eta, …). `next_update` defaults to the time the cadence owes."""
    from oncall.comms.templates import TEMPLATES_FOLDER, load_templates
    from oncall.domain.comms import fields_for
    from oncall.store.roles import RoleRepository

    incident = service.get(incident_id)
    due, _ = CadenceRepository(service.db).get(incident_id)
    now = service.clock.now()
    promised = next_update or (due if due and due > now else None)
    fields = fields_for(incident, service.config, RoleRepository(service.db).holders(incident_id), now,
                        jira_url=jira_url(service, incident_id), next_update=promised, extra=extra or {},
                        events=service.events(incident_id))
    templates = load_templates(root / TEMPLATES_FOLDER)
    return templates.render(name, fields, "slack"), templates.render(name, fields, "text")


def jira_url(service, incident_id: int) -> str | None:
    jira = service.config.jira
    if jira is None:
        return None
    row = service.db.conn.execute("SELECT jira_key FROM remote_incidents WHERE incident_id = ?",
                                  (incident_id,)).fetchone()
    return f"{jira.server.rstrip('/')}/browse/{row[0]}" if row and row[0] else None


def proposed_template(service, incident_id: int) -> str:
    """The update the incident owes next: the initial notice if none was sent, the resolved notice
    once resolved, else an update (for the technical thread)."""
    from oncall.domain.status import Status

    incident = service.get(incident_id)
    sent = any(e.kind is EventKind.UPDATE_SENT for e in service.events(incident_id))
    moment = "resolved" if incident.status in (Status.RESOLVED, Status.CLOSED) else ("update" if sent else "initial")
    return f"technical-{moment}.md.j2"
