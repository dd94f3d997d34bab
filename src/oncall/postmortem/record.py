"""What an incident's record says, read for its post-mortem: times said one way (UTC), spans said
as people say them, when the incident was declared and by whom, each update judged against the
cadence of the severity it had then, and where each runbook ended up.

The timeline is read as it was written, over years of versions: an event whose `data` lacks a key,
or holds an odd value, is read for what it does say and never stops the draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.people import Role
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line

if TYPE_CHECKING:
    from oncall.domain.asset import Asset
    from oncall.domain.cadence import CommsSettings
    from oncall.workspace.config import Config

FINISHED = frozenset({Status.RESOLVED, Status.CLOSED, Status.DISMISSED})


# -- times -------------------------------------------------------------------------------------------


def utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC; a naive one (old data) is taken to be UTC already, so it can be compared."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def stamp(moment: datetime | None) -> str:
    """`2026-11-27 09:14`, UTC: the one way the document writes a moment."""
    moment = utc(moment)
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "unknown"


def when(moment: datetime | None) -> str:
    """`2026-11-27 09:14 UTC`, for a moment in a sentence."""
    return f"{stamp(moment)} UTC" if moment else "unknown"


def span(delta: timedelta) -> str:
    """`under 1 min`, `45 min`, `2 h 5 min`, `3 days 4 h`: whole minutes, never rounded up to look better."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(minutes, 24 * 60)
    hours = rest // 60
    day_word = "day" if days == 1 else "days"
    return f"{days} {day_word} {hours} h" if hours else f"{days} {day_word}"


def times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


# -- people, assets, event data ------------------------------------------------------------------------


def name_of(config: Config, person_id: object) -> str:
    """A person's name from the roster; the id when the roster does not know them."""
    if not person_id:
        return "nobody"
    person_id = clean_line(str(person_id)).strip()
    person = config.person(person_id)
    return person.name if person else person_id


def asset_of(config: Config, asset_id: object) -> Asset | None:
    return config.asset(str(asset_id)) if asset_id else None


def downstream(config: Config, asset_id: str) -> list[Asset]:
    """Everything that reads from the asset, directly or further down, nearest first, each once:
    the people who used the wrong data. A lineage cycle ends the walk."""
    from oncall.domain.asset import all_downstream

    return all_downstream(asset_id, list(getattr(config, "assets", []) or []))


def data_of(event: TimelineEvent) -> Mapping[str, Any]:
    return event.data if isinstance(event.data, Mapping) else {}


def text_of(value: object) -> str:
    """A value from an event's data as one clean line ("" for nothing)."""
    return clean_line(str(value)).strip() if value not in (None, "") else ""


def block_of(value: object) -> str:
    return clean_block(str(value)).strip() if value not in (None, "") else ""


def severity_of(value: object) -> Severity | None:
    try:
        return Severity.parse(str(value)) if value else None
    except ValueError:
        return None


def status_of(value: object) -> Status | None:
    try:
        return Status.parse(str(value)) if value else None
    except ValueError:
        return None


def role_of(value: object) -> Role | None:
    try:
        return Role(str(value).strip().lower()) if value else None
    except ValueError:
        return None


def moment_of(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return utc(value)
    try:
        return utc(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))) if value else None
    except ValueError:
        return None


# -- what happened, when -------------------------------------------------------------------------------


def of_kind(events: Sequence[TimelineEvent], kind: EventKind) -> list[TimelineEvent]:
    return [event for event in events if event.kind is kind]


def status_changes(events: Sequence[TimelineEvent], to: Status) -> list[TimelineEvent]:
    return [e for e in of_kind(events, EventKind.STATUS_CHANGED) if status_of(data_of(e).get("to")) is to]


def reopenings(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """The times a resolved (or closed) incident was taken up again."""
    return [e for e in of_kind(events, EventKind.STATUS_CHANGED)
            if status_of(data_of(e).get("from")) in (Status.RESOLVED, Status.CLOSED)
            and status_of(data_of(e).get("to")) not in FINISHED]


def reason_of(event: TimelineEvent) -> str:
    return block_of(data_of(event).get("reason"))


def first_severity(incident: Incident, events: Sequence[TimelineEvent]) -> Severity:
    """The severity it was declared with: what the declaration recorded, else what the first
    change changed from, else what it is now."""
    for event in of_kind(events, EventKind.DECLARED):
        found = severity_of(data_of(event).get("severity"))
        if found:
            return found
    for event in of_kind(events, EventKind.SEVERITY_CHANGED):
        found = severity_of(data_of(event).get("from"))
        if found:
            return found
    return incident.severity


@dataclass(frozen=True)
class Declared:
    """When the incident became one, and who made it so. `opened` is when triage began, if it did."""

    at: datetime | None
    by: str | None
    opened: datetime | None = None
    opened_by: str | None = None


def declaration(incident: Incident, events: Sequence[TimelineEvent]) -> Declared:
    """Declared at once (the declaration event says so), or opened for triage and declared when it
    left triage."""
    opened = next(iter(of_kind(events, EventKind.DECLARED)), None)
    if opened is not None and status_of(data_of(opened).get("status")) is not Status.TRIAGE:
        return Declared(utc(incident.declared_at) or utc(opened.at), opened.actor)
    leaving_triage = next((e for e in of_kind(events, EventKind.STATUS_CHANGED)
                           if status_of(data_of(e).get("from")) is Status.TRIAGE
                           and status_of(data_of(e).get("to")) not in (Status.DISMISSED, Status.TRIAGE, None)), None)
    at = utc(incident.declared_at) or (utc(leaving_triage.at) if leaving_triage else None)
    return Declared(at, leaving_triage.actor if leaving_triage else None,
                    utc(opened.at) if opened else None, opened.actor if opened else None)


def resolved_at(incident: Incident, events: Sequence[TimelineEvent]) -> datetime | None:
    """When it was last resolved (a reopened incident: its last resolution); None while open."""
    if incident.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    if incident.resolved_at:
        return utc(incident.resolved_at)
    last = status_changes(events, Status.RESOLVED)
    return utc(last[-1].at) if last else None


# -- updates against the cadence -----------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateTiming:
    """One update sent, and how it stood against the cadence of the severity at the time."""

    event: TimelineEvent
    severity: Severity  # when it was sent
    due: datetime | None  # when the cadence wanted it by; None: nothing was owed
    verdict: str  # "on time", "late by 12 min", "no cadence for SEV-3", "after it was resolved", …
    while_open: bool = True  # False: a reporter's acknowledgement in triage, or a notice once resolved

    @property
    def late(self) -> timedelta | None:
        at = utc(self.event.at)
        return at - self.due if self.due and at and at - self.due >= LATE_AFTER else None


LATE_AFTER = timedelta(minutes=1)  # the document says minutes: 40 seconds over is on time


def update_timings(incident: Incident, events: Sequence[TimelineEvent], settings: CommsSettings) -> list[UpdateTiming]:
    """Each update sent, judged by replaying the timeline. An update is due one interval (of the
    severity then) after the cadence started (declaring, or reopening), then one interval after
    the last update, or at the time that update promised. A severity change brings a later due
    time forward to the new interval, as the console's countdown does (`domain/cadence.py`).

    The console asks for the initial notice at once; here the first update is measured from the
    declaration against one interval, so a post-mortem does not call every initial notice late.
    """
    severity = first_severity(incident, events)
    status: Status | None = None
    due: datetime | None = None
    started: datetime | None = None  # when the cadence last started
    last: datetime | None = None  # the last update sent since
    declared_at = utc(incident.declared_at)
    timings = []

    def start(at: datetime) -> datetime | None:
        interval = settings.interval(severity)
        return at + interval if interval else None

    for event in events:
        at, data = utc(event.at), data_of(event)
        if at is None:
            continue
        if status is None and event.kind is not EventKind.DECLARED and declared_at and at >= declared_at:
            status, started, due = Status.INVESTIGATING, declared_at, start(declared_at)  # no declaration event
        if event.kind is EventKind.DECLARED:
            severity = severity_of(data.get("severity")) or severity
            status = status_of(data.get("status")) or (Status.INVESTIGATING if declared_at else Status.TRIAGE)
            if status is not Status.TRIAGE:
                started, last, due = at, None, start(at)
        elif event.kind is EventKind.STATUS_CHANGED:
            old, new = status_of(data.get("from")) or status, status_of(data.get("to"))
            if new is None:
                continue
            if new in FINISHED or new is Status.TRIAGE:
                due = None
            elif old is None or old in FINISHED or old is Status.TRIAGE:  # declared from triage, or reopened
                started, last, due = at, None, start(at)
            status = new
        elif event.kind is EventKind.SEVERITY_CHANGED:
            severity = severity_of(data.get("to")) or severity
            if status is None or status is Status.TRIAGE or status in FINISHED:
                continue
            interval = settings.interval(severity)
            if interval is None:
                due = None
            elif due is None:
                started, last, due = at, None, at + interval
            else:
                due = min(due, (last or started or at) + interval)
        elif event.kind is EventKind.UPDATE_SENT:
            timings.append(_judge(event, at, severity, status, due))
            if status is not None and status is not Status.TRIAGE and status not in FINISHED:
                promised = moment_of(data.get("next_update"))
                interval = settings.interval(severity)
                due = promised if promised and promised > at else (at + interval if interval else None)
                last = at
    return timings


def _judge(event: TimelineEvent, at: datetime, severity: Severity, status: Status | None,
           due: datetime | None) -> UpdateTiming:
    if status is None or status is Status.TRIAGE:
        return UpdateTiming(event, severity, None, "before the incident was declared", while_open=False)
    if status in FINISHED:
        return UpdateTiming(event, severity, None, f"after it was {status.value}", while_open=False)
    if due is None:
        return UpdateTiming(event, severity, None, f"no cadence for {severity.value}")
    if at - due >= LATE_AFTER:
        return UpdateTiming(event, severity, due, f"late by {span(at - due)} (due by {when(due)})")
    return UpdateTiming(event, severity, due, f"on time (due by {when(due)})")


# -- runbooks --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunbookSummary:
    """Where one runbook ended up on the incident: step titles done, skipped (with why), not done."""

    name: str
    done: Sequence[str] = ()
    skipped: Sequence[tuple[str, str]] = ()  # (step title, why it was skipped)
    open: Sequence[str] = ()


def runbooks_from_events(events: Sequence[TimelineEvent]) -> list[RunbookSummary]:
    """The runbooks as the timeline tells them, for when the caller has no progress to pass: each
    step's last state; steps never touched are named by number."""
    books: dict[str, dict[str, Any]] = {}
    for event in events:
        data = data_of(event)
        if event.kind not in (EventKind.RUNBOOK_ATTACHED, EventKind.RUNBOOK_STEP):
            continue
        key = text_of(data.get("runbook")) or "runbook"
        book = books.setdefault(key, {"name": key, "count": 0, "steps": {}})
        if event.kind is EventKind.RUNBOOK_ATTACHED:
            book["name"] = text_of(data.get("title")) or key
            count = data.get("steps")
            book["count"] = count if isinstance(count, int) and 0 <= count <= 500 else 0
            continue
        state = text_of(data.get("state") or data.get("outcome")).lower()
        if state not in ("done", "skipped", "todo"):
            continue  # a note on a step
        number = data.get("step")
        title = text_of(data.get("title")) or (f"step {number}" if number is not None else "a step")
        book["steps"][number if isinstance(number, int) else title] = (title, state, text_of(data.get("reason")))
    summaries = []
    for book in books.values():
        steps = book["steps"]
        ordered = [steps[key] for key in sorted(steps, key=lambda k: (0, k, "") if isinstance(k, int) else (1, 0, k))]
        untouched = [f"step {n}" for n in range(1, book["count"] + 1) if n not in steps]
        summaries.append(RunbookSummary(
            book["name"], [t for t, s, _ in ordered if s == "done"],
            [(t, why) for t, s, why in ordered if s == "skipped"],
            [t for t, s, _ in ordered if s == "todo"] + untouched))
    return summaries
