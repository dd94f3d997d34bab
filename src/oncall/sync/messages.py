"""What an incident and its timeline events look like in Jira and Slack, and which remote steps
each event needs. Pure functions: no I/O."""

from __future__ import annotations

from typing import Callable

from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.people import Person, Role
from oncall.domain.roles import SHORT_NAMES, RoleHolders
from oncall.sync.escape import mention, slack_escape
from oncall.workspace.sync_config import JiraConfig

# The roster: a person by id (`Config.person`), None for someone not (or no longer) on it.
Roster = Callable[[str | None], Person | None]


def _nobody(person_id: str | None) -> Person | None:
    return None

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
    EventKind.ROLE_ASSIGNED: "Role",
    EventKind.ROLE_REMOVED: "Role removed",
    EventKind.RUNBOOK_ATTACHED: "Runbook",
    EventKind.RUNBOOK_STEP: "Runbook step",
    EventKind.EVIDENCE_GATHERED: "Evidence",
    EventKind.EVIDENCE_SHARED: "Evidence",
    EventKind.RUNBOOK_FINISHED: "Runbook finished",
    EventKind.TAGS_CHANGED: "Tags",
    EventKind.UPDATE_SENT: "Update sent",
}

# Runbook work the team sees in Jira: attaching, finishing (with its summary), and evidence the IC
# chose to share. Step-by-step progress and evidence not shared stay on the timeline; none of it
# reaches Slack.
RUNBOOK_TO_JIRA = frozenset({EventKind.RUNBOOK_ATTACHED, EventKind.RUNBOOK_FINISHED, EventKind.EVIDENCE_SHARED})
RUNBOOK_KINDS = RUNBOOK_TO_JIRA | {EventKind.RUNBOOK_STEP, EventKind.EVIDENCE_GATHERED, EventKind.TAGS_CHANGED}
# Shared evidence is capped in the comment (Jira refuses comments over 32,767 characters).
JIRA_EVIDENCE_CHARS = 20_000

# The roles the parent message lists besides the IC (who has a line of its own), in this order.
PARENT_ROLES = (Role.SME, Role.LEAD, Role.PM)


def is_first_ic(event: TimelineEvent) -> bool:
    """The IC named at declaration: already in the parent message and the issue, no comment."""
    return event.kind is EventKind.IC_ASSIGNED and "from" not in event.data


def informed(event: TimelineEvent, drill: bool = False) -> list[str]:
    """The roster ids the RACI chart keeps Informed of the event's activity (`data["informed"]`,
    recorded when it happened). A drill tells nobody, whatever its event says."""
    people = event.data.get("informed")
    if drill or not isinstance(people, list):
        return []
    return [person for person in people if isinstance(person, str) and person]


def new_ic(event: TimelineEvent) -> str | None:
    """The person an `ic_assigned` event makes Incident Commander."""
    if event.kind is not EventKind.IC_ASSIGNED:
        return None
    person = event.data.get("ic")
    return person if isinstance(person, str) and person else None


def assignee_account(event: TimelineEvent, incident: Incident, roster: Roster) -> str:
    """The Jira account the issue is assigned to for this event: the new IC's `jira_account`
    from the roster; '' (leave the assignee alone) for other events, for an IC the roster gives
    no account, and for a drill (assigning notifies the person, and drills tell nobody)."""
    who = new_ic(event)
    person = roster(who) if who and not incident.is_drill else None
    return person.jira_account if person is not None else ""


def role_person(event: TimelineEvent) -> str | None:
    """The person a role event gives a role to, or takes one from."""
    if event.kind not in (EventKind.ROLE_ASSIGNED, EventKind.ROLE_REMOVED):
        return None
    person = event.data.get("person")
    return person if isinstance(person, str) and person else None


# -- which remote steps an event needs ---------------------------------------------------------


def status_after(event: TimelineEvent) -> str:
    """The status an event leaves the incident in, if it sets one (declared, status changed)."""
    return str(event.data.get("to") or event.data.get("status") or "")


def jira_steps(event: TimelineEvent, config: JiraConfig, assignee: str = "", drill: bool = False) -> list[str]:
    """`assignee`: the account the issue goes to (`assignee_account`), '' to leave it alone."""
    mapped = status_after(event) in config.transitions
    if event.kind in RUNBOOK_KINDS:
        return ["comment"] if event.kind in RUNBOOK_TO_JIRA else []
    if event.kind is EventKind.UPDATE_SENT:  # every update, whoever it was for, is on the issue
        return ["comment"]
    if event.kind is EventKind.DECLARED:  # a new issue starts in the workflow's first status
        steps = ["transition"] if mapped else []
        # The people Informed of the declaration are listed in a comment of its own.
        return steps + ["comment"] if informed(event, drill) else steps
    if is_first_ic(event):  # named in the new issue's description: only the assignee to set
        return ["assignee"] if assignee else []
    if event.kind is EventKind.IC_ASSIGNED:
        return ["comment", "assignee"] if assignee else ["comment"]
    if event.kind is EventKind.STATUS_CHANGED:
        return ["transition", "comment"] if mapped else ["comment"]
    if event.kind in (EventKind.SEVERITY_CHANGED, EventKind.IMPACT_CHANGED):
        return ["fields", "comment"]
    return ["comment"]


def update_audience(event: TimelineEvent) -> str:
    """Who an `update_sent` event was for: technical, stakeholders or reporter ('' otherwise)."""
    return str(event.data.get("audience") or "") if event.kind is EventKind.UPDATE_SENT else ""


def slack_steps(event: TimelineEvent, stakeholder_channel: bool = False) -> list[str]:
    """`stakeholder_channel`: one is configured (`[slack] stakeholder_channel`)."""
    if event.kind in RUNBOOK_KINDS:  # runbook work is for the people doing it, not the channel
        return []
    if event.kind is EventKind.UPDATE_SENT:
        audience = update_audience(event)
        if audience == "stakeholders":  # a post of its own in the stakeholder channel, then its thread
            return ["stakeholder"] if stakeholder_channel else []
        if audience == "reporter":  # a reply that mentions them, unless they are answered by email
            return [] if event.data.get("by_email") else ["reply"]
        return ["reply"]  # technical: a reply in the incident's thread
    if event.kind is EventKind.DECLARED:  # the parent message says it; a reply tells the Informed
        return ["reply"] if informed(event) else []
    if event.data.get("source") == "jira":  # a status set in Jira: the incident message shows it
        return ["parent"]
    if is_first_ic(event):
        return ["parent"]
    if event.kind in (EventKind.STATUS_CHANGED, EventKind.SEVERITY_CHANGED, EventKind.IC_ASSIGNED,
                      EventKind.ROLE_ASSIGNED, EventKind.ROLE_REMOVED):
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


def _name(person_id: str, roster: Roster) -> str:
    person = roster(person_id)
    return person.name if person is not None else person_id


def jira_comment(event: TimelineEvent, label: str, roster: Roster = _nobody, drill: bool = False) -> str:
    """The event as a comment: what happened, the person given (or relieved of) a role by name,
    the people Informed by name (plain names: no mentions, so nobody is notified twice), and the
    marker that finds the comment again after a lost answer."""
    text = event.text
    who = new_ic(event) or role_person(event)
    if who and (person := roster(who)) is not None:
        text += f" ({person.name})"
    told = informed(event, drill)
    if told:
        text += "\n*Informed:* " + ", ".join(_name(person_id, roster) for person_id in told)
    if event.kind is EventKind.UPDATE_SENT and isinstance(event.data.get("text"), str):
        text += "\n{noformat}" + event.data["text"].replace("{noformat}", "{ noformat}") + "{noformat}"
    if event.kind is EventKind.EVIDENCE_SHARED:
        output = str(event.data.get("output") or "")
        if len(output) > JIRA_EVIDENCE_CHARS:
            output = output[:JIRA_EVIDENCE_CHARS] + "\n… cut for Jira (the whole output is on the incident's timeline)"
        ran = str(event.data.get("ran") or "").replace("{noformat}", "{ noformat}")
        text += f"\n{{noformat}}{ran}{{noformat}}\n{{noformat}}{output.replace('{noformat}', '{ noformat}')}{{noformat}}"
    return f"*{KIND_LABEL[event.kind]}* ({event.actor}): {text}\n\n_oncall: {event_marker(label, event.id or 0)}_"


# -- Slack -------------------------------------------------------------------------------------


def slack_person(person_id: str, roster: Roster) -> str:
    """A roster person as Slack shows them: a mention from their `slack_id`, else their name
    (escaped); someone not on the roster by their id (escaped)."""
    person = roster(person_id)
    return mention(person.slack_id, person.name) if person is not None else slack_escape(person_id)


def reporter_mention(reporter: str, roster: Roster) -> str:
    """The reporter as the reply addresses them: a mention from a Slack id (theirs, or the
    roster's for them), else their name."""
    person = roster(reporter)
    if person is not None:
        return mention(person.slack_id, person.name)
    return mention(reporter, reporter)


def slack_roles(holders: RoleHolders | None, roster: Roster) -> str:
    """`SME: <@U1>, <@U2> · Lead: <@U3> · PM: Omar Haddad`; roles nobody holds are left out."""
    if holders is None:
        return ""
    parts = []
    for role in PARENT_ROLES:
        held = holders.of(role)
        if held:
            parts.append(f"{SHORT_NAMES[role]}: " + ", ".join(slack_person(person, roster) for person in held))
    return " · ".join(parts)


def slack_parent(incident: Incident, ic: Person | None, jira_url: str | None, roles: RoleHolders | None = None,
                 roster: Roster = _nobody) -> str:
    """The one message per incident, kept current: severity, status, title, IC, the other
    roles, asset, impact, Jira link."""
    who = mention(ic.slack_id, ic.name) if ic else slack_escape(incident.ic or "unassigned")
    drill = "[DRILL] " if incident.is_drill else ""
    lines = [
        f"{drill}*{incident.severity.value}* · *{incident.status.value}* · {incident.ref}: {slack_escape(incident.title)}",
        f"IC: {who} · Asset: {slack_escape(incident.asset)}",
    ]
    held = slack_roles(roles, roster)
    if held:
        lines.append(held)
    if incident.impact:
        lines.append(f"Impact: {slack_escape(incident.impact)}")
    if jira_url:
        lines.append(f"Jira: <{jira_url}|{jira_url.rsplit('/', 1)[-1]}>")
    return "\n".join(lines)


def slack_reply(event: TimelineEvent, roster: Roster = _nobody, drill: bool = False) -> str:
    """A thread reply: what happened; the new IC, or the person given a role, mentioned (the one
    relieved of a role named, not pinged); the people Informed mentioned on a line `For: …`."""
    if event.kind is EventKind.UPDATE_SENT and isinstance(event.data.get("slack_text"), str):
        text = event.data["slack_text"]  # rendered for Slack, what people typed escaped already
        to = event.data.get("to")
        if update_audience(event) == "reporter" and isinstance(to, str) and to:
            return f"{reporter_mention(to, roster)} {text}"
        return text
    text = slack_escape(event.text)
    who = new_ic(event) or role_person(event)
    person = roster(who) if who else None
    if person is not None:
        if event.kind is EventKind.ROLE_REMOVED:
            text += f" ({slack_escape(person.name)})"
        else:
            text += f" ({mention(person.slack_id, person.name)})"
    told = informed(event, drill)
    if told:
        text += "\nFor: " + ", ".join(slack_person(person_id, roster) for person_id in told)
    return f"*{KIND_LABEL[event.kind]}* ({slack_escape(event.actor)}): {text}"


PARENT_EVENT_TYPE = "oncall_incident"
REPLY_EVENT_TYPE = "oncall_event"
STAKEHOLDER_EVENT_TYPE = "oncall_stakeholder_update"


def parent_metadata(label: str) -> dict:
    return {"event_type": PARENT_EVENT_TYPE, "event_payload": {"label": label}}


def reply_metadata(label: str, event_id: int) -> dict:
    return {"event_type": REPLY_EVENT_TYPE, "event_payload": {"label": label, "event": event_marker(label, event_id)}}


def stakeholder_metadata(label: str, event_id: int) -> dict:
    """On every post and reply in the stakeholder channel: finds one sent without an answer."""
    return {"event_type": STAKEHOLDER_EVENT_TYPE,
            "event_payload": {"label": label, "event": event_marker(label, event_id)}}


# -- email -------------------------------------------------------------------------------------


def email_recipients(event: TimelineEvent, drill: bool = False) -> list[str]:
    """The addresses an update was sent to by email (`data["email_to"]`, chosen when it was
    sent); none for other events, and none ever for a drill."""
    addresses = event.data.get("email_to") if event.kind is EventKind.UPDATE_SENT else None
    if drill or not isinstance(addresses, list):
        return []
    return [address for address in addresses if isinstance(address, str) and address]


def email_steps(event: TimelineEvent, drill: bool = False) -> list[str]:
    return ["email"] if email_recipients(event, drill) else []


_EMAIL_MOMENTS = {"initial": "incident notice", "update": "update", "resolved": "resolved",
                  "acknowledged": "we are looking into your report", "dismissed": "about your report",
                  "fixed": "your report: fixed"}


def email_subject(event: TimelineEvent, incident: Incident) -> str:
    """`[SEV-1] INC-42 Weekly CAC up 340% — update`: the same incident's emails sort together."""
    template = str(event.data.get("template") or "")
    moment = template.removesuffix(".md.j2").split("-", 1)[-1]
    said = _EMAIL_MOMENTS.get(moment, "update")
    return f"[{incident.severity.value}] {incident.ref} {incident.title} — {said}"
