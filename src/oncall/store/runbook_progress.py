"""Which runbooks are attached to an incident and where their steps stand (migration 0006).

Every change here goes with a timeline event in the same transaction (`service/runbooks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from oncall.domain.clock import from_text, to_text
from oncall.store.db import Database


@dataclass(frozen=True)
class StepProgress:
    state: str  # "done" or "skipped" (a step with no progress is to do)
    by: str
    at: datetime
    reason: str = ""
    title: str = ""


@dataclass(frozen=True)
class AttachedRunbook:
    runbook_id: str
    title: str
    attached_at: datetime
    attached_by: str
    finished_at: datetime | None
    steps: dict[int, StepProgress] = field(default_factory=dict)

    def progress_for(self, step) -> StepProgress | None:  # noqa: ANN001 (a `domain.runbook.Step`)
        """This step's progress, matched by its title: a runbook file edited since (a step added,
        removed or moved) never hands one step's progress to another."""
        progress = self.steps.get(step.number)
        if progress is not None and progress.title == step.title:
            return progress
        return next((p for p in self.steps.values() if p.title == step.title), None)

    def state_for(self, step) -> str:  # noqa: ANN001
        progress = self.progress_for(step)
        return progress.state if progress else "todo"

    def tally(self, steps) -> tuple[int, int, bool]:  # noqa: ANN001 (the runbook's steps as they are now)
        """(done, skipped, settled): settled when no step is left to do (the file may have grown
        since `finished_at` was set, so it is worked out from the steps, not read)."""
        states = [self.state_for(step) for step in steps]
        done, skipped = states.count("done"), states.count("skipped")
        return done, skipped, done + skipped == len(states)


class RunbookProgressRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def attached(self, incident_id: int) -> list[AttachedRunbook]:
        """The incident's runbooks in the order they were attached, with their steps' progress."""
        steps: dict[str, dict[int, StepProgress]] = {}
        for row in self.db.conn.execute(
            "SELECT runbook_id, step, title, state, by, at, reason FROM runbook_steps WHERE incident_id = ?",
            (incident_id,),
        ):
            steps.setdefault(row["runbook_id"], {})[row["step"]] = StepProgress(
                row["state"], row["by"], from_text(row["at"]), row["reason"], row["title"])
        return [
            AttachedRunbook(row["runbook_id"], row["title"], from_text(row["attached_at"]), row["attached_by"],
                            from_text(row["finished_at"]) if row["finished_at"] else None,
                            steps.get(row["runbook_id"], {}))
            for row in self.db.conn.execute(
                "SELECT runbook_id, title, attached_at, attached_by, finished_at FROM incident_runbooks "
                "WHERE incident_id = ? ORDER BY rowid", (incident_id,))
        ]

    def attach(self, incident_id: int, runbook_id: str, title: str, by: str, at: datetime) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO incident_runbooks (incident_id, runbook_id, title, attached_at, attached_by) "
                         "VALUES (?, ?, ?, ?, ?)", (incident_id, runbook_id, title, to_text(at), by))

    def set_step(self, incident_id: int, runbook_id: str, step: int, title: str, state: str, by: str,
                 at: datetime, reason: str = "") -> None:
        with self.db.write() as conn:
            if state == "todo":
                conn.execute("DELETE FROM runbook_steps WHERE incident_id = ? AND runbook_id = ? AND step = ?",
                             (incident_id, runbook_id, step))
                return
            conn.execute(
                "INSERT INTO runbook_steps (incident_id, runbook_id, step, title, state, by, at, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, runbook_id, step) DO UPDATE SET "
                "title = excluded.title, state = excluded.state, by = excluded.by, at = excluded.at, "
                "reason = excluded.reason",
                (incident_id, runbook_id, step, title, state, by, to_text(at), reason))

    def set_finished(self, incident_id: int, runbook_id: str, at: datetime | None) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE incident_runbooks SET finished_at = ? WHERE incident_id = ? AND runbook_id = ?",
                         (to_text(at) if at else None, incident_id, runbook_id))


class TagRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def tags(self, incident_id: int) -> list[str]:
        return [row[0] for row in self.db.conn.execute(
            "SELECT tag FROM incident_tags WHERE incident_id = ? ORDER BY tag", (incident_id,))]

    def replace(self, incident_id: int, tags: list[str]) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM incident_tags WHERE incident_id = ?", (incident_id,))
            conn.executemany("INSERT INTO incident_tags (incident_id, tag) VALUES (?, ?)",
                             [(incident_id, tag) for tag in tags])
