"""The intake keys (`intake_items`): which triage item each alert, dbt node or Slack message made,
the state last heard, and how often it repeated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oncall.domain.clock import from_text, to_text
from oncall.store.db import Database


@dataclass(frozen=True)
class IntakeItem:
    key: str
    incident_id: int
    origin: str
    firing: bool
    first_seen: datetime
    last_seen: datetime
    last_observed: datetime | None
    repeats: int
    repeat_noted: datetime | None
    link: str = ""
    slack_channel: str = ""
    slack_ts: str = ""
    status: str = ""  # the item's incident status, read with it

    @property
    def slack_thread(self) -> tuple[str, str] | None:
        return (self.slack_channel, self.slack_ts) if self.slack_channel and self.slack_ts else None


_COLUMNS = ("i.key, i.incident_id, i.origin, i.firing, i.first_seen, i.last_seen, i.last_observed, i.repeats, "
            "i.repeat_noted, i.link, i.slack_channel, i.slack_ts, n.status")


def _item(row) -> IntakeItem:
    return IntakeItem(row[0], row[1], row[2], bool(row[3]), from_text(row[4]), from_text(row[5]),
                      from_text(row[6]) if row[6] else None, row[7], from_text(row[8]) if row[8] else None,
                      row[9], row[10], row[11], row[12])


class IntakeRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def latest(self, key: str) -> IntakeItem | None:
        """The newest item a key made, with its incident's status."""
        row = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM intake_items i JOIN incidents n ON n.id = i.incident_id "
            "WHERE i.key = ? ORDER BY i.incident_id DESC LIMIT 1", (key,)).fetchone()
        return _item(row) if row else None

    def of_incident(self, incident_id: int) -> IntakeItem | None:
        row = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM intake_items i JOIN incidents n ON n.id = i.incident_id "
            "WHERE i.incident_id = ? ORDER BY i.first_seen LIMIT 1", (incident_id,)).fetchone()
        return _item(row) if row else None

    def slack_thread(self, incident_id: int) -> tuple[str, str] | None:
        """The Slack message a report was made in (channel, ts): its reporter is answered there."""
        row = self.db.conn.execute(
            "SELECT slack_channel, slack_ts FROM intake_items WHERE incident_id = ? AND slack_ts != '' LIMIT 1",
            (incident_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def add(self, item: IntakeItem) -> None:
        self.db.conn.execute(
            "INSERT INTO intake_items (key, incident_id, origin, firing, first_seen, last_seen, last_observed, "
            "repeats, repeat_noted, link, slack_channel, slack_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item.key, item.incident_id, item.origin, int(item.firing), to_text(item.first_seen),
             to_text(item.last_seen), to_text(item.last_observed) if item.last_observed else None, item.repeats,
             to_text(item.repeat_noted) if item.repeat_noted else None, item.link, item.slack_channel, item.slack_ts))

    def save(self, item: IntakeItem) -> None:
        self.db.conn.execute(
            "UPDATE intake_items SET firing = ?, last_seen = ?, last_observed = ?, repeats = ?, repeat_noted = ? "
            "WHERE key = ? AND incident_id = ?",
            (int(item.firing), to_text(item.last_seen), to_text(item.last_observed) if item.last_observed else None,
             item.repeats, to_text(item.repeat_noted) if item.repeat_noted else None, item.key, item.incident_id))


class SyncState:
    """Small named facts kept between sync passes (`sync_state`, migration 0002)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def get(self, name: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM sync_state WHERE key = ?", (name,)).fetchone()
        return row[0] if row else None

    def put(self, name: str, value: str) -> None:
        with self.db.write():
            self.db.conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (name, value))
