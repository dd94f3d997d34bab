"""Runbooks on an incident: attach one, mark its steps done or skipped (with why), add notes,
keep the evidence gathered and share it to Jira on request, and finish with a summary.

Every change is a timeline event in the same transaction as the progress it records, so the
viewer resumes where the incident is, in any terminal, and the sync sends what is meant to go
(attaching, finishing, shared evidence: Jira comments; nothing to Slack). The console and the
command line both call this; neither writes progress itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oncall.domain.clock import Clock
from oncall.domain.incident import EventKind, TimelineEvent
from oncall.domain.rules import RuleViolation
from oncall.domain.text import clean_block, clean_line
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.runbook_progress import AttachedRunbook, RunbookProgressRepository, TagRepository
from oncall.store.timeline import TimelineRepository

if TYPE_CHECKING:
    from oncall.domain.runbook import Runbook, Step
    from oncall.evidence.runner import EvidenceResult

STATES = ("done", "skipped", "todo")
# What the timeline keeps of a command's or query's output (the runner already truncates).
OUTPUT_CHARS = 16_000


class RunbookService:
    def __init__(self, database: Database, clock: Clock, actor: str) -> None:
        self.db = database
        self.clock = clock
        self.actor = actor
        self.incidents = IncidentRepository(database)
        self.timeline = TimelineRepository(database)
        self.progress = RunbookProgressRepository(database)
        self.tag_store = TagRepository(database)

    # -- reading -------------------------------------------------------------------------------

    def attached(self, incident_id: int) -> list[AttachedRunbook]:
        self.incidents.get(incident_id)  # no such incident: IncidentNotFound
        return self.progress.attached(incident_id)

    def tags(self, incident_id: int) -> list[str]:
        self.incidents.get(incident_id)
        return self.tag_store.tags(incident_id)

    def set_tags(self, incident_id: int, tags: list[str] | str) -> list[str]:
        """The incident's failure tags (`third-party-api`, `stale-table`, …), all at once."""
        from oncall.domain.runbook import FAILURE_TAGS

        if not isinstance(tags, str):
            tags = " ".join(tags)
        tags = tags.replace(",", " ").split()  # `stale-table, bad-file` as typed, or separate words
        wanted = sorted({clean_line(tag).strip().lower() for tag in tags if clean_line(tag).strip()})
        unknown = [tag for tag in wanted if tag not in FAILURE_TAGS]
        if unknown:
            raise RuleViolation(f"unknown tag {', '.join(unknown)}; tags are {', '.join(sorted(FAILURE_TAGS))}")
        with self.db.write():
            before = self.tags(incident_id)
            if before == wanted:
                raise RuleViolation("the tags are already " + (", ".join(wanted) or "empty"))
            self.tag_store.replace(incident_id, wanted)
            self._record(incident_id, EventKind.TAGS_CHANGED, "tags: " + (", ".join(wanted) or "(none)"),
                         {"from": before, "to": wanted})
        return wanted

    def evidence(self, incident_id: int, runbook_id: str, number: int) -> list[TimelineEvent]:
        """The evidence gathered for one step, oldest first."""
        return [e for e in self.timeline.for_incident(incident_id)
                if e.kind is EventKind.EVIDENCE_GATHERED and e.data.get("runbook") == runbook_id
                and e.data.get("step") == number]

    # -- acting --------------------------------------------------------------------------------

    def attach(self, incident_id: int, runbook: Runbook) -> AttachedRunbook:
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if any(a.runbook_id == runbook.id for a in self.progress.attached(incident_id)):
                raise RuleViolation(f"{runbook.id} is already attached to {incident.ref}")
            now = self.clock.now()
            self.progress.attach(incident_id, runbook.id, runbook.title, self.actor, now)
            self._record(incident_id, EventKind.RUNBOOK_ATTACHED,
                         f"runbook attached: {runbook.title} ({len(runbook.steps)} steps)",
                         {"runbook": runbook.id, "title": runbook.title, "steps": len(runbook.steps)})
        return self._one(incident_id, runbook.id)

    def set_step(self, incident_id: int, runbook: Runbook, number: int, state: str,
                 reason: str = "", note: str = "") -> AttachedRunbook:
        """Mark a step done, skipped (a reason is needed) or back to do. When every step is done or
        skipped, the runbook is finished and the timeline gets the summary."""
        if state not in STATES:
            raise RuleViolation(f"a step is done, skipped or todo, not {state!r}")
        reason, note = clean_line(reason).strip(), clean_block(note).strip()
        if state == "skipped" and not reason:
            raise RuleViolation("say why the step is skipped (a reason is needed)")
        step = _step(runbook, number)
        with self.db.write():
            attached = self._attached_one(incident_id, runbook)
            if attached.state_for(step) == state:
                raise RuleViolation(f"step {number} is already {_state_word(state)}")
            now = self.clock.now()
            self.progress.set_step(incident_id, runbook.id, number, step.title, state, self.actor, now, reason)
            text = f"{runbook.title}, step {number} {_state_word(state)}: {step.title}"
            if reason:
                text += f" (why: {reason})"
            if note:
                text += f"\n{note}"
            self._record(incident_id, EventKind.RUNBOOK_STEP, text,
                         {"runbook": runbook.id, "step": number, "title": step.title, "state": state,
                          "reason": reason, "note": note})
            self._finish_if_complete(incident_id, runbook, now)
        return self._one(incident_id, runbook.id)

    def note(self, incident_id: int, runbook: Runbook, number: int, note: str) -> TimelineEvent:
        note = clean_block(note).strip()
        if not note:
            raise RuleViolation("the note is empty")
        step = _step(runbook, number)
        with self.db.write():
            self._attached_one(incident_id, runbook)
            return self._record(incident_id, EventKind.RUNBOOK_STEP,
                                f"{runbook.title}, step {number} ({step.title}): {note}",
                                {"runbook": runbook.id, "step": number, "title": step.title, "state": "note",
                                 "note": note})

    def record_evidence(self, incident_id: int, runbook: Runbook, number: int, result: EvidenceResult) -> TimelineEvent:
        """Keep what ran and what it said on the timeline (whether it worked or not)."""
        step = _step(runbook, number)
        output = clean_block(result.output)[:OUTPUT_CHARS]
        outcome = ("cancelled" if result.cancelled else f"stopped at the time limit" if result.timed_out
                   else f"failed: {result.error}" if result.error
                   else f"exit status {result.exit_status}" if result.exit_status not in (None, 0)
                   else f"{result.rows} rows" if result.rows is not None else "ok")
        with self.db.write():
            self._attached_one(incident_id, runbook)
            return self._record(
                incident_id, EventKind.EVIDENCE_GATHERED,
                f"evidence for step {number} ({step.title}): {outcome} in {result.duration:.1f}s",
                {"runbook": runbook.id, "step": number, "title": step.title, "ran": clean_block(result.ran),
                 "ok": result.ok, "exit_status": result.exit_status, "duration": round(result.duration, 3),
                 "output": output, "truncated": result.truncated, "timed_out": result.timed_out,
                 "cancelled": result.cancelled, "error": clean_line(result.error), "rows": result.rows})

    def share_evidence(self, incident_id: int, evidence_event_id: int) -> TimelineEvent:
        """Send gathered evidence to Jira (a comment through the outbox): only when the IC says so."""
        with self.db.write():
            self.incidents.get(incident_id)
            found = self.timeline.get_many([evidence_event_id]).get(evidence_event_id)
            if found is None or found.incident_id != incident_id or found.kind is not EventKind.EVIDENCE_GATHERED:
                raise RuleViolation(f"event {evidence_event_id} is not evidence gathered on INC-{incident_id}")
            if any(e.kind is EventKind.EVIDENCE_SHARED and e.data.get("evidence") == evidence_event_id
                   for e in self.timeline.for_incident(incident_id)):
                raise RuleViolation("that evidence has been shared already")
            data = found.data
            return self._record(incident_id, EventKind.EVIDENCE_SHARED,
                                f"evidence for step {data.get('step')} ({data.get('title')}) shared to Jira",
                                {"evidence": evidence_event_id, "runbook": data.get("runbook"),
                                 "step": data.get("step"), "ran": data.get("ran", ""), "output": data.get("output", "")})

    # -- helpers ---------------------------------------------------------------------------------

    def _finish_if_complete(self, incident_id: int, runbook: Runbook, now) -> None:
        attached = self._one(incident_id, runbook.id)
        _, _, complete = attached.tally(runbook.steps)
        if complete and attached.finished_at is None:
            done = [s.number for s in runbook.steps if attached.state_for(s) == "done"]
            skipped = [(s.number, attached.progress_for(s).reason) for s in runbook.steps
                       if attached.state_for(s) == "skipped"]
            self.progress.set_finished(incident_id, runbook.id, now)
            summary = f"{runbook.title} finished: {len(done)} of {len(runbook.steps)} steps done"
            if skipped:
                summary += "; skipped " + "; ".join(f"step {n} ({why})" for n, why in skipped)
            self._record(incident_id, EventKind.RUNBOOK_FINISHED, summary,
                         {"runbook": runbook.id, "done": done, "skipped": [n for n, _ in skipped]})
        elif not complete and attached.finished_at is not None:
            self.progress.set_finished(incident_id, runbook.id, None)  # a step reopened: not finished

    def _attached_one(self, incident_id: int, runbook: Runbook) -> AttachedRunbook:
        incident = self.incidents.get(incident_id)
        for attached in self.progress.attached(incident_id):
            if attached.runbook_id == runbook.id:
                return attached
        raise RuleViolation(f"{runbook.id} is not attached to {incident.ref}: attach it first")

    def _one(self, incident_id: int, runbook_id: str) -> AttachedRunbook:
        return next(a for a in self.progress.attached(incident_id) if a.runbook_id == runbook_id)

    def _record(self, incident_id: int, kind: EventKind, text: str, data: dict[str, Any]) -> TimelineEvent:
        incident = self.incidents.get(incident_id)
        self.incidents.save(incident.model_copy(update={"updated_at": self.clock.now()}))
        return self.timeline.append(TimelineEvent(incident_id=incident_id, at=self.clock.now(), actor=self.actor,
                                                  kind=kind, text=text, data=data))


def _step(runbook: Runbook, number: int) -> Step:
    for step in runbook.steps:
        if step.number == number:
            return step
    raise RuleViolation(f"{runbook.id} has steps 1 to {len(runbook.steps)}; there is no step {number}")


def _state_word(state: str) -> str:
    return {"done": "done", "skipped": "skipped", "todo": "back to do"}[state]


def evidence_values(service, incident_id: int) -> dict[str, str]:
    """The values a step's evidence may fill its placeholders with, from the incident and its
    asset (`domain.runbook.placeholder_values`); `service` is an `IncidentService`."""
    from datetime import timezone

    from oncall.domain.runbook import placeholder_values

    incident = service.get(incident_id)
    return placeholder_values(incident.ref, service.config.asset(incident.asset),
                              service.clock.now().astimezone(timezone.utc).date())
