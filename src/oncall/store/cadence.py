"""The next stakeholder update due on each incident, and the last one sent (migration 0007).

Written with the timeline event that changes it, in the same transaction (`service/`)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from oncall.domain.clock import from_text, to_text
from oncall.store.db import Database


class Due(NamedTuple):
    incident_id: int
    ref: str
    severity: str
    status: str
    title: str
    update_due_at: datetime
    last_update_at: datetime | None


class CadenceRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def get(self, incident_id: int) -> tuple[datetime | None, datetime | None]:
        row = self.db.conn.execute("SELECT update_due_at, last_update_at FROM incidents WHERE id = ?",
                                   (incident_id,)).fetchone()
        if row is None:
            return None, None
        return (from_text(row[0]) if row[0] else None), (from_text(row[1]) if row[1] else None)

    def set_due(self, incident_id: int, due: datetime | None) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE incidents SET update_due_at = ? WHERE id = ?",
                         (to_text(due) if due else None, incident_id))

    def sent(self, incident_id: int, at: datetime, due: datetime | None) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE incidents SET last_update_at = ?, update_due_at = ? WHERE id = ?",
                         (to_text(at), to_text(due) if due else None, incident_id))

    def count_due_by(self, moment: datetime) -> int:
        """How many incidents (not drills) owe an update by `moment`: one partial-index read,
        cheap enough for the queue's summary line on every key."""
        return self.db.conn.execute(
            "SELECT count(*) FROM incidents WHERE update_due_at IS NOT NULL AND update_due_at <= ? AND NOT is_drill",
            (to_text(moment),)).fetchone()[0]

    def due_by(self, moment: datetime, *, include_drills: bool = True) -> list[Due]:
        """Incidents whose update is due at or before `moment`, most overdue first (one index read)."""
        drills = "" if include_drills else " AND NOT is_drill"
        return [Due(row[0], f"INC-{row[0]}", row[1], row[2], row[3], from_text(row[4]),
                    from_text(row[5]) if row[5] else None)
                for row in self.db.conn.execute(
                    "SELECT id, severity, status, title, update_due_at, last_update_at FROM incidents "
                    f"WHERE update_due_at IS NOT NULL AND update_due_at <= ?{drills} ORDER BY update_due_at",
                    (to_text(moment),))]
