"""What went well and what went poorly, as far as the record can tell: a few plain facts to start
the conversation ("No stakeholder update was sent", "2 runbook steps were skipped"), then a prompt
for what only the people in the room know. Facts about the response, never about a person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind
from oncall.domain.people import Role
from oncall.postmortem.record import (
    FINISHED, UpdateTiming, data_of, of_kind, plural, role_of, severity_of, span, times, utc, when,
)
from oncall.postmortem.writing import todo

if TYPE_CHECKING:
    from oncall.postmortem.draft import Facts

NOTHING = "Nothing in the record stands out here."


def went_well(f: Facts) -> str:
    facts = []
    if f.incident.source is DetectionSource.ALERT:
        facts.append("An internal alert found it, before any user did.")
    active = judged(f)
    first = active[0] if active else None
    if first and f.declared.at and first.late is None:
        facts.append(f"The first update went out {span(utc(first.event.at) - f.declared.at)} after the declaration.")
    on_cadence = [t for t in active if t.due]
    if len(on_cadence) > 1 and all(t.late is None for t in on_cadence):
        facts.append(f"All {len(on_cadence)} updates the cadence asked for went out on time.")
    sme = next((e for e in of_kind(f.events, EventKind.ROLE_ASSIGNED) if role_of(data_of(e).get("role")) is Role.SME),
               None)
    if sme and f.declared.at and utc(sme.at) >= f.declared.at:
        facts.append(f"A Subject Matter Expert ({f.name(data_of(sme).get('person'))}) was brought in "
                     f"{span(utc(sme.at) - f.declared.at)} after the declaration.")
    done = sum(len(book.done) for book in f.runbooks)
    if done:
        facts.append(f"{plural(done, 'runbook step')} {'was' if done == 1 else 'were'} done.")
    if f.resolved and not f.reopened:
        facts.append("The fix held: it was not reopened.")
    return listed(facts) + todo("what helped: a clear runbook, a quick hand-off, a check that fired, a "
                                "stakeholder kept informed.")


def went_poorly(f: Facts) -> str:
    facts = []
    if f.incident.source is DetectionSource.USER_REPORT:
        facts.append("A user found it before any check did.")
    if f.incident.started_at is None:
        facts.append("When the data went bad was not recorded, so Time to Detection is unknown.")
    active = judged(f)
    if not f.timings:
        facts.append("No stakeholder update was sent.")
    elif not active:
        facts.append("No update was sent while the incident was open.")
    else:
        late = [t.late for t in active if t.late is not None]
        first = active[0]
        if first.late is not None and f.declared.at:
            facts.append(f"The first update went out {span(utc(first.event.at) - f.declared.at)} after the "
                         f"declaration, {span(first.late)} later than the cadence asked.")
        if late:
            facts.append(f"{len(late)} of {plural(len(active), 'update')} {'was' if len(late) == 1 else 'were'} late "
                         f"(the latest by {span(max(late))}).")
    skipped = sum(len(book.skipped) for book in f.runbooks)
    if skipped:
        facts.append(f"{plural(skipped, 'runbook step')} {'was' if skipped == 1 else 'were'} skipped.")
    left = sum(len(book.open) for book in f.runbooks)
    if left and f.incident.status in FINISHED:
        facts.append(f"{plural(left, 'runbook step')} {'was' if left == 1 else 'were'} never done.")
    for change in of_kind(f.events, EventKind.SEVERITY_CHANGED):
        old, new = severity_of(data_of(change).get("from")), severity_of(data_of(change).get("to"))
        if old and new and new.rank < old.rank:
            facts.append(f"The severity was raised after the declaration ({old.value} → {new.value} at "
                         f"{when(change.at)}): it was first judged lower than it was.")
    if f.reopened:
        facts.append(f"It was reopened {times(len(f.reopened))}: a fix did not hold the first time.")
    if of_kind(f.events, EventKind.CLOSE_OVERRIDE):
        facts.append("It was closed before its post-mortem was complete (an override).")
    return listed(facts) + todo("what got in the way: missing access, an unclear owner, a noisy alert, a step "
                                "the runbook lacked. Systems and decisions, not people.")


def judged(f: Facts) -> list[UpdateTiming]:
    """The updates sent while the incident was open (not a reporter's acknowledgement in triage,
    nor the resolved notice)."""
    return [t for t in f.timings if t.while_open]


def listed(facts: list[str]) -> str:
    return ("\n".join(f"- {fact}" for fact in facts) if facts else NOTHING) + "\n\n"


