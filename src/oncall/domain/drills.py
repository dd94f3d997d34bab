"""Fire drills, pure: a scenario's injects and targets, which injects are due, what the drill's
incident shows happened, and the scorecard that measures it against the targets.

Phase 2 of the source document: "Run a simulated SEV-2 incident ('fire drill') to walk through the
process in a safe environment", then a feedback session on friction points. A scenario file
(`workspace/drills.py` reads it) scripts what the participants are told and when; the drill's
incident is run with the normal console; this module says what arrives next and how it went.

Times here are *scenario time*: the drill service turns wall time into elapsed scenario time (its
speed, its pauses) before calling `due_injects`, and hands `score` facts whose moments are on the
same clock as `started_at`. No I/O, no Textual, no pydantic at import (the console starts fast):
`facts_from` imports the timeline's models when it is called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from oncall.domain.severity import Severity
from oncall.domain.status import Status

if TYPE_CHECKING:
    from oncall.domain.cadence import CommsSettings
    from oncall.domain.incident import Incident, TimelineEvent

KINDS = ("message", "alert", "log", "leader", "fix")
CONDITIONS = ("update_sent", "declared", "roles_assigned", "runbook_attached", "step", "resolved")
MAX_DURATION = timedelta(hours=24)  # a drill is a morning, not a week; also keeps timedelta from overflowing
LATE_AFTER = timedelta(minutes=1)  # as the post-mortem judges updates: 40 seconds over is on time


# -- the scenario ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A voice of the scenario: a stakeholder, a leader, an alerting system, a log."""

    id: str
    name: str
    role: str = ""


@dataclass(frozen=True)
class Condition:
    """What the participants have done by now: `kind` is one of CONDITIONS; `value` is the step
    title for `step`, empty otherwise."""

    kind: str
    value: str = ""

    def __str__(self) -> str:
        return f'step "{self.value}"' if self.kind == "step" else self.kind


@dataclass(frozen=True)
class Inject:
    """One scripted event. `index` is its place in the file's `injects` list (0-based), which is
    how a drill run remembers it was delivered or skipped; `line` is where the file says it."""

    index: int
    at: timedelta
    persona: str
    kind: str
    text: str
    unless: Condition | None = None  # skipped for good if this holds when it is due
    after: Condition | None = None  # waits until this holds, then arrives
    line: int = 0


@dataclass(frozen=True)
class Targets:
    """What a good response looks like; None (or False) is no target."""

    declare_within: timedelta | None = None
    severity: Severity | None = None
    roles_within: timedelta | None = None  # the IC plus at least one other role
    first_update_within: timedelta | None = None
    updates_on_cadence: bool = False
    runbook: str | None = None
    resolve_within: timedelta | None = None


@dataclass(frozen=True)
class Scenario:
    name: str  # the file's stem: what `oncall drill run NAME` takes
    title: str
    asset: str
    severity: Severity
    situation: str
    personas: dict[str, Persona]
    injects: tuple[Inject, ...]  # in file order: injects[i].index == i
    targets: Targets

    @property
    def length(self) -> timedelta:
        """When the last inject is due (a waiting one may come later)."""
        return max((inject.at for inject in self.injects), default=timedelta(0))


_DURATION = re.compile(r"(?:(\d{1,6})\s*h)?\s*(?:(\d{1,6})\s*m)?\s*(?:(\d{1,6})\s*s)?")


def parse_duration(text: str) -> timedelta:
    """`30s`, `5m`, `1h30m`, `90m`, `1h 30m`, `0m`: hours, minutes and seconds in that order, each a
    whole number with its unit. A ValueError names the text otherwise."""
    cleaned = str(text).strip().lower()
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or not match or not any(match.groups()):
        raise ValueError(f"{str(text)[:40]!r} is not a duration: write it as 30s, 5m or 1h30m")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if duration > MAX_DURATION:
        raise ValueError(f"{str(text)[:40]!r} is longer than a drill: at most {_span(MAX_DURATION)}")
    return duration


def parse_condition(text: str) -> Condition:
    """`update_sent`, `declared`, `roles_assigned`, `runbook_attached`, `resolved`, or
    `step "TITLE"`; a ValueError says what is allowed otherwise."""
    cleaned = str(text).strip()
    step = re.fullmatch(r"step\s+(?:\"(.+)\"|'(.+)')", cleaned, re.DOTALL)
    if step:
        title = (step.group(1) or step.group(2)).strip()
        if title:
            return Condition("step", title)
    if cleaned in CONDITIONS and cleaned != "step":
        return Condition(cleaned)
    raise ValueError(f"unknown condition {cleaned[:60]!r}: use one of update_sent, declared, roles_assigned, "
                     'runbook_attached, resolved, or step "A STEP\'S TITLE"')


# -- what happened ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillFacts:
    """What happened on the drill's incident since the drill started (None: not yet)."""

    started_at: datetime
    declared_at: datetime | None = None  # left triage (or declared at once)
    severity: Severity | None = None  # the severity it was declared with
    roles_at: datetime | None = None  # when the IC and at least one other role were first held
    first_update_at: datetime | None = None  # any update sent (technical, stakeholders, reporter)
    updates_on_time: tuple[bool, ...] = ()  # each update sent while open and owed, on time or not
    runbooks: frozenset[str] = frozenset()  # runbook ids attached
    steps_done: frozenset[str] = frozenset()  # titles of runbook steps done (and not reopened)
    resolved_at: datetime | None = None
    credits: dict[str, tuple[str, ...]] = field(default_factory=dict)  # person id -> what they did
    # An update the cadence owed and nobody sent: when it fell due (None: nothing outstanding). For
    # a resolved incident, only one that fell due before the resolution.
    update_due_at: datetime | None = None


def holds(condition: Condition, facts: DrillFacts) -> bool:
    kind = condition.kind
    if kind == "update_sent":
        return facts.first_update_at is not None
    if kind == "declared":
        return facts.declared_at is not None
    if kind == "roles_assigned":
        return facts.roles_at is not None
    if kind == "runbook_attached":
        return bool(facts.runbooks)
    if kind == "step":
        return condition.value in facts.steps_done
    if kind == "resolved":
        return facts.resolved_at is not None
    raise ValueError(f"unknown condition {kind!r}")


def due_injects(scenario: Scenario, elapsed: timedelta, delivered: frozenset[int], skipped: frozenset[int],
                facts: DrillFacts) -> tuple[list[Inject], list[Inject]]:
    """(to deliver now, to skip for good), each in the order they are due.

    An inject is due once `elapsed` reaches its `at`. A due inject whose `unless` holds is skipped
    (checked on every tick while it is due and undelivered, so one waiting on `after` is skipped
    too if its `unless` comes true meanwhile); one whose `after` does not hold yet waits, and is
    delivered on the first call after it does. Injects already delivered or skipped are left alone.
    """
    deliver: list[Inject] = []
    skip: list[Inject] = []
    for inject in sorted(scenario.injects, key=lambda i: (i.at, i.index)):
        if inject.at > elapsed or inject.index in delivered or inject.index in skipped:
            continue
        if inject.unless is not None and holds(inject.unless, facts):
            skip.append(inject)
        elif inject.after is None or holds(inject.after, facts):
            deliver.append(inject)
    return deliver, skip


def facts_from(incident: Incident, events: Sequence[TimelineEvent], started_at: datetime,
               settings: CommsSettings) -> DrillFacts:
    """Read the drill's incident and its timeline (oldest first) for what `score` measures, and who
    did what. Moments are the timeline's (wall time, UTC); the caller converts them to scenario
    time when the drill ran faster than life."""
    from oncall.domain.incident import EventKind
    from oncall.postmortem import record

    events = list(events)
    declared = record.declaration(incident, events)
    credits = _Credits()

    severity = record.first_severity(incident, events)
    declared_severity: Severity | None = None
    if declared.at is not None and declared.opened is None:
        declared_severity = severity  # declared at once, with the severity it was opened with
        credits.add(declared.by, "declared the incident")
    ic: str | None = None
    others: dict[str, set[str]] = {}  # role -> people, for roles other than the IC
    roles_at: datetime | None = None
    first_update: datetime | None = None
    runbooks: list[str] = []
    steps: dict[tuple[str, object], tuple[str, str]] = {}  # (runbook, step) -> (title, state)

    for event in events:
        data = record.data_of(event)
        at, actor = record.utc(event.at), event.actor
        kind = event.kind
        if kind is EventKind.STATUS_CHANGED:
            old, new = record.status_of(data.get("from")), record.status_of(data.get("to"))
            if declared_severity is None and old is Status.TRIAGE and new not in (None, Status.TRIAGE,
                                                                                   Status.DISMISSED):
                declared_severity = severity
                credits.add(actor, "declared the incident")
            elif new is Status.RESOLVED:
                credits.add(actor, "resolved the incident")
            elif new in (Status.IDENTIFIED, Status.MONITORING):
                credits.add(actor, f"moved it to {new.value}")
        elif kind is EventKind.SEVERITY_CHANGED:
            severity = record.severity_of(data.get("to")) or severity
            if severity is not None:
                credits.add(actor, f"set the severity to {severity.value}")
        elif kind is EventKind.IC_ASSIGNED:
            ic = record.text_of(data.get("ic")) or None
            if data.get("from"):
                credits.add(actor, "handed over the IC role")
        elif kind in (EventKind.ROLE_ASSIGNED, EventKind.ROLE_REMOVED):
            role, person = record.text_of(data.get("role")).lower(), record.text_of(data.get("person"))
            if not role or not person or role == "ic":
                continue
            held = others.setdefault(role, set())
            if kind is EventKind.ROLE_ASSIGNED:
                replaced = record.text_of(data.get("from"))
                held.discard(replaced)
                held.add(person)
                credits.add(actor, f"assigned the {_ROLE_WORDS.get(role, role)}")
            else:
                held.discard(person)
        elif kind is EventKind.UPDATE_SENT:
            credits.add(actor, "sent the first update" if first_update is None else "sent an update")
            first_update = first_update or at
        elif kind is EventKind.RUNBOOK_ATTACHED:
            runbook = record.text_of(data.get("runbook"))
            if runbook and runbook not in runbooks:
                runbooks.append(runbook)
                credits.add(actor, f"attached the runbook {runbook}")
        elif kind is EventKind.RUNBOOK_STEP:
            state = record.text_of(data.get("state")).lower()
            title = record.text_of(data.get("title"))
            if state in ("done", "skipped", "todo") and title:
                steps[(record.text_of(data.get("runbook")), data.get("step") or title)] = (title, state)
                if state == "done":
                    credits.add(actor, f"did the step “{title}”")
                elif state == "skipped":
                    credits.add(actor, f"skipped the step “{title}”")
        elif kind is EventKind.NOTE and "drill" not in data:  # the drill's own lines (injects, pauses) are nobody's work
            credits.add(actor, "added a note")
        elif kind is EventKind.EVIDENCE_GATHERED:
            credits.add(actor, "gathered evidence")
        if roles_at is None and ic and any(others.values()):
            roles_at = at

    resolved = record.resolved_at(incident, events)
    timings = [t for t in record.update_timings(incident, events, settings) if t.while_open and t.due is not None]
    return DrillFacts(
        started_at=record.utc(started_at) or started_at,
        declared_at=declared.at,
        severity=declared_severity if declared.at is not None else None,
        roles_at=roles_at,
        first_update_at=first_update,
        updates_on_time=tuple(t.late is None for t in timings),
        runbooks=frozenset(runbooks),
        steps_done=frozenset(title for title, state in steps.values() if state == "done"),
        resolved_at=resolved,
        credits=credits.as_dict(),
        update_due_at=_update_owed(incident, events, declared.at, resolved, settings),
    )


def _update_owed(incident: Incident, events: list[TimelineEvent], declared_at: datetime | None,
                 resolved: datetime | None, settings: CommsSettings) -> datetime | None:
    """When the update the cadence owed at the end of the record fell due (None if nothing was
    owed), asked of the post-mortem's own replay (`postmortem/record.py`) with a probe update at
    the end of the record, or, for a resolved incident, just before its last resolution."""
    from oncall.domain.incident import EventKind, TimelineEvent
    from oncall.postmortem import record

    if declared_at is None:
        return None  # still in triage: nothing is owed yet
    cut, probe_at = len(events), datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1)
    if resolved is not None:
        resolutions = [n for n, e in enumerate(events) if e.kind is EventKind.STATUS_CHANGED
                       and record.status_of(record.data_of(e).get("to")) is Status.RESOLVED]
        if resolutions:
            cut, probe_at = resolutions[-1], resolved
    probe = TimelineEvent(incident_id=incident.id or 0, at=probe_at, actor="drill", kind=EventKind.UPDATE_SENT)
    timings = record.update_timings(incident, [*events[:cut], probe], settings)
    due = timings[-1].due if timings and timings[-1].event is probe else None
    if due is not None and resolved is not None and resolved - due < LATE_AFTER:
        return None  # resolved before the update fell due
    return due


_ROLE_WORDS = {"sme": "SME", "lead": "Eng/Team Lead", "pm": "TPM/PM/PO"}


class _Credits:
    """Who did what, in the order they did it; a repeated deed is counted, not listed again."""

    def __init__(self) -> None:
        self._done: dict[str, dict[str, int]] = {}

    def add(self, person: str | None, deed: str) -> None:
        if person:
            deeds = self._done.setdefault(person, {})
            deeds[deed] = deeds.get(deed, 0) + 1

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return {person: tuple(deed if count == 1 else f"{deed} ×{count}" for deed, count in deeds.items())
                for person, deeds in self._done.items()}


# -- the scorecard --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """One target against what happened. `met` is None when nothing was asked (no target); a timed
    target that never happened before the end is missed, with `actual` "not done"."""

    name: str
    target: str
    actual: str
    met: bool | None


@dataclass(frozen=True)
class Scorecard:
    scenario: str
    title: str
    started_at: datetime
    ended_at: datetime
    results: tuple[TargetResult, ...]
    went_well: tuple[str, ...]
    missed: tuple[str, ...]
    credits: dict[str, tuple[str, ...]]

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario, "title": self.title,
            "started_at": _moment_text(self.started_at), "ended_at": _moment_text(self.ended_at),
            "results": [{"name": r.name, "target": r.target, "actual": r.actual, "met": r.met} for r in self.results],
            "went_well": list(self.went_well), "missed": list(self.missed),
            "credits": {person: list(deeds) for person, deeds in self.credits.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scorecard:
        """Read what `to_json` wrote; a ValueError says what is missing or odd."""
        try:
            results = tuple(TargetResult(str(r["name"]), str(r["target"]), str(r["actual"]),
                                         None if r.get("met") is None else bool(r["met"]))
                            for r in data.get("results", ()))
            credits = {str(person): tuple(str(deed) for deed in deeds)
                       for person, deeds in dict(data.get("credits") or {}).items()}
            return cls(str(data["scenario"]), str(data.get("title", "")), _moment(data["started_at"]),
                       _moment(data["ended_at"]), results, tuple(str(w) for w in data.get("went_well", ())),
                       tuple(str(m) for m in data.get("missed", ())), credits)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a drill scorecard: {error}") from None

    @property
    def met_count(self) -> tuple[int, int]:
        """(targets met, targets measured)."""
        measured = [r for r in self.results if r.met is not None]
        return sum(1 for r in measured if r.met), len(measured)


def score(scenario: Scenario, facts: DrillFacts, ended_at: datetime) -> Scorecard:
    """Each target against what happened. Durations are measured from `facts.started_at` (the
    drill's start, not when the data went bad); anything after `ended_at` did not happen."""
    targets = scenario.targets
    results: list[TargetResult] = []
    went_well: list[str] = []
    missed: list[str] = []

    def timed(name: str, moment: datetime | None, within: timedelta | None, done: str, not_done: str) -> None:
        took = _took(facts.started_at, moment, ended_at)
        actual = _span(took) if took is not None else "not done"
        if within is None:
            results.append(TargetResult(name, "no target", actual, None))
            return
        met = took is not None and took <= within
        results.append(TargetResult(name, f"within {_span(within)}", actual, met))
        if took is None:
            missed.append(f"{not_done} (target: within {_span(within)})")
        elif met:
            went_well.append(f"{done} in {_span(took)} (target {_span(within)})")
        else:
            missed.append(f"{done} in {_span(took)}: {_span(took - within)} over the target of {_span(within)}")

    timed("Time to declare", facts.declared_at, targets.declare_within, "Declared", "Never declared")

    declared = _took(facts.started_at, facts.declared_at, ended_at) is not None
    actual_severity = facts.severity.value if facts.severity and declared else "not declared"
    if targets.severity is None:
        results.append(TargetResult("Severity", "no target", actual_severity, None))
    else:
        met = declared and facts.severity is targets.severity
        results.append(TargetResult("Severity", targets.severity.value, actual_severity, met))
        if met:
            went_well.append(f"Declared at the right severity, {targets.severity.value}")
        elif declared and facts.severity is not None:
            higher = facts.severity.rank < targets.severity.rank
            missed.append(f"Declared as {facts.severity.value}; the scenario called for {targets.severity.value}"
                          + (" (higher is the safe side when unsure)" if higher else ""))
        else:
            missed.append(f"No severity was declared (the scenario called for {targets.severity.value})")

    timed("Roles assigned", facts.roles_at, targets.roles_within, "IC and another role assigned",
          "The roles were never assigned beyond the IC")
    timed("First update", facts.first_update_at, targets.first_update_within, "First update sent",
          "No update was sent")
    _cadence(targets, facts, ended_at, results, went_well, missed)

    attached = sorted(facts.runbooks)
    if targets.runbook is None:
        results.append(TargetResult("Runbook", "no target", ", ".join(attached) or "none attached", None))
    elif targets.runbook in facts.runbooks:
        results.append(TargetResult("Runbook", targets.runbook, "attached", True))
        went_well.append(f"Used the runbook {targets.runbook}")
    else:
        actual = "not attached" + (f" (attached: {', '.join(attached)})" if attached else "")
        results.append(TargetResult("Runbook", targets.runbook, actual, False))
        missed.append(f"The runbook {targets.runbook} was not attached"
                      + (f"; {', '.join(attached)} was used instead" if attached else ""))

    timed("Time to resolve", facts.resolved_at, targets.resolve_within, "Resolved", "Not resolved before the end")
    return Scorecard(scenario.name, scenario.title, facts.started_at, ended_at, tuple(results), tuple(went_well),
                     tuple(missed), dict(facts.credits))


def _cadence(targets: Targets, facts: DrillFacts, ended_at: datetime, results: list[TargetResult],
             went_well: list[str], missed: list[str]) -> None:
    on_time = sum(1 for ok in facts.updates_on_time if ok)
    late = len(facts.updates_on_time) - on_time
    end = min(facts.resolved_at, ended_at) if facts.resolved_at else ended_at
    owed = facts.update_due_at is not None and end - facts.update_due_at >= LATE_AFTER
    parts = []
    if facts.updates_on_time:
        parts.append(f"{on_time} of {len(facts.updates_on_time)} on time")
    if owed:
        due = _took(facts.started_at, facts.update_due_at, None) or timedelta(0)
        parts.append(f"the update due at {_span(due)} was never sent")
    actual = "; ".join(parts) or "none was due"
    if not targets.updates_on_cadence:
        results.append(TargetResult("Updates on cadence", "no target", actual, None))
        return
    met = not late and not owed
    results.append(TargetResult("Updates on cadence", "every update on time", actual, met))
    if met and facts.updates_on_time:
        went_well.append("Every update went out on cadence" if on_time > 1 else "The update went out on cadence")
    elif not met:
        if late:
            missed.append(f"{late} of {len(facts.updates_on_time)} updates went out late")
        if owed:
            missed.append("An update the cadence owed was never sent")


def _took(start: datetime, moment: datetime | None, end: datetime | None) -> timedelta | None:
    """How long after `start` it happened (never negative); None if not at all, or after `end`."""
    if moment is None or (end is not None and moment > end):
        return None
    return max(moment - start, timedelta(0))


def _span(delta: timedelta) -> str:
    """`under 1 min` would hide a 40-second miss: `45 s`, `7 min`, `7 min 30 s`, `1 h 5 min`."""
    seconds = max(int(round(delta.total_seconds())), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _moment_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _moment(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- for the feedback session ------------------------------------------------------------------------------


def scorecard_markdown(card: Scorecard, names: Callable[[str], str]) -> str:
    """The scorecard as Markdown for the feedback session: each target against what happened, what
    went well, what was missed, who did what (`names` turns a person id into a name), and three
    prompts to find the friction points in the process."""
    met, measured = card.met_count
    lines = [
        f"# Drill scorecard: {_md(card.title)}",
        "",
        f"Scenario `{card.scenario}`, started {_stamp(card.started_at)} UTC, "
        f"{_span(card.ended_at - card.started_at)} of scenario time (faster with --speed, less the pauses). "
        f"Targets met: {met} of {measured}.",
        "",
        "This was a drill: nothing here counts in the incident metrics.",
        "",
        "## Targets",
        "",
        "| target | what happened | result |",
        "|---|---|---|",
    ]
    for result in card.results:
        happened = result.actual if result.target == "no target" else f"{result.actual} (target {result.target})"
        verdict = {True: "met", False: "missed", None: "not measured"}[result.met]
        lines.append(f"| {_cell(result.name)} | {_cell(happened)} | {verdict} |")
    lines += ["", "## What went well", ""]
    lines += [f"- {_md(item)}" for item in card.went_well] or ["- No target was met this time."]
    lines += ["", "## What was missed", ""]
    lines += [f"- {_md(item)}" for item in card.missed] or ["- Nothing: every target was met."]
    lines += ["", "## Who did what", ""]
    if card.credits:
        for person, deeds in card.credits.items():
            lines.append(f"- **{_md(names(person))}**: {_md('; '.join(deeds))}")
    else:
        lines.append("- Nobody acted on the drill's incident.")
    lines += ["", "## For the feedback session", ""]
    lines += [f"{n}. {prompt}" for n, prompt in enumerate(_prompts(card), start=1)]
    return "\n".join(lines) + "\n"


def _prompts(card: Scorecard) -> list[str]:
    """Three questions about friction in the process (blameless: about the process, not people)."""
    first_miss = next((r for r in card.results if r.met is False), None)
    if first_miss is not None:
        second = (f"{first_miss.name} was missed ({first_miss.actual}; target {first_miss.target}): what in "
                  "the process, the tool or the information you had made it hard to do sooner?")
    else:
        second = "Every target was met: which of them felt tight, and what would make them hold in a real incident?"
    return [
        "Where did the process slow you down or get in the way (a step, a handoff, a template, a key you "
        "could not find)?",
        second,
        "What would you change in the runbook, the update templates or the roles before the next real "
        "incident, and who will make that change?",
    ]


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M}"


def _md(text: str) -> str:
    """Text from a scenario or a timeline, kept from opening Markdown structure of its own."""
    return " ".join(str(text).split()).replace("<", "&lt;")


def _cell(text: str) -> str:
    return _md(text).replace("|", "\\|")
