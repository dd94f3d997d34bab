"""What one pass of the sync worker will deliver to one system, read in a few queries.

At the start of a pass the worker reads the target's open outbox entries, oldest first, and
groups them per incident. An incident's entries go one at a time, in order, and its sequence
stops at the first entry that is not due (waiting out a retry) or failed (waiting for a person).
What delivering an entry needs (the incident, the event, the remote ids, the steps already done,
the severity at the event's moment) is read here in bulk, so the lanes that talk to Jira and
Slack never wait on the database.

An incident snapshot taken at the start of the pass is never older than the events it
delivers: a change made during the pass is a new entry, delivered by the next pass.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from oncall.domain.incident import Incident, TimelineEvent
from oncall.domain.severity import Severity
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.outbox import OutboxEntry, OutboxStore
from oncall.store.remote_ids import RemoteIds, RemoteIncident
from oncall.store.timeline import TimelineRepository

PASS_LIMIT = 2000  # entries per target per pass; a bigger backlog takes several passes


@dataclass(frozen=True)
class Job:
    """One outbox entry to deliver, with everything delivering it reads."""

    entry: OutboxEntry  # as it was before this attempt began
    incident: Incident
    event: TimelineEvent
    remote: RemoteIncident  # as it was at the start of the pass
    done_steps: frozenset[str]  # steps an earlier attempt completed
    severity: Severity  # the incident's severity when the event happened


class TargetPlan:
    """The incidents with something due for one target, taking turns."""

    def __init__(self, target: str, sequences: dict[int, deque[OutboxEntry]], incidents: dict[int, Incident],
                 events: dict[int, TimelineEvent], remotes: dict[int, RemoteIncident],
                 done_steps: dict[int, frozenset[str]], severities: dict[int, list[tuple[int, str]]]) -> None:
        self.target = target
        self.sequences = sequences
        self.waiting: deque[int] = deque(sequences)  # incidents whose next entry may begin
        self._incidents = incidents
        self._events = events
        self._remotes = remotes
        self._done_steps = done_steps
        self._severities = severities

    @classmethod
    def load(cls, database: Database, target: str, now: float, limit: int | None = None) -> "TargetPlan":
        store = OutboxStore(database)
        # Only incidents whose first open entry is due: one that waits (a retry, a person) must
        # not crowd the others out of the pass.
        due = [h.incident_id for h in store.heads(target) if h.state == "pending" and h.next_attempt_at <= now]
        sequences: dict[int, deque[OutboxEntry]] = {}
        stopped: set[int] = set()
        for entry in store.open_in_order(target, limit or PASS_LIMIT, incidents=due):
            if entry.incident_id in stopped:
                continue
            if entry.state != "pending" or entry.next_attempt_at > now:
                stopped.add(entry.incident_id)  # the entries before it may go; none after it
                continue
            sequences.setdefault(entry.incident_id, deque()).append(entry)
        event_ids = [entry.event_id for sequence in sequences.values() for entry in sequence]
        incidents, ids, timeline = IncidentRepository(database), RemoteIds(database), TimelineRepository(database)
        return cls(
            target,
            sequences,
            incidents={incident_id: incidents.get(incident_id) for incident_id in sequences},
            events=timeline.get_many(event_ids),
            remotes={incident_id: ids.incident(incident_id) for incident_id in sequences},
            done_steps=ids.steps_done(target, event_ids),
            severities={incident_id: timeline.severity_history(incident_id) for incident_id in sequences}
            if target == "slack" else {},
        )

    @property
    def incident_count(self) -> int:
        return len(self.sequences)

    def next_entry(self) -> OutboxEntry | None:
        """The next entry of the incident whose turn it is (taking it out of the plan)."""
        while self.waiting:
            incident_id = self.waiting.popleft()
            sequence = self.sequences.get(incident_id)
            if sequence:
                return sequence.popleft()
        return None

    def again(self, incident_id: int) -> None:
        """The incident's entry was delivered: its next one (if any) waits for its turn."""
        if self.sequences.get(incident_id):
            self.waiting.append(incident_id)

    def stop(self, incident_id: int) -> None:
        """The incident's entry was not delivered: nothing after it goes in this pass."""
        self.sequences.pop(incident_id, None)

    def job(self, entry: OutboxEntry) -> Job:
        event = self._events[entry.event_id]
        return Job(
            entry=entry,
            incident=self._incidents[entry.incident_id],
            event=event,
            remote=self._remotes[entry.incident_id],
            done_steps=self._done_steps.get(entry.event_id, frozenset()),
            severity=self._severity_at(event),
        )

    def _severity_at(self, event: TimelineEvent) -> Severity:
        """The severity when the event happened: an update queued while offline keeps the
        broadcast rule of its moment."""
        found = "SEV-3"
        for event_id, severity in self._severities.get(event.incident_id, ()):
            if event_id > (event.id or 0):
                break
            found = severity
        return Severity(found)
