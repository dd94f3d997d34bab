"""Action items as stored. Every change goes with a timeline event of its incident in the same
transaction (`service/postmortems.py`), so the sync carries it to Jira."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from oncall.domain.action_items import ActionItem, ActionStatus, Priority
from oncall.domain.clock import from_text, to_text
from oncall.store.db import Database

_COLUMNS = ("id, incident_id, title, owner, due, priority, status, reason, created_by, created_at, updated_at, "
            "jira_key")


class ActionItemNotFound(LookupError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no action item A-{item_id}")
        self.item_id = item_id


def _item(row) -> ActionItem:
    return ActionItem(id=row[0], incident_id=row[1], title=row[2], owner=row[3],
                      due=date.fromisoformat(row[4]) if row[4] else None, priority=Priority(row[5]),
                      status=ActionStatus(row[6]), reason=row[7], created_by=row[8], created_at=from_text(row[9]),
                      updated_at=from_text(row[10]), jira_key=row[11])


class ActionItemRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def add(self, incident_id: int, title: str, owner: str, due: date | None, priority: Priority, by: str,
            at: datetime) -> ActionItem:
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO action_items (incident_id, title, owner, due, priority, created_by, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (incident_id, title, owner, due.isoformat() if due else None, priority.value, by, to_text(at),
                 to_text(at)))
        return self.get(int(cursor.lastrowid or 0))

    def get(self, item_id: int) -> ActionItem:
        if not 0 < item_id < 2 ** 63:
            raise ActionItemNotFound(item_id)
        row = self.db.conn.execute(f"SELECT {_COLUMNS} FROM action_items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise ActionItemNotFound(item_id)
        return _item(row)

    def update(self, item_id: int, at: datetime, **values: Any) -> ActionItem:
        allowed = {"title", "owner", "due", "priority", "status", "reason", "jira_key", "jira_creating"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown action item columns: {sorted(unknown)}")
        converted = {key: (value.value if hasattr(value, "value") else
                           value.isoformat() if isinstance(value, date) else value) for key, value in values.items()}
        with self.db.write() as conn:
            assignments = ", ".join(f"{column} = :{column}" for column in converted)
            conn.execute(f"UPDATE action_items SET {assignments}, updated_at = :at WHERE id = :id",
                         {**converted, "at": to_text(at), "id": item_id})
        return self.get(item_id)

    def for_incident(self, incident_id: int) -> list[ActionItem]:
        return [_item(row) for row in self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM action_items WHERE incident_id = ? ORDER BY id", (incident_id,))]

    def listing(self, *, owner: str = "", overdue_on: date | None = None, open_only: bool = False,
                limit: int = 1000) -> list[ActionItem]:
        """Items across incidents, open first, then by due date (none last)."""
        where, params = [], []
        if owner:
            where.append("owner = ?")
            params.append(owner)
        if overdue_on is not None:
            where.append("status = 'open' AND due IS NOT NULL AND due < ?")
            params.append(overdue_on.isoformat())
        elif open_only:
            where.append("status = 'open'")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return [_item(row) for row in self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM action_items {clause} ORDER BY status != 'open', due IS NULL, due, id LIMIT ?",
            (*params, limit))]

    def count_overdue(self, today: date) -> int:
        return self.db.conn.execute("SELECT count(*) FROM action_items WHERE status = 'open' AND due IS NOT NULL "
                                    "AND due < ?", (today.isoformat(),)).fetchone()[0]
