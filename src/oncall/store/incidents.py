"""Reading and writing incident rows. Every write goes with a timeline event (see `timeline.py`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from oncall.domain.clock import from_text, to_text
from oncall.domain.incident import DetectionSource, Incident
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.db import Database

INCIDENT_COLUMNS = (
    "id, title, severity, status, asset, source, impact, eta, ic, is_drill, reported_by, root_cause, recurring_of, "
    "started_at, detected_at, declared_at, resolved_at, closed_at, updated_at"
)


class IncidentNotFound(LookupError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"no incident INC-{incident_id}")
        self.incident_id = incident_id


def incident_row(incident: Incident) -> dict[str, Any]:
    """The incident as a row of the `incidents` table (without `id`)."""
    return {
        "title": incident.title,
        "severity": incident.severity.value,
        "severity_rank": incident.severity.rank,
        "status": incident.status.value,
        "queue_group": incident.status.queue_group,
        "asset": incident.asset,
        "source": incident.source.value,
        "impact": incident.impact,
        "eta": incident.eta,
        "ic": incident.ic,
        "is_drill": int(incident.is_drill),
        "reported_by": incident.reported_by,
        "root_cause": incident.root_cause,
        "recurring_of": incident.recurring_of,
        "started_at": _opt(incident.started_at),
        "detected_at": to_text(incident.detected_at),
        "declared_at": _opt(incident.declared_at),
        "resolved_at": _opt(incident.resolved_at),
        "closed_at": _opt(incident.closed_at),
        "updated_at": to_text(incident.updated_at),
    }


def incident_from_row(row: sqlite3.Row) -> Incident:
    return Incident(
        id=row["id"],
        title=row["title"],
        severity=Severity(row["severity"]),
        status=Status(row["status"]),
        asset=row["asset"],
        source=DetectionSource(row["source"]),
        impact=row["impact"],
        eta=row["eta"],
        ic=row["ic"],
        is_drill=bool(row["is_drill"]),
        reported_by=row["reported_by"],
        root_cause=row["root_cause"],
        recurring_of=row["recurring_of"],
        started_at=_opt_moment(row["started_at"]),
        detected_at=from_text(row["detected_at"]),
        declared_at=_opt_moment(row["declared_at"]),
        resolved_at=_opt_moment(row["resolved_at"]),
        closed_at=_opt_moment(row["closed_at"]),
        updated_at=from_text(row["updated_at"]),
    )


class IncidentRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def insert(self, incident: Incident) -> Incident:
        row = incident_row(incident)
        columns = ", ".join(row)
        marks = ", ".join(f":{key}" for key in row)
        with self.db.write() as conn:
            cursor = conn.execute(f"INSERT INTO incidents ({columns}) VALUES ({marks})", row)
        return incident.model_copy(update={"id": cursor.lastrowid})

    def save(self, incident: Incident) -> None:
        """Write every field of an existing incident."""
        if incident.id is None:
            raise ValueError("cannot save an incident that has no id")
        row = incident_row(incident)
        assignments = ", ".join(f"{key} = :{key}" for key in row)
        with self.db.write() as conn:
            cursor = conn.execute(f"UPDATE incidents SET {assignments} WHERE id = :id", {**row, "id": incident.id})
        if cursor.rowcount == 0:
            raise IncidentNotFound(incident.id)

    def get(self, incident_id: int) -> Incident:
        row = self.db.conn.execute(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()
        if row is None:
            raise IncidentNotFound(incident_id)
        return incident_from_row(row)

    def count(self) -> int:
        return self.db.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]


def _opt(moment) -> str | None:
    return to_text(moment) if moment is not None else None


def _opt_moment(text: str | None):
    return from_text(text) if text else None
