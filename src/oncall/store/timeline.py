"""The append-only timeline. Appending an event also queues it in the outbox, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import NamedTuple

from oncall.domain.clock import from_text, to_text
from oncall.domain.incident import EventKind, TimelineEvent
from oncall.domain.text import clean_block, clean_line
from oncall.store.db import Database, in_chunks


class TimelineRow(NamedTuple):
    """One event as a list shows it: no `data`, its time as stored (ISO 8601 text), its text made
    safe for a terminal. Reading thousands is a plain fetch (~15 ms for 5,000; `for_incident`
    builds and validates each event, ~70 ms)."""

    id: int
    at: str
    actor: str
    kind: str
    text: str


def _timeline_row(row) -> TimelineRow:
    return TimelineRow(row[0], row[1], clean_line(row[2]), row[3], clean_block(row[4]))


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

    def rows(self, incident_id: int, after_id: int = 0) -> list[TimelineRow]:
        """The incident's events after `after_id` (all by default), oldest first."""
        return [_timeline_row(row) for row in self.db.conn.execute(
            "SELECT id, at, actor, kind, text FROM timeline WHERE incident_id = ? AND id > ? ORDER BY id",
            (incident_id, after_id),
        )]

    def older_rows(self, incident_id: int, before_id: int, size: int = 500) -> Iterator[list[TimelineRow]]:
        """The events before `before_id`, oldest first, `size` at a time: a long timeline is read in
        pieces between which the console answers keys. Stop early and the statement is closed."""
        cursor = self.db.conn.execute(
            "SELECT id, at, actor, kind, text FROM timeline WHERE incident_id = ? AND id < ? ORDER BY id",
            (incident_id, before_id),
        )
        try:
            while batch := cursor.fetchmany(size):
                yield [_timeline_row(row) for row in batch]
        finally:
            cursor.close()

    def latest_rows(self, incident_id: int, limit: int) -> list[TimelineRow]:
        """The newest `limit` events, oldest first (read through the index, newest end first)."""
        rows = self.db.conn.execute(
            "SELECT id, at, actor, kind, text FROM timeline WHERE incident_id = ? ORDER BY id DESC LIMIT ?",
            (incident_id, limit),
        ).fetchall()
        return [_timeline_row(row) for row in reversed(rows)]

    def get_many(self, event_ids: list[int]) -> dict[int, TimelineEvent]:
        found: dict[int, TimelineEvent] = {}
        for chunk in in_chunks(event_ids):
            rows = self.db.conn.execute(
                "SELECT id, incident_id, at, actor, kind, text, data FROM timeline "
                f"WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found.update((row["id"], _event(row)) for row in rows)
        return found

    def severity_history(self, incident_id: int) -> list[tuple[int, str]]:
        """(event id, severity) for the declaration and every severity change, oldest first."""
        rows = self.db.conn.execute(
            "SELECT id, coalesce(json_extract(data, '$.to'), json_extract(data, '$.severity')) FROM timeline "
            "WHERE incident_id = ? AND kind IN ('declared', 'severity_changed') ORDER BY id",
            (incident_id,),
        ).fetchall()
        return [(row[0], row[1]) for row in rows if row[1]]


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
