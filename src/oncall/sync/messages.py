"""What an incident and its timeline events look like in Jira and Slack, and which remote steps
each event needs. Pure functions: no I/O."""

from __future__ import annotations

from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.people import Person
from oncall.sync.escape import mention, slack_escape
from oncall.workspace.sync_config import JiraConfig

DATA_INCIDENT_LABEL = "data-incident"

KIND_LABEL = {
    EventKind.DECLARED: "Declared",
    EventKind.STATUS_CHANGED: "Status",
    EventKind.SEVERITY_CHANGED: "Severity",
    EventKind.NOTE: "Update",
    EventKind.IMPACT_CHANGED: "Impact",
    EventKind.ETA_CHANGED: "ETA",
    EventKind.IC_ASSIGNED: "Incident Commander",
    EventKind.STARTED_AT_CHANGED: "Start time",
    EventKind.CLOSE_OVERRIDE: "Closed early",
}


def is_first_ic(event: TimelineEvent) -> bool:
    """The IC named at declaration: already in the parent message and the issue, no comment."""
    return event.kind is EventKind.IC_ASSIGNED and "from" not in event.data


# -- which remote steps an event needs ---------------------------------------------------------


def status_after(event: TimelineEvent) -> str:
    """The status an event leaves the incident in, if it sets one (declared, status changed)."""
    return str(event.data.get("to") or event.data.get("status") or "")


def jira_steps(event: TimelineEvent, config: JiraConfig) -> list[str]:
    mapped = status_after(event) in config.transitions
    if event.kind is EventKind.DECLARED:  # a new issue starts in the workflow's first status
        return ["transition"] if mapped else []
    if is_first_ic(event):
        return []
    if event.kind is EventKind.STATUS_CHANGED:
        return ["transition", "comment"] if mapped else ["comment"]
    if event.kind in (EventKind.SEVERITY_CHANGED, EventKind.IMPACT_CHANGED):
        return ["fields", "comment"]
    return ["comment"]


def slack_steps(event: TimelineEvent) -> list[str]:
    if event.kind is EventKind.DECLARED:
        return []
    if event.data.get("source") == "jira":  # a status set in Jira: the incident message shows it
        return ["parent"]
    if is_first_ic(event):
        return ["parent"]
    if event.kind in (EventKind.STATUS_CHANGED, EventKind.SEVERITY_CHANGED, EventKind.IC_ASSIGNED):
        return ["parent", "reply"]
    return ["reply"]


# -- Jira --------------------------------------------------------------------------------------


def jira_summary(incident: Incident) -> str:
    return f"[{incident.severity.value}] {incident.title}"


def jira_labels(incident: Incident, label: str) -> list[str]:
    labels = [DATA_INCIDENT_LABEL, f"sev-{incident.severity.rank}", label]
    if incident.is_drill:
        labels.append("drill")
    return labels


def jira_description(incident: Incident, label: str) -> str:
    lines = [
        f"*Impact:* {incident.impact or 'not yet known'}",
        f"*Affected asset:* {incident.asset}",
        f"*Detected by:* {incident.source.value}",
        f"*Incident Commander:* {incident.ic or 'unassigned'}",
    ]
    if incident.is_drill:
        lines.insert(0, "*This is a drill.*")
    lines.append(f"\n_Kept in sync by oncall ({label})._")
    return "\n".join(lines)


def jira_fields(incident: Incident, config: JiraConfig, label: str) -> dict:
    """The fields oncall owns on the issue: set at creation, and again when they change."""
    return {
        "summary": jira_summary(incident),
        "description": jira_description(incident, label),
        "priority": {"name": config.priority_for(incident.severity)},
        "labels": jira_labels(incident, label),
    }


def event_marker(label: str, event_id: int) -> str:
    """Unique to one event of one incident across a team: finds a comment sent without an answer."""
    return f"{label}-ev-{event_id}"


def jira_comment(event: TimelineEvent, label: str) -> str:
    return f"*{KIND_LABEL[event.kind]}* ({event.actor}): {event.text}\n\n_oncall: {event_marker(label, event.id or 0)}_"


# -- Slack -------------------------------------------------------------------------------------


def slack_parent(incident: Incident, ic: Person | None, jira_url: str | None) -> str:
    """The one message per incident, kept current: severity, status, title, IC, Jira link."""
    who = mention(ic.slack_id, ic.name) if ic else slack_escape(incident.ic or "unassigned")
    drill = "[DRILL] " if incident.is_drill else ""
    lines = [
        f"{drill}*{incident.severity.value}* · *{incident.status.value}* · {incident.ref}: {slack_escape(incident.title)}",
        f"IC: {who} · Asset: {slack_escape(incident.asset)}",
    ]
    if incident.impact:
        lines.append(f"Impact: {slack_escape(incident.impact)}")
    if jira_url:
        lines.append(f"Jira: <{jira_url}|{jira_url.rsplit('/', 1)[-1]}>")
    return "\n".join(lines)


def slack_reply(event: TimelineEvent, new_ic: Person | None = None) -> str:
    text = slack_escape(event.text)
    if event.kind is EventKind.IC_ASSIGNED and new_ic is not None:
        text += f" ({mention(new_ic.slack_id, new_ic.name)})"
    return f"*{KIND_LABEL[event.kind]}* ({slack_escape(event.actor)}): {text}"


PARENT_EVENT_TYPE = "oncall_incident"
REPLY_EVENT_TYPE = "oncall_event"


def parent_metadata(label: str) -> dict:
    return {"event_type": PARENT_EVENT_TYPE, "event_payload": {"label": label}}


def reply_metadata(label: str, event_id: int) -> dict:
    return {"event_type": REPLY_EVENT_TYPE, "event_payload": {"label": label, "event": event_marker(label, event_id)}}
