"""Drill runs as stored: which scenario, at what speed, its pauses, its incident, which injects
went out (or were skipped), and the scorecard once it ended.

Scenario time is wall time since the start, less the pauses, times the speed: a drill at
`--speed 10` plays a 60-minute scenario in 6 minutes, and a paused drill's clock stands still.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall.domain.clock import from_text, to_text
from oncall.store.db import Database


@dataclass(frozen=True)
class DrillRun:
    id: int
    scenario: str
    title: str
    speed: float
    started_at: datetime
    started_by: str
    pauses: tuple[tuple[datetime, datetime | None], ...]
    incident_id: int | None
    ended_at: datetime | None
    ended_by: str
    ended_early: bool
    scorecard: dict | None

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def elapsed(self, at: datetime) -> timedelta:
        """Scenario time at wall time `at`: the wall time since the start, less the pauses before
        `at`, times the speed."""
        end = min(at, self.ended_at) if self.ended_at else at
        wall = end - self.started_at
        for start, stop in self.pauses:
            if start >= end:
                break
            wall -= min(stop or end, end) - start
        return max(timedelta(0), wall) * self.speed

    def scenario_time(self, at: datetime) -> datetime:
        """A wall time as the scenario's clock reads it (for scoring durations at any speed)."""
        return self.started_at + self.elapsed(at)


def _run(row) -> DrillRun:
    pauses = tuple((from_text(start), from_text(stop) if stop else None) for start, stop in json.loads(row[6]))
    return DrillRun(id=row[0], scenario=row[1], title=row[2], speed=row[3], started_at=from_text(row[4]),
                    started_by=row[5], pauses=pauses, incident_id=row[7],
                    ended_at=from_text(row[8]) if row[8] else None, ended_by=row[9], ended_early=bool(row[10]),
                    scorecard=json.loads(row[11]) if row[11] else None)


_COLUMNS = ("id, scenario, title, speed, started_at, started_by, pauses, incident_id, ended_at, ended_by, "
            "ended_early, scorecard")


class DrillRunNotFound(LookupError):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"no drill run {run_id}")


class DrillRunRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def running(self) -> DrillRun | None:
        row = self.db.conn.execute(f"SELECT {_COLUMNS} FROM drill_runs WHERE ended_at IS NULL").fetchone()
        return _run(row) if row else None

    def get(self, run_id: int) -> DrillRun:
        row = self.db.conn.execute(f"SELECT {_COLUMNS} FROM drill_runs WHERE id = ?",
                                   (run_id if 0 < run_id < 2 ** 63 else 0,)).fetchone()
        if row is None:
            raise DrillRunNotFound(run_id)
        return _run(row)

    def for_incident(self, incident_id: int) -> DrillRun | None:
        row = self.db.conn.execute(f"SELECT {_COLUMNS} FROM drill_runs WHERE incident_id = ?",
                                   (incident_id,)).fetchone()
        return _run(row) if row else None

    def history(self, limit: int = 200) -> list[DrillRun]:
        return [_run(row) for row in self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM drill_runs ORDER BY id DESC LIMIT ?", (limit,))]

    def start(self, scenario: str, title: str, speed: float, by: str, at: datetime) -> int:
        with self.db.write() as conn:
            cursor = conn.execute("INSERT INTO drill_runs (scenario, title, speed, started_at, started_by) "
                                  "VALUES (?, ?, ?, ?, ?)", (scenario, title, speed, to_text(at), by))
        return int(cursor.lastrowid or 0)

    def set_incident(self, run_id: int, incident_id: int) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE drill_runs SET incident_id = ? WHERE id = ?", (incident_id, run_id))

    def set_pauses(self, run_id: int, pauses: tuple[tuple[datetime, datetime | None], ...]) -> None:
        text = json.dumps([[to_text(start), to_text(stop) if stop else None] for start, stop in pauses])
        with self.db.write() as conn:
            conn.execute("UPDATE drill_runs SET pauses = ? WHERE id = ?", (text, run_id))

    def end(self, run_id: int, by: str, at: datetime, early: bool, scorecard: dict) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE drill_runs SET ended_at = ?, ended_by = ?, ended_early = ?, scorecard = ? "
                         "WHERE id = ? AND ended_at IS NULL",
                         (to_text(at), by, int(early), json.dumps(scorecard), run_id))

    # -- injects ------------------------------------------------------------------------------

    def injects(self, run_id: int) -> dict[int, tuple[str, datetime, int | None]]:
        """inject index -> (delivered | skipped, when, the event that shows it)."""
        return {index: (state, from_text(at), event_id) for index, state, at, event_id in self.db.conn.execute(
            "SELECT inject, state, at, event_id FROM drill_injects WHERE run_id = ?", (run_id,))}

    def claim(self, run_id: int, index: int, state: str, at: datetime) -> bool:
        """Mark the inject delivered or skipped; False if another console already did."""
        cursor = self.db.conn.execute(
            "INSERT INTO drill_injects (run_id, inject, state, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, inject) DO NOTHING", (run_id, index, state, to_text(at)))
        return cursor.rowcount == 1

    def set_event(self, run_id: int, index: int, event_id: int) -> None:
        self.db.conn.execute("UPDATE drill_injects SET event_id = ? WHERE run_id = ? AND inject = ?",
                             (event_id, run_id, index))
