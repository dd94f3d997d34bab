"""Declare, change status or severity, add notes, edit impact, ETA and start time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from oncall.domain.clock import Clock, to_text
from oncall.domain.incident import DetectionSource, EventKind, Incident, TimelineEvent
from oncall.domain.intake import UNKNOWN_ASSET
from oncall.domain.people import Role
from oncall.domain.reporter import parse_reporter
from oncall.domain.raci import Activity, RaciChart
from oncall.domain.roles import ROLE_NAMES, RoleHolders, check_removal, plan_assignment
from oncall.domain.rules import RuleViolation, check_severity_change, check_transition
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line
from oncall.store.db import Database
from oncall.domain import cadence
from oncall.store.cadence import CadenceRepository
from oncall.service.informed import informed_of
from oncall.service.postmortems import close_blockers
from oncall.store.incidents import IncidentRepository
from oncall.store.roles import RoleRepository
from oncall.store.timeline import TimelineRepository
from oncall.workspace.config import Config


@dataclass(frozen=True)
class Declaration:
    """What a person fills in to declare an incident."""

    title: str
    severity: Severity
    asset: str
    source: DetectionSource = DetectionSource.USER_REPORT
    impact: str = ""
    started_at: datetime | None = None
    ic: str | None = None
    status: Status = Status.INVESTIGATING
    reported_by: str = ""  # a roster id, a Slack user id or an email address (`domain/reporter.py`)
    name_ic: bool = True  # False: nobody is made IC (a drill: naming one is part of the exercise)


class IncidentService:
    def __init__(self, database: Database, config: Config, clock: Clock, actor: str,
                 root: Path | None = None) -> None:
        self.db = database
        self.root = root  # the workspace folder: its templates/ answer a reporter (None: the built-ins)
        self.config = config
        self.clock = clock
        self.actor = actor
        self.incidents = IncidentRepository(database)
        self.timeline = TimelineRepository(database)
        self.role_store = RoleRepository(database)
        self.cadence = CadenceRepository(database)

    # -- reading -----------------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident:
        return self.incidents.get(incident_id)

    def events(self, incident_id: int) -> list[TimelineEvent]:
        return self.timeline.for_incident(incident_id)

    def roles(self, incident_id: int) -> RoleHolders:
        self.incidents.get(incident_id)  # no such incident: IncidentNotFound
        return self.role_store.holders(incident_id)

    @property
    def raci(self) -> RaciChart:
        return self.config.raci

    def on_call(self) -> str | None:
        """Who the rotation puts on call now; never someone missing from a roster that exists."""
        rotation = self.config.rotation
        person = rotation.on_call(self.clock.now()) if rotation else None
        return person if person is None or not self.config.people or self.config.person(person) else None

    # -- acting ------------------------------------------------------------------------------

    def declare(self, declaration: Declaration) -> Incident:
        if not (declaration.asset == UNKNOWN_ASSET and declaration.status is Status.TRIAGE):
            self._check_asset(declaration.asset)  # a triage item may wait for the IC to choose
        now = self.clock.now()
        if declaration.started_at and declaration.started_at > now:
            raise RuleViolation(f"started-at {to_text(declaration.started_at)} is in the future")
        if declaration.ic and self.config.people and not self.config.person(declaration.ic):
            raise RuleViolation(f"{declaration.ic!r} is not on the roster; known: {self._roster_ids()}")
        reporter = parse_reporter(declaration.reported_by, lambda person: self.config.person(person) is not None)
        ic = declaration.ic or (self.on_call() or self._declarer_as_ic() if declaration.name_ic else None)
        is_triage = declaration.status is Status.TRIAGE
        incident = Incident(
            title=declaration.title,
            severity=declaration.severity,
            status=declaration.status,
            asset=declaration.asset,
            source=declaration.source,
            impact=declaration.impact.strip(),
            ic=ic,
            is_drill=declaration.source is DetectionSource.DRILL,
            reported_by=reporter.value if reporter else "",
            started_at=declaration.started_at,
            detected_at=now,
            declared_at=None if is_triage else now,
            updated_at=now,
        )
        with self.db.write():
            incident = self.incidents.insert(incident)
            self._record(incident, EventKind.DECLARED, _declared_text(incident), {
                "severity": incident.severity.value,
                "status": incident.status.value,
                "asset": incident.asset,
                "source": incident.source.value,
                **({"reported_by": incident.reported_by} if incident.reported_by else {}),
                **self._informed(incident, Activity.DECLARE, RoleHolders(ic=ic)),
            })
            if ic is not None:  # nobody yet: the IC is named later (`assign_ic`)
                self._record(incident, EventKind.IC_ASSIGNED, f"{ic} is Incident Commander", {"ic": ic})
            assert incident.id is not None
            self.cadence.set_due(incident.id, cadence.due_when_declared(incident.severity, incident.status, now,
                                                                        self.config.comms))
        return incident

    def change_status(self, incident_id: int, new: Status, reason: str = "") -> Incident:
        reason = clean_line(reason)
        with self.db.write():
            incident = self.incidents.get(incident_id)
            gated = new is Status.CLOSED and incident.severity in (Severity.SEV1, Severity.SEV2)
            blockers = tuple(close_blockers(self.db, incident_id)) if gated else ()
            check_transition(incident.status, new, incident.severity, reason, postmortem_complete=not blockers,
                             blockers=blockers)
            if incident.status is Status.TRIAGE and new is not Status.DISMISSED and incident.asset == UNKNOWN_ASSET:
                raise RuleViolation(f"{incident.ref} has no asset yet: choose the affected asset before declaring it")
            now = self.clock.now()
            changes: dict[str, Any] = {"status": new, "updated_at": now}
            if new is Status.RESOLVED:
                changes["resolved_at"] = now
            elif new is Status.CLOSED:
                changes["closed_at"] = now
            elif new in (Status.INVESTIGATING, Status.IDENTIFIED) and incident.declared_at is None:
                changes["declared_at"] = now  # leaving triage is the moment of declaring
            if incident.status is Status.RESOLVED and new is Status.INVESTIGATING:
                changes["resolved_at"] = None  # reopened
            updated = incident.model_copy(update=changes)
            self.incidents.save(updated)
            text = f"{incident.status.value} → {new.value}" + (f": {reason.strip()}" if reason.strip() else "")
            self._record(updated, EventKind.STATUS_CHANGED, text, {
                "from": incident.status.value, "to": new.value, "reason": reason.strip(),
                **self._informed(updated, STATUS_ACTIVITY.get(new, Activity.COMMUNICATE_STATUS)),
            })
            due, _ = self.cadence.get(incident_id)
            self.cadence.set_due(incident_id, cadence.due_after_status_change(
                due, incident.status, new, incident.severity, now, self.config.comms))
            if gated and blockers:
                self._record(updated, EventKind.CLOSE_OVERRIDE,
                             f"closed before the post-mortem was complete: {reason.strip()}",
                             {"reason": reason.strip(), "blockers": list(blockers)})
            if incident.status is Status.TRIAGE and updated.reported_by:  # the reporter hears either way
                from oncall.service.intake import tell_reporter

                tell_reporter(self, updated, "dismissed" if new is Status.DISMISSED else "declared", reason.strip())
        return updated

    def change_severity(self, incident_id: int, new: Severity, reason: str) -> Incident:
        reason = clean_line(reason)
        with self.db.write():
            incident = self.incidents.get(incident_id)
            check_severity_change(incident.severity, new, reason)
            updated = incident.model_copy(update={"severity": new, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            self._record(updated, EventKind.SEVERITY_CHANGED,
                         f"{incident.severity.value} → {new.value}: {reason.strip()}",
                         {"from": incident.severity.value, "to": new.value, "reason": reason.strip()})
            due, last = self.cadence.get(incident_id)
            self.cadence.set_due(incident_id, cadence.due_after_severity_change(
                due, last, new, incident.status, self.clock.now(), self.config.comms))
        return updated

    def add_note(self, incident_id: int, text: str) -> TimelineEvent:
        text = clean_block(text).strip()
        if not text:
            raise RuleViolation("the note is empty")
        with self.db.write():
            incident = self.incidents.get(incident_id)
            updated = incident.model_copy(update={"updated_at": self.clock.now()})
            self.incidents.save(updated)
            return self._record(updated, EventKind.NOTE, text, {})

    def set_impact(self, incident_id: int, impact: str) -> Incident:
        return self._edit_text(incident_id, "impact", clean_block(impact), EventKind.IMPACT_CHANGED, "impact")

    def set_eta(self, incident_id: int, eta: str) -> Incident:
        return self._edit_text(incident_id, "eta", clean_line(eta), EventKind.ETA_CHANGED, "ETA")

    def set_asset(self, incident_id: int, asset: str) -> Incident:
        """Choose or correct the affected asset (a report that named none, an alert on a name the
        workspace does not know)."""
        asset = clean_line(asset).strip()
        self._check_asset(asset)
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if incident.asset == asset:
                raise RuleViolation(f"the asset is already {asset!r}")
            updated = incident.model_copy(update={"asset": asset, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            self._record(updated, EventKind.ASSET_CHANGED, f"asset: {incident.asset} → {asset}",
                         {"from": incident.asset, "to": asset})
        return updated

    def set_started_at(self, incident_id: int, started_at: datetime) -> Incident:
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if started_at > self.clock.now():
                raise RuleViolation(f"started-at {to_text(started_at)} is in the future")
            if incident.declared_at and started_at > incident.declared_at:
                raise RuleViolation("started-at cannot be after the incident was declared")
            updated = incident.model_copy(update={"started_at": started_at, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            self._record(updated, EventKind.STARTED_AT_CHANGED, f"data went bad at {to_text(started_at)}",
                         {"from": to_text(incident.started_at) if incident.started_at else None,
                          "to": to_text(started_at)})
        return updated

    def assign_ic(self, incident_id: int, person_id: str, note: str = "") -> Incident:
        person_id = self._roster_person(person_id, "new Incident Commander")
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if incident.ic == person_id:
                raise RuleViolation(f"{person_id} is already Incident Commander")
            updated = incident.model_copy(update={"ic": person_id, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            note = clean_block(note).strip()
            self._record(updated, EventKind.IC_ASSIGNED,
                         f"IC handed from {incident.ic or 'nobody'} to {person_id}" + (f": {note}" if note else ""),
                         {"from": incident.ic, "ic": person_id, "note": note})
        return updated

    def assign_role(self, incident_id: int, role: Role, person_id: str, note: str = "") -> RoleHolders:
        """Give `person_id` a role: the IC is handed off, an SME added, the Lead or PM given (to
        someone new, handed on). A person not on the roster, or who holds it already, is refused."""
        if role is Role.IC:
            self.assign_ic(incident_id, person_id, note)
            return self.role_store.holders(incident_id)
        person_id = self._roster_person(person_id, ROLE_NAMES[role])
        with self.db.write():
            incident = self.incidents.get(incident_id)
            change = plan_assignment(self.role_store.holders(incident_id), role, person_id)
            if change.replaces:
                self.role_store.remove(incident_id, role, change.replaces)
            self.role_store.add(incident_id, role, person_id, self.clock.now())
            updated = self._touch(incident)
            note = clean_block(note).strip()
            text = (f"{ROLE_NAMES[role]} handed from {change.replaces} to {person_id}" if change.replaces
                    else f"{person_id} is {ROLE_NAMES[role]}") + (f": {note}" if note else "")
            self._record(updated, EventKind.ROLE_ASSIGNED, text,
                         {"role": role.value, "person": person_id, "from": change.replaces, "note": note})
            return self.role_store.holders(incident_id)

    def unassign_role(self, incident_id: int, role: Role, person_id: str, note: str = "") -> RoleHolders:
        """Take a role from someone. The IC is never removed, only handed off."""
        person_id = clean_line(person_id).strip()
        with self.db.write():
            incident = self.incidents.get(incident_id)
            check_removal(self.role_store.holders(incident_id), role, person_id)
            self.role_store.remove(incident_id, role, person_id)
            updated = self._touch(incident)
            note = clean_block(note).strip()
            self._record(updated, EventKind.ROLE_REMOVED,
                         f"{person_id} is no longer {ROLE_NAMES[role]}" + (f": {note}" if note else ""),
                         {"role": role.value, "person": person_id, "note": note})
            return self.role_store.holders(incident_id)

    # -- helpers -----------------------------------------------------------------------------

    def _roster_person(self, person_id: str, role_name: str) -> str:
        """A person for a role: on the roster when there is one; without one (a workspace that
        has not written its `[[people]]` yet), a handle shaped like a roster id."""
        person_id = clean_line(person_id).strip()
        if not person_id:
            raise RuleViolation(f"name the {role_name} (a roster id)")
        if self.config.people and not self.config.person(person_id):
            raise RuleViolation(f"{person_id!r} is not on the roster; known: {self._roster_ids()}")
        if not self.config.people and not ROSTER_ID.fullmatch(person_id):
            raise RuleViolation(f"{person_id[:40]!r} is not a handle: use lowercase letters, digits, '.', '_' "
                                "and '-' (the roster has nobody yet: add [[people]] to oncall.toml)")
        return person_id

    def _touch(self, incident: Incident) -> Incident:
        updated = incident.model_copy(update={"updated_at": self.clock.now()})
        self.incidents.save(updated)
        return updated

    def _informed(self, incident: Incident, activity: Activity, holders: RoleHolders | None = None) -> dict[str, Any]:
        return informed_of(self.raci, self.role_store, incident, activity, holders)


    def _edit_text(self, incident_id: int, field: str, value: str, kind: EventKind, label: str) -> Incident:
        value = value.strip()
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if getattr(incident, field) == value:
                raise RuleViolation(f"the {label} is already {value!r}")
            updated = incident.model_copy(update={field: value, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            self._record(updated, kind, f"{label}: {value or '(cleared)'}", {"from": getattr(incident, field), "to": value})
        return updated

    def _record(self, incident: Incident, kind: EventKind, text: str, data: dict[str, Any]) -> TimelineEvent:
        assert incident.id is not None
        event = TimelineEvent(incident_id=incident.id, at=self.clock.now(), actor=self.actor,
                              kind=kind, text=text, data=data)
        return self.timeline.append(event)

    def _declarer_as_ic(self) -> str | None:
        """With nobody on call, the person declaring leads: if the roster knows them (or there is
        no roster); otherwise the incident waits for an IC to be named."""
        return self.actor if not self.config.people or self.config.person(self.actor) else None

    def _check_asset(self, asset: str) -> None:
        if not asset.strip():
            raise RuleViolation("an incident needs an affected asset")
        if self.config.assets and not self.config.asset(asset):
            known = ", ".join(a.id for a in self.config.assets)
            raise RuleViolation(f"unknown asset {asset!r}; known assets: {known}")

    def _roster_ids(self) -> str:
        return ", ".join(p.id for p in self.config.people)


ROSTER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # the shape of a roster id (`Person.id`)

# The activity of the RACI chart that moving to a status is: the people Informed of it are told.
STATUS_ACTIVITY = {
    Status.IDENTIFIED: Activity.INVESTIGATE,  # the root cause is known
    Status.MONITORING: Activity.DEPLOY_FIX,  # a fix is in
}


def _declared_text(incident: Incident) -> str:
    verb = "opened for triage" if incident.status is Status.TRIAGE else "declared"
    reported = f", reported by {incident.reported_by}" if incident.reported_by else ""
    return f"{incident.severity.value} {verb} on {incident.asset} ({incident.source.value}{reported})"
