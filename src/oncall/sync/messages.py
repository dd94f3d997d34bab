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
# On every action item's issue (never `data-incident`: the pull of incidents must not see them).
ACTION_ITEM_LABEL = "data-incident-action"

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
    EventKind.POSTMORTEM: "Post-mortem",
    EventKind.ACTION_ITEM: "Action item",
    EventKind.ROOT_CAUSE: "Root cause",
    EventKind.INTAKE: "Signal",
    EventKind.ASSET_CHANGED: "Asset",
}

# Runbook work the team sees in Jira: attaching, finishing (with its summary), and evidence the IC
# chose to share. Step-by-step progress and evidence not shared stay on the timeline; none of it
# reaches Slack.
RUNBOOK_TO_JIRA = frozenset({EventKind.RUNBOOK_ATTACHED, EventKind.RUNBOOK_FINISHED, EventKind.EVIDENCE_SHARED})
RUNBOOK_KINDS = RUNBOOK_TO_JIRA | {EventKind.RUNBOOK_STEP, EventKind.EVIDENCE_GATHERED, EventKind.TAGS_CHANGED}
# Shared evidence is capped in the comment (Jira refuses comments over 32,767 characters).
JIRA_EVIDENCE_CHARS = 20_000
# So is the post-mortem posted when it is complete (the rest of the comment is a few lines).
JIRA_POSTMORTEM_CHARS = 30_000
# What an action item's event did (`data["action"]`) that the incident's issue and thread hear of.
ACTION_TOLD = ("added", "done", "wont-do")

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
    from the roster (for an action item added or changed here, its owner's, on the item's issue);
    '' (leave the assignee alone) for other events, for a person the roster gives no account,
    and for a drill (assigning notifies the person, and drills tell nobody)."""
    who = new_ic(event) or action_owner(event)
    person = roster(who) if who and not incident.is_drill else None
    return person.jira_account if person is not None else ""


def action_owner(event: TimelineEvent) -> str | None:
    """The owner an action item is given when it is added or changed here (not from Jira)."""
    if event.kind is not EventKind.ACTION_ITEM or from_jira(event) or item_action(event) not in ("added", "changed"):
        return None
    owner = event.data.get("owner")
    return owner if isinstance(owner, str) and owner else None


def item_action(event: TimelineEvent) -> str:
    """What an action-item or post-mortem event did: added, done, wont-do, open, changed; drafted, status."""
    return str(event.data.get("action") or "") if event.kind in (EventKind.ACTION_ITEM, EventKind.POSTMORTEM) else ""


def from_jira(event: TimelineEvent) -> bool:
    """The change was made in Jira and pulled here: nothing of it goes back to Jira."""
    return event.data.get("source") == "jira"


def action_item_id(event: TimelineEvent) -> int | None:
    item = event.data.get("item") if event.kind is EventKind.ACTION_ITEM else None
    return item if isinstance(item, int) and not isinstance(item, bool) and item > 0 else None


def postmortem_completed(event: TimelineEvent) -> bool:
    return item_action(event) == "status" and event.data.get("to") == "complete"


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
    if event.kind is EventKind.ACTION_ITEM:
        return _action_item_steps(event, config, assignee)
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


def _action_item_steps(event: TimelineEvent, config: JiraConfig, assignee: str) -> list[str]:
    """On the item's own issue (`item_*`, made first if need be) and, for what the incident's
    issue shows of its items' progress, a comment there. A change made in Jira goes nowhere."""
    action = item_action(event)
    if from_jira(event) or action_item_id(event) is None:
        return []
    owner = ["item_assignee"] if assignee else []
    if action == "added":
        return ["item_link", *owner, "comment"]
    moved = ["item_transition"] if action in config.action_transitions else []
    if action in ("done", "wont-do"):
        return [*moved, "item_comment", "comment"]
    if action == "open":
        return [*moved, "item_comment"]
    if action == "changed":
        return ["item_fields", *owner]
    return []


def update_audience(event: TimelineEvent) -> str:
    """Who an `update_sent` event was for: technical, stakeholders or reporter ('' otherwise)."""
    return str(event.data.get("audience") or "") if event.kind is EventKind.UPDATE_SENT else ""


def slack_steps(event: TimelineEvent, stakeholder_channel: bool = False, drill: bool = False) -> list[str]:
    """`stakeholder_channel`: one is configured (`[slack] stakeholder_channel`). `drill`: for the
    drill channel, where a stakeholder update is a reply in the drill's thread."""
    if event.kind in RUNBOOK_KINDS or event.kind is EventKind.ROOT_CAUSE:  # for the issue, not the channel
        return []
    if event.kind is EventKind.ACTION_ITEM:  # added, done or won't do (here or in Jira): the thread hears
        return ["reply"] if item_action(event) in ACTION_TOLD else []
    if event.kind is EventKind.POSTMORTEM:  # a draft or a review is Jira's; the finished one is news
        return ["reply"] if postmortem_completed(event) else []
    if event.kind is EventKind.UPDATE_SENT:
        audience = update_audience(event)
        if audience == "stakeholders":  # a post of its own in the stakeholder channel, then its thread
            return ["reply"] if drill else ["stakeholder"] if stakeholder_channel else []
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
    if incident.reported_by:  # a teammate's console that pulls it answers the same person
        lines.append(f"*Reported by:* {incident.reported_by}")
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


def noformat(text: str, limit: int, whole_where: str) -> str:
    """A `{noformat}` block for a Jira comment: escaped first, then cut to `limit` characters with
    a line saying where the whole is (Jira refuses a comment over 32,767 characters)."""
    escaped = text.replace("{noformat}", "{ noformat}")
    if len(escaped) > limit:
        escaped = escaped[:limit] + f"\n… cut for Jira ({whole_where})"
    return "\n{noformat}" + escaped + "{noformat}"


def jira_comment(event: TimelineEvent, label: str, roster: Roster = _nobody, drill: bool = False,
                 item_key: str = "") -> str:
    """The event as a comment: what happened, the person given (or relieved of) a role by name,
    the people Informed by name (plain names: no mentions, so nobody is notified twice), and the
    marker that finds the comment again after a lost answer. `item_key`: an action item's issue,
    named in the incident's comment about it. A completed post-mortem comes whole (or cut)."""
    text = event.text
    who = new_ic(event) or role_person(event)
    if who and (person := roster(who)) is not None:
        text += f" ({person.name})"
    if item_key:
        text += f" ({item_key})"
    told = informed(event, drill)
    if told:
        text += "\n*Informed:* " + ", ".join(_name(person_id, roster) for person_id in told)
    if event.kind is EventKind.UPDATE_SENT and isinstance(event.data.get("text"), str):
        text += noformat(event.data["text"], JIRA_EVIDENCE_CHARS, "the whole update is on the incident's timeline")
    if event.kind is EventKind.EVIDENCE_SHARED:
        ran = str(event.data.get("ran") or "")
        text += noformat(ran, 2_000, "the whole command is on the timeline") + noformat(
            str(event.data.get("output") or ""), JIRA_EVIDENCE_CHARS, "the whole output is on the incident's timeline")
    if postmortem_completed(event) and isinstance(event.data.get("document"), str):
        text += noformat(event.data["document"], JIRA_POSTMORTEM_CHARS,
                         f"the whole post-mortem is in oncall (`oncall postmortem export {event.incident_id}`)")
    return f"*{KIND_LABEL[event.kind]}* ({event.actor}): {text}\n\n_oncall: {event_marker(label, event.id or 0)}_"


# -- action items in Jira ----------------------------------------------------------------------


def action_label(incident_label: str, item_id: int) -> str:
    """On the item's issue: finds it after a create whose answer was lost. `incident_label` is
    this laptop's label form for the incident (`oncall-<origin>-inc-<id>`), so the item's label
    is unique across the team even on a teammate's incident."""
    return f"{incident_label}-action-{item_id}"


def action_issue_fields(event: TimelineEvent, incident: Incident, config: JiraConfig, label: str,
                        incident_key: str, incident_url: str, roster: Roster = _nobody) -> dict:
    """The item's issue as created, from what the event says of the item."""
    data, ref = event.data, f"A-{action_item_id(event)}"
    owner = str(data.get("owner") or "")
    lines = [
        f"Action item {ref} of {incident.ref} ([{incident_key}|{incident_url}]): {incident.title}",
        f"*Owner:* {_name(owner, roster) if owner else 'nobody yet'}",
        f"*Due:* {data.get('due') or 'not set'}",
        f"*Priority:* {data.get('priority') or 'medium'}",
        f"\n_Kept in sync by oncall ({label})._",
    ]
    if incident.is_drill:
        lines.insert(0, "*This is a drill.*")
    fields: dict = {
        "summary": str(data.get("title") or ref)[:255],
        "description": "\n".join(lines),
        "labels": [ACTION_ITEM_LABEL, label, *(["drill"] if incident.is_drill else [])],
        **action_fields(event, config),
    }
    if not fields["duedate"]:
        del fields["duedate"]
    return fields


def action_fields(event: TimelineEvent, config: JiraConfig) -> dict:
    """The fields a change of the item sets again (the owner is the assignee, set on its own)."""
    return {"priority": {"name": config.action_priority_for(str(event.data.get("priority") or "medium"))},
            "duedate": event.data.get("due") or None}


def action_item_comment(event: TimelineEvent, label: str) -> str:
    """On the item's issue: done, won't do (with the reason) or reopened, and who said so."""
    return f"*{KIND_LABEL[event.kind]}* ({event.actor}): {event.text}\n\n_oncall: {event_marker(label, event.id or 0)}_"


# -- Slack -------------------------------------------------------------------------------------


def _addressed(person: Person, drill: bool) -> str:
    """A mention from their `slack_id`, else their name; in a drill always the name (a mention
    notifies a real person)."""
    return slack_escape(person.name) if drill else mention(person.slack_id, person.name)


def slack_person(person_id: str, roster: Roster, drill: bool = False) -> str:
    """A roster person as Slack shows them: a mention from their `slack_id`, else their name
    (escaped), and in a drill their name; someone not on the roster by their id (escaped)."""
    person = roster(person_id)
    return _addressed(person, drill) if person is not None else slack_escape(person_id)


def reporter_mention(reporter: str, roster: Roster, drill: bool = False) -> str:
    """The reporter as the reply addresses them: a mention from a Slack id (theirs, or the
    roster's for them), else their name; in a drill, never a mention."""
    person = roster(reporter)
    if person is not None:
        return _addressed(person, drill)
    return slack_escape(reporter) if drill else mention(reporter, reporter)


def slack_roles(holders: RoleHolders | None, roster: Roster, drill: bool = False) -> str:
    """`SME: <@U1>, <@U2> · Lead: <@U3> · PM: Omar Haddad`; roles nobody holds are left out."""
    if holders is None:
        return ""
    parts = []
    for role in PARENT_ROLES:
        held = holders.of(role)
        if held:
            parts.append(f"{SHORT_NAMES[role]}: " + ", ".join(slack_person(person, roster, drill) for person in held))
    return " · ".join(parts)


def slack_parent(incident: Incident, ic: Person | None, jira_url: str | None, roles: RoleHolders | None = None,
                 roster: Roster = _nobody) -> str:
    """The one message per incident, kept current: severity, status, title, IC, the other
    roles, asset, impact, Jira link. A drill's names people without mentioning them."""
    who = _addressed(ic, incident.is_drill) if ic else slack_escape(incident.ic or "unassigned")
    drill = "[DRILL] " if incident.is_drill else ""
    lines = [
        f"{drill}*{incident.severity.value}* · *{incident.status.value}* · {incident.ref}: {slack_escape(incident.title)}",
        f"IC: {who} · Asset: {slack_escape(incident.asset)}",
    ]
    held = slack_roles(roles, roster, incident.is_drill)
    if held:
        lines.append(held)
    if incident.impact:
        lines.append(f"Impact: {slack_escape(incident.impact)}")
    if jira_url:
        lines.append(f"Jira: <{jira_url}|{jira_url.rsplit('/', 1)[-1]}>")
    return "\n".join(lines)


def slack_reply(event: TimelineEvent, roster: Roster = _nobody, drill: bool = False, jira_url: str = "") -> str:
    """A thread reply: what happened; the new IC, or the person given a role, mentioned (the one
    relieved of a role named, not pinged); a new action item's owner mentioned, with its due
    date; a completed post-mortem with the link to the Jira issue it is posted on (`jira_url`);
    the people Informed mentioned on a line `For: …`. In a `drill`, people are named, never
    mentioned, and nobody is Informed."""
    if event.kind is EventKind.UPDATE_SENT and isinstance(event.data.get("slack_text"), str):
        text = event.data["slack_text"]  # rendered for Slack, what people typed escaped already
        to = event.data.get("to")
        if update_audience(event) == "reporter" and isinstance(to, str) and to:
            return f"{reporter_mention(to, roster, drill)} {text}"
        return text
    text = slack_escape(event.text)
    if postmortem_completed(event):
        text = "Post-mortem complete" + (f": the document is on <{jira_url}|{jira_url.rsplit('/', 1)[-1]}>"
                                         if jira_url else "")
    if item_action(event) == "added" and event.kind is EventKind.ACTION_ITEM:
        owner = str(event.data.get("owner") or "")
        said = [f"owner {slack_person(owner, roster, drill)}" if owner else "no owner yet"]
        if event.data.get("due"):
            said.append(f"due {slack_escape(str(event.data['due']))}")
        text += f" ({', '.join(said)})"
    who = new_ic(event) or role_person(event)
    person = roster(who) if who else None
    if person is not None:
        if event.kind is EventKind.ROLE_REMOVED:
            text += f" ({slack_escape(person.name)})"
        else:
            text += f" ({_addressed(person, drill)})"
    told = informed(event, drill)
    if told:
        text += "\nFor: " + ", ".join(slack_person(person_id, roster, drill) for person_id in told)
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
                  "declared": "your report is an incident now",
                  "fixed": "your report: fixed"}


def email_subject(event: TimelineEvent, incident: Incident) -> str:
    """`[SEV-1] INC-42 Weekly CAC up 340% — update`: the same incident's emails sort together."""
    template = str(event.data.get("template") or "")
    moment = template.removesuffix(".md.j2").split("-", 1)[-1]
    said = _EMAIL_MOMENTS.get(moment, "update")
    return f"[{incident.severity.value}] {incident.ref} {incident.title} — {said}"
