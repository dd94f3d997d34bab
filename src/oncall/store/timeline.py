"""The append-only timeline. Appending an event also queues it in the outbox, in one transaction."""

from __future__ import annotations

import json

from oncall.domain.clock import from_text, to_text
from oncall.domain.incident import EventKind, TimelineEvent
from oncall.store.db import Database


class TimelineRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def append(self, event: TimelineEvent) -> TimelineEvent:
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO timeline (incident_id, at, actor, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event.incident_id,
                    to_text(event.at),
                    event.actor,
                    event.kind.value,
                    event.text,
                    json.dumps(event.data, sort_keys=True),
                ),
            )
            conn.execute(
                "INSERT INTO outbox (incident_id, event_id, created_at) VALUES (?, ?, ?)",
                (event.incident_id, cursor.lastrowid, to_text(event.at)),
            )
        return event.model_copy(update={"id": cursor.lastrowid})

    def for_incident(self, incident_id: int) -> list[TimelineEvent]:
        rows = self.db.conn.execute(
            "SELECT id, incident_id, at, actor, kind, text, data FROM timeline WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        ).fetchall()
        return [_event(row) for row in rows]

    def get(self, event_id: int) -> TimelineEvent:
        row = self.db.conn.execute(
            "SELECT id, incident_id, at, actor, kind, text, data FROM timeline WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None:
            raise LookupError(f"no timeline event {event_id}")
        return _event(row)


def _event(row) -> TimelineEvent:
    return TimelineEvent(
        id=row["id"],
        incident_id=row["incident_id"],
        at=from_text(row["at"]),
        actor=row["actor"],
        kind=EventKind(row["kind"]),
        text=row["text"],
        data=json.loads(row["data"]),
    )
