"""Sending a stakeholder update: one timeline event with what was sent (rendered for Slack and
as plain text), to whom, and the next update it promised; the cadence moves on with it. The sync
sends it through the outbox (`sync/messages.py`): the technical update as a reply in the
incident's thread, every update as a comment on the Jira issue. A drill's updates reach no real
channel or person: only the drill channel (`[drills] slack_channel`), if one is set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall.domain import cadence
from oncall.domain.clock import Clock, to_text
from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.reporter import reporter_of
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
             next_update: datetime | None = None, fields: dict[str, str] | None = None) -> TimelineEvent:
        """Record an update as sent (the outbox takes it from here) and move the cadence on: the
        next one is due when this one promised, else one interval later. `fields` is what the
        person typed into it (doing, workaround, eta, …), kept with it: the known-issues list
        shows the latest workaround."""
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
            to = self.recipients(incident, audience)
            self.incidents.save(incident.model_copy(update={"updated_at": now}))
            first_line = text.splitlines()[0][:120]
            data: dict[str, Any] = {"template": template, "audience": audience, "text": text,
                                    "slack_text": slack_text,
                                    "next_update": to_text(next_update) if next_update else None, **to,
                                    **({"fields": {k: clean_block(v) for k, v in fields.items()}} if fields else {})}
            event = self.timeline.append(TimelineEvent(
                incident_id=incident_id, at=now, actor=self.actor, kind=EventKind.UPDATE_SENT,
                text=f"{audience} update sent ({template}): {first_line}", data=data))
            if audience != "reporter":  # answering the reporter is not the update the cadence owes
                due = cadence.due_after_update(now, next_update, incident.severity, incident.status, self.config.comms)
                self.cadence.sent(incident_id, now, due)
        return event


    def recipients(self, incident: Incident, audience: str) -> dict[str, Any]:
        """Who the update goes to, recorded with it: the reporter (`to`, and `by_email` when they
        are answered by email) and the email addresses (`email_to`). A drill emails nobody."""
        found: dict[str, Any] = {}
        email = self.config.email
        if audience == "reporter":
            reporter = reporter_of(incident.reported_by, lambda person: self.config.person(person) is not None)
            if reporter is None:
                raise RuleViolation(f"{incident.ref} has no reporter on record (declare with a reporter to "
                                    "acknowledge them)")
            found["to"] = reporter.value
            if reporter.by_email:
                found["by_email"] = True
                if email is not None and not incident.is_drill:
                    found["email_to"] = [reporter.value]
        elif audience == "stakeholders" and email is not None and not incident.is_drill:
            addresses = email.recipients_for(incident.severity)
            if addresses:
                found["email_to"] = addresses
        return found

    def destination(self, incident_id: int, audience: str) -> str:
        """Where an update for `audience` would go, in words, for the composer."""
        incident = self.incidents.get(incident_id)
        if incident.is_drill:
            channel = self.config.drills.slack_channel if self.config.slack else ""
            return (f"To: the drill channel #{channel.lstrip('#')} only (a drill: never a real channel or person)"
                    if channel else "a drill: the timeline only, never a real channel or person")
        slack, jira = self.config.slack, self.config.jira
        places = []
        try:
            to = self.recipients(incident, audience)
        except RuleViolation as problem:
            return str(problem)
        if audience == "technical" and slack:
            places.append("the incident's Slack thread")
        if audience == "stakeholders" and slack and slack.stakeholder_channel:
            places.append(f"#{slack.stakeholder_channel.lstrip('#')}")
        if audience == "reporter" and slack and not to.get("by_email"):
            from oncall.store.intake import IntakeRepository

            thread = "their report's Slack thread" if IntakeRepository(self.db).slack_thread(incident_id) \
                else "the incident's Slack thread"
            places.append(f"{to['to']} in {thread}")
        if to.get("email_to"):
            count = len(to["email_to"])
            places.append(f"email to {to['email_to'][0]}" if count == 1 else f"email to {count} addresses")
        if jira:
            places.append("a Jira comment")
        return "To: " + (", ".join(places) if places else "the timeline only (nothing is set up to reach them)")


def render_update(service, root, incident_id: int, name: str, next_update: datetime | None = None,
                  extra: dict[str, str] | None = None) -> tuple[str, str]:
    """A template rendered against the incident as it is now: (for Slack, as plain text). The
    workspace's `templates/` overrides the built-ins by file name; `extra` is what the person
    typed (doing, workaround, eta, …). `next_update` defaults to the time the cadence owes."""
    from oncall.comms.templates import TEMPLATES_FOLDER, load_templates
    from oncall.domain.comms import fields_for
    from oncall.store.roles import RoleRepository

    incident = service.get(incident_id)
    now = service.clock.now()
    # What sending it will set, so the message and the countdown agree: the time promised, else
    # one interval from now (nothing, where the severity has no cadence).
    promised = next_update or cadence.due_after_update(now, None, incident.severity, incident.status,
                                                       service.config.comms)
    due, _ = CadenceRepository(service.db).get(incident_id)
    if name.startswith("reporter-") and next_update is None and due and due > now:
        promised = due  # a note to the reporter does not move the cadence: the update owed stands
    fields = fields_for(incident, service.config, RoleRepository(service.db).holders(incident_id), now,
                        jira_url=jira_url(service, incident_id), next_update=promised, extra=extra or {},
                        events=service.events(incident_id))
    templates = load_templates(root / TEMPLATES_FOLDER if root is not None else None)
    return templates.render(name, fields, "slack"), templates.render(name, fields, "text")


def jira_url(service, incident_id: int) -> str | None:
    jira = service.config.jira
    if jira is None:
        return None
    row = service.db.conn.execute("SELECT jira_key FROM remote_incidents WHERE incident_id = ?",
                                  (incident_id,)).fetchone()
    return f"{jira.server.rstrip('/')}/browse/{row[0]}" if row and row[0] else None


def proposed_template(service, incident_id: int) -> str:
    """The update the incident owes next. A dismissed report: the note to its reporter. Otherwise
    the technical notice first; then the reporter's acknowledgement (if someone reported it);
    once resolved, the resolved notices (technical, then stakeholders where they are reached)
    and the reporter's "fixed" note; else the next technical update."""
    from oncall.domain.status import Status

    incident = service.get(incident_id)
    sent = {str(e.data.get("template")) for e in service.events(incident_id) if e.kind is EventKind.UPDATE_SENT}
    reporter = bool(incident.reported_by)
    slack, email = service.config.slack, service.config.email
    stakeholders_reached = bool((slack and slack.stakeholder_channel) or (email and email.stakeholders))
    if incident.status is Status.DISMISSED:
        wanted = ["reporter-dismissed"] if reporter else ["technical-update"]
    elif incident.status in (Status.RESOLVED, Status.CLOSED):
        wanted = ["technical-resolved"] + (["stakeholders-resolved"] if stakeholders_reached else []) \
            + (["reporter-fixed"] if reporter else [])
    else:
        wanted = ["technical-initial"] + (["reporter-acknowledged"] if reporter else []) \
            + (["stakeholders-initial"] if stakeholders_reached else [])
    for name in wanted:
        if f"{name}.md.j2" not in sent:
            return f"{name}.md.j2"
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        return "technical-resolved.md.j2"
    return "technical-update.md.j2"
