"""A post-mortem draft written from what the incident recorded, section by section, as Markdown.

A draft is where people start, not what they sign: it states the facts the record holds (when
the data went bad, who was told and when, which runbook steps were skipped and why) and leaves a
"_To be written: …_" prompt wherever only a person can say (the contributing factors, the answers
to the five whys). Every moment is UTC. Text people typed goes through `clean_block`, so no
control character reaches the document, and nothing is cut short: a note is readable whole.

Blameless from the first line: the draft names systems, decisions and roles, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.people import Role
from oncall.domain.postmortem import Section
from oncall.domain.roles import ROLE_NAMES, ROLE_ORDER, RoleHolders
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.postmortem.action_items import ActionItemSummary, action_items_markdown
from oncall.postmortem.lessons import went_poorly, went_well
from oncall.postmortem.record import (
    Declared, RunbookSummary, UpdateTiming, asset_of, block_of, data_of, declaration, downstream,
    first_severity, name_of, of_kind, reason_of, role_of, reopenings, resolved_at, runbooks_from_events, span,
    stamp, status_changes, text_of, times, update_timings, utc, when,
)
from oncall.postmortem.writing import md, sentence, todo

if TYPE_CHECKING:
    from oncall.workspace.config import Config

__all__ = ["ACTION_ITEMS_PLACEHOLDER", "ActionItemSummary", "RunbookSummary", "action_items_markdown",
           "draft_sections"]

# Where the export puts the incident's live list of action items (`export.py`).
ACTION_ITEMS_PLACEHOLDER = "(listed from the incident's action items)"
BLAMELESS_NOTE = ("_This post-mortem is blameless: it names systems and decisions, not people to blame. "
                  "Where someone slipped, ask what made the slip easy and what would catch it next time._")
SOON = timedelta(minutes=1)  # declared within a minute of being detected: "at once"
SOURCE_PHRASE = {DetectionSource.ALERT: "an internal alert", DetectionSource.USER_REPORT: "a user report",
                 DetectionSource.DRILL: "the drill's scenario"}


@dataclass(frozen=True)
class Facts:
    """The record, read once for every section."""

    incident: Incident
    events: Sequence[TimelineEvent]
    roles: RoleHolders
    config: Config
    now: datetime
    declared: Declared
    resolved: datetime | None
    first_severity: Severity
    timings: Sequence[UpdateTiming]
    runbooks: Sequence[RunbookSummary]
    reopened: Sequence[TimelineEvent]

    def name(self, person_id: object) -> str:
        return md(name_of(self.config, person_id))

    @property
    def asset_name(self) -> str:
        asset = asset_of(self.config, self.incident.asset)
        return md(asset.name if asset else self.incident.asset)


def draft_sections(incident: Incident, events: Sequence[TimelineEvent], *, roles: RoleHolders, config: Config,
                   runbooks: Sequence[RunbookSummary] = (), now: datetime) -> dict[Section, str]:
    """Markdown for every section, in document order, from the incident's record. `runbooks` is
    where each runbook ended up (from the store); without it the timeline's runbook events say."""
    events = sorted(events, key=lambda event: utc(event.at))  # oldest first, whatever the caller did
    facts = Facts(incident, events, roles, config, utc(now), declaration(incident, events),
                  resolved_at(incident, events), first_severity(incident, events),
                  update_timings(incident, events, config.comms),
                  list(runbooks) or runbooks_from_events(events), reopenings(events))
    return {
        Section.SUMMARY: summary(facts),
        Section.IMPACT: impact(facts),
        Section.DETECTION: detection(facts),
        Section.RESPONSE: response(facts),
        Section.ROOT_CAUSE: root_cause(facts),
        Section.WENT_WELL: went_well(facts),
        Section.WENT_POORLY: went_poorly(facts),
        Section.TIMELINE: timeline(facts),
        Section.ACTION_ITEMS: action_items_prompt(),
    }


# -- the sections ------------------------------------------------------------------------------------


def summary(f: Facts) -> str:
    incident = f.incident
    said = [f"{incident.ref}, “{md(incident.title)}”, was a {incident.severity.value} "
            f"({incident.severity.label}) incident on {f.asset_name}"
            + (f", declared as {f.first_severity.value}." if f.first_severity is not incident.severity else ".")]
    start, end = utc(incident.started_at), f.resolved
    if start and end and end >= start:
        said.append(f"The data was wrong for {span(end - start)}, from {when(start)} until it was resolved at "
                    f"{when(end)}.")
    elif start:
        said.append(f"The data has been wrong since {when(start)}; it is not resolved yet ({when(f.now)}).")
    elif end:
        said.append(f"The data was wrong from a time not recorded until it was resolved at {when(end)}.")
    else:
        said.append("When the data went bad was not recorded, and it is not resolved yet.")
    found = f"It was found by {SOURCE_PHRASE.get(incident.source, incident.source.value)}"
    said.append(found + (f" and declared at {when(f.declared.at)}." if f.declared.at else "; it was never declared."))
    causes = [reason_of(e) for e in status_changes(f.events, Status.IDENTIFIED) if reason_of(e)]
    if causes:
        said.append(f"The cause identified: {sentence(causes[-1])}")
    fixes = [reason_of(e) for e in status_changes(f.events, Status.RESOLVED) if reason_of(e)]
    if fixes and f.resolved:
        said.append(f"Resolved: {sentence(fixes[-1])}")
    if f.reopened:
        said.append(f"It was reopened {times(len(f.reopened))}"
                    + (" before its last resolution." if f.resolved else " and is not resolved yet."))
    drill = ("**This was a drill**: a rehearsal of the response, not a real incident. Nothing went to real "
             "stakeholders and it is not counted in the metrics.\n\n") if incident.is_drill else ""
    return f"{drill}{' '.join(said)}\n\n{BLAMELESS_NOTE}"


def impact(f: Facts) -> str:
    incident, config = f.incident, f.config
    asset = asset_of(config, incident.asset)
    if asset is None:
        wrong = f"{md(incident.asset)} (not in oncall.toml, so its lineage is not known)"
    else:
        owner = f"owned by {f.name(asset.owner)}" if asset.owner else "no owner recorded"
        wrong = f"{md(asset.name)} (`{asset.id}`, {asset.kind.value}, {owner})"
    parts = [f"**What data was wrong:** {wrong}."]
    readers = downstream(config, incident.asset)
    if readers:
        parts.append("**Who used it** (everything downstream of it in the lineage, and who owns it):\n\n" + "\n".join(
            f"- {md(a.name)} (`{a.id}`, {a.kind.value}): {f.name(a.owner) if a.owner else 'no owner recorded'}"
            for a in readers))
    else:
        parts.append("**Who used it:** nothing downstream of it is in the lineage. "
                     + todo("who reads it directly (people, reports, exports)."))
    start, end = utc(incident.started_at), f.resolved
    begin = when(start) if start else f"a time not recorded (it was detected at {when(incident.detected_at)})"
    finish = when(end) if end else f"now ({when(f.now)}): it is not resolved yet"
    length = f" ({span(end - start)})" if start and end and end >= start else ""
    parts.append(f"**From when to when:** from {begin} to {finish}{length}.")
    recorded = block_of(incident.impact)
    parts.append(f"**Recorded impact:**\n\n{recorded}" if recorded else "**Recorded impact:** none was recorded.")
    parts.append(todo("who used the wrong numbers and for what (a report, a decision, a customer-facing page), "
                      "and whether any data was lost or must be backfilled."))
    return "\n\n".join(parts)


def detection(f: Facts) -> str:
    incident = f.incident
    detected, declared = utc(incident.detected_at), f.declared.at
    found = f"**How it was found:** by {SOURCE_PHRASE.get(incident.source, incident.source.value)}, at {when(detected)}"
    if declared and detected and declared - detected >= SOON:
        found += f"; declared {span(declared - detected)} later, at {when(declared)}."
    elif declared:
        found += ", and declared at once."
    else:
        found += "; it was never declared."
    parts = [found, "**Time to Detection:** " + time_to_detection(incident, declared)]
    asset = asset_of(f.config, incident.asset)
    upstream = [md(up.name if (up := asset_of(f.config, a)) else a) for a in (asset.upstream if asset else [])]
    if incident.source is DetectionSource.USER_REPORT:
        hint = (f"A person found this before any check did. A check on {f.asset_name} (freshness, row count, or "
                "a range on its values) could have alerted first"
                + (f"; so could one upstream, on {', '.join(upstream)}." if upstream else "."))
    elif incident.source is DetectionSource.ALERT:
        hint = "An alert found it. Could it have fired earlier" + (
            f", or on something upstream ({', '.join(upstream)})?" if upstream else "?")
    else:
        hint = "In a drill the scenario sets the first signal: was it noticed and declared at once?"
    parts.append(f"**How could it have been found sooner?** _{hint}_\n\n"
                 + todo("the check, alert or habit that would have found it sooner, and on which asset."))
    return "\n\n".join(parts)


def time_to_detection(incident: Incident, declared: datetime | None) -> str:
    """TTD is declared − started; never zero for a start nobody recorded: that is 'unknown'."""
    start = utc(incident.started_at)
    if start is None:
        return ("unknown: when the data went bad was not recorded, so it cannot be measured (set the "
                "incident's start time and it follows).")
    if declared:
        end, moment = declared, "declared"
    else:
        end, moment = utc(incident.detected_at), "detected (it was never declared)"
    if end is None or end < start:
        return f"unknown: the recorded start ({when(start)}) is after it was {moment} ({when(end)})."
    return (f"{span(end - start)}, from when the data went bad ({when(start)}) to when it was {moment} "
            f"({when(end)}).")


def response(f: Facts) -> str:
    parts = [declared_line(f), severity_lines(f), ic_lines(f), role_lines(f), update_lines(f), runbook_lines(f)]
    if f.reopened:
        parts.append("**Reopened:**\n\n" + "\n".join(
            f"- {when(e.at)} by {f.name(e.actor)}" + (f": {md(reason_of(e))}" if reason_of(e) else "")
            for e in f.reopened))
    parts.append("**Time to Resolution:** " + time_to_resolution(f))
    overrides = of_kind(f.events, EventKind.CLOSE_OVERRIDE)
    if overrides:
        parts.append("**Closed before its post-mortem was complete:**\n\n" + "\n".join(
            f"- {when(e.at)} by {f.name(e.actor)}: {md(reason_of(e)) or 'no reason recorded'}" for e in overrides))
    return "\n\n".join(parts)


def declared_line(f: Facts) -> str:
    d = f.declared
    opened = (f"opened for triage at {when(d.opened)}" + (f" by {f.name(d.opened_by)}" if d.opened_by else "")
              if d.opened else "")
    if d.at is None:
        return "**Declared:** never" + (f"; it was {opened} and stayed there." if opened else ".")
    line = f"**Declared:** {when(d.at)}" + (f" by {f.name(d.by)}" if d.by else "") + f", as {f.first_severity.value}."
    if opened and d.opened and d.at >= d.opened:
        line += f" It was {opened} and waited there {span(d.at - d.opened)}."
    return line


def severity_lines(f: Facts) -> str:
    changes = of_kind(f.events, EventKind.SEVERITY_CHANGED)
    if not changes:
        return f"**Severity:** {f.incident.severity.value} throughout."
    return "**Severity changes:**\n\n" + "\n".join(
        f"- {when(e.at)}: {text_of(data_of(e).get('from')) or '?'} → {text_of(data_of(e).get('to')) or '?'} "
        f"by {f.name(e.actor)}" + (f": {md(reason_of(e))}" if reason_of(e) else "") for e in changes)


def ic_lines(f: Facts) -> str:
    assigned = of_kind(f.events, EventKind.IC_ASSIGNED)
    first = next((e for e in assigned if "from" not in data_of(e)), None)
    handoffs = [e for e in assigned if e is not first]
    first_ic = data_of(first).get("ic") if first else (data_of(handoffs[0]).get("from") if handoffs else f.incident.ic)
    if not handoffs:
        return f"**Incident Commander:** {f.name(first_ic)}, throughout."
    return (f"**Incident Commander:** {f.name(first_ic)} at first; handed off {times(len(handoffs))}:\n\n"
            + "\n".join(f"- {when(e.at)}: from {f.name(data_of(e).get('from'))} to {f.name(data_of(e).get('ic'))} "
                        f"(by {f.name(e.actor)})"
                        + (f": {md(block_of(data_of(e).get('note')))}" if block_of(data_of(e).get("note")) else "")
                        for e in handoffs))


def role_lines(f: Facts) -> str:
    lines = []
    for e in f.events:
        if e.kind not in (EventKind.ROLE_ASSIGNED, EventKind.ROLE_REMOVED):
            continue
        data = data_of(e)
        role = role_name(data.get("role"))
        if e.kind is EventKind.ROLE_ASSIGNED:
            line = f"- {when(e.at)}: {f.name(data.get('person'))} became {role}"
            line += f", taking over from {f.name(data.get('from'))}" if data.get("from") else ""
        else:
            line = f"- {when(e.at)}: {f.name(data.get('person'))} was no longer {role}"
        note = block_of(data.get("note"))
        lines.append(line + f" (by {f.name(e.actor)})" + (f": {md(note)}" if note else ""))
    held = f.roles.as_dict()
    if not held[Role.IC] and f.incident.ic:
        held[Role.IC] = [f.incident.ic]
    at_end = "; ".join(f"{ROLE_NAMES[role]}: {', '.join(f.name(p) for p in held[role]) or 'nobody'}"
                       for role in ROLE_ORDER)
    given = "**Roles given:**\n\n" + "\n".join(lines) if lines else "**Roles given:** none besides the IC."
    return f"{given}\n\n**Roles at the end:** {at_end}."


def role_name(value: object) -> str:
    role = role_of(value)
    return ROLE_NAMES[role] if role else md(text_of(value)) or "a role"


def update_lines(f: Facts) -> str:
    settings = f.config.comms
    cadence = ", ".join(f"{s.value} every {span(i)}" if (i := settings.interval(s)) else f"{s.value} none"
                        for s in Severity)
    if not f.timings:
        expected = settings.interval(f.first_severity)
        return ("**Updates sent:** No stakeholder update was sent"
                + (f" ({f.first_severity.value} expects one every {span(expected)})." if expected else ".")
                + f" Cadence: {cadence}.")
    lines = []
    for t in f.timings:
        data = data_of(t.event)
        audience = text_of(data.get("audience")) or "an"
        template = text_of(data.get("template")).removesuffix(".md.j2")
        lines.append(f"- {when(t.event.at)}: {md(audience)} update" + (f" ({md(template)})" if template else "")
                     + f" by {f.name(t.event.actor)}, {t.severity.value}: {t.verdict}")
    return f"**Updates sent** (cadence: {cadence}; the first measured from the declaration):\n\n" + "\n".join(lines)


def runbook_lines(f: Facts) -> str:
    if not f.runbooks:
        return "**Runbooks:** none was used."
    lines = []
    for book in f.runbooks:
        total = len(book.done) + len(book.skipped) + len(book.open)
        lines.append(f"- {md(book.name)}: {len(book.done)} of {total} steps done")
        lines += [f"  - done: {md(step)}" for step in book.done]
        lines += [f"  - skipped: {md(step)}" + (f" (why: {md(why)})" if why else " (no reason recorded)")
                  for step, why in book.skipped]
        lines += [f"  - not done: {md(step)}" for step in book.open]
    return "**Runbooks:**\n\n" + "\n".join(lines)


def time_to_resolution(f: Facts) -> str:
    """TTR is resolved − declared; for a reopened incident, to its last resolution."""
    declared, resolved = f.declared.at, f.resolved
    if declared is None:
        return "unknown: it was never declared."
    if resolved is None:
        return f"not resolved yet ({span(f.now - declared)} since the declaration, at {when(f.now)})."
    last = (f"its last resolution ({when(resolved)}), after being reopened {times(len(f.reopened))}" if f.reopened
            else f"its resolution ({when(resolved)})")
    return f"{span(resolved - declared)}, from the declaration ({when(declared)}) to {last}."


def root_cause(f: Facts) -> str:
    found = status_changes(f.events, Status.IDENTIFIED)
    if any(reason_of(e) for e in found):
        said = ("**What the response identified** (a starting point, in the words used at the time):\n\n"
                + "\n".join(f"- {when(e.at)}: {md(reason_of(e))}" for e in found if reason_of(e)))
    else:
        said = "**What the response identified:** no cause was recorded when the incident moved to identified."
    tags = of_kind(f.events, EventKind.TAGS_CHANGED)
    last_tags = data_of(tags[-1]).get("to") if tags else None
    if isinstance(last_tags, list) and last_tags:
        said += "\n\n**Failure category:** " + ", ".join(md(text_of(tag)) for tag in last_tags)
    whys = [f"Why was the data in {f.asset_name} wrong?"] + ["Why …?"] * 4
    return (said + "\n\n### Contributing factors\n\n"
            + todo("the conditions that let this happen or made it worse: a missing check, a silent failure, "
                   "an unclear owner, a manual step. Name systems and decisions, not people.")
            + "\n\n### Five whys\n\nStart from what went wrong and ask why until the answer is something the "
              "team can change.\n\n"
            + "\n".join(f"{n}. {why} {todo('the answer.')}" for n, why in enumerate(whys, 1)))


def timeline(f: Facts) -> str:
    if not f.events:
        return "_The timeline is empty._"
    lines = ["All times UTC.", ""]
    for event in f.events:
        text = block_of(event.text) or event.kind.value.replace("_", " ")
        first, *rest = text.split("\n")
        lines.append(f"- **{stamp(event.at)}** {f.name(event.actor)}: {first}")
        lines += [f"  {line}" if line.strip() else "" for line in rest]  # indented: the same list item
    return "\n".join(lines)


def action_items_prompt() -> str:
    return (todo("each action item with an owner and a due date: a change to a system or a process (a check, "
                 "an alert, a runbook step), not “be more careful”.") + f"\n\n{ACTION_ITEMS_PLACEHOLDER}")
