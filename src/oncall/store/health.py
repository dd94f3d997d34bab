"""`oncall db check`: SQLite's integrity check and oncall's own invariants, read-only.

The invariants are what the rest of the code takes for granted: every timeline event belongs to
an incident, the queue's search index has exactly one entry per incident at the place its queue
order gives it (migration 0001), and every outbox entry points at an existing event of the same
incident (the sync sends what that event says).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from oncall.store.db import inspect_file
from oncall.store.migrations import latest_version
from oncall.store.problems import DatabaseNewer, NotADatabase, explain

# The queue order packed into the search index's rowid: the formula of migration 0001's triggers.
QUEUE_KEY = ("((queue_group << 59) | (severity_rank << 57) "
             "| ((4102444800 - CAST(strftime('%s', updated_at) AS INTEGER)) << 24) | (16777215 - id))")
SHOWN = 5  # examples named per failed check


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.check}" + (f": {self.detail}" if self.detail else "")


@dataclass
class HealthReport:
    path: Path
    schema_version: int = 0
    incidents: int | None = None
    events: int | None = None
    outbox: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {what}" for n, what in ((self.incidents, "incidents"), (self.events, "events"),
                                                         (self.outbox, "outbox entries")) if n is not None)
        verdict = "healthy" if self.ok else "DAMAGED"
        return f"{self.path}: {verdict} (schema version {self.schema_version}{', ' + counts if counts else ''})"


def check_database(path: Path) -> HealthReport:
    """Check the file at `path` without changing it. Raises a `DatabaseProblem` when it cannot be
    opened at all (empty, not a database, cut short, from a newer oncall)."""
    inspect_file(path)
    report = HealthReport(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        conn.execute("PRAGMA query_only = ON")
        report.schema_version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise explain(error, path) or error from None
    try:
        if report.schema_version > latest_version():
            raise DatabaseNewer(path, report.schema_version, latest_version())
        if report.schema_version < 1:
            raise NotADatabase(path, "an SQLite file without oncall's tables")
        for name, count in (("incidents", "incidents"), ("events", "timeline"), ("outbox", "outbox")):
            try:
                setattr(report, name, conn.execute(f"SELECT count(*) FROM {count}").fetchone()[0])
            except sqlite3.DatabaseError:
                pass
        report.findings = [
            _integrity(conn),
            _invariant(conn, "every event belongs to an incident",
                       "SELECT t.id, t.incident_id FROM timeline t LEFT JOIN incidents i ON i.id = t.incident_id "
                       "WHERE i.id IS NULL ORDER BY t.id",
                       "event #{0} names INC-{1}, which is not there"),
            _search_index(conn),
            _invariant(conn, "every outbox entry refers to an existing event of its incident",
                       "SELECT o.id, o.event_id, o.incident_id FROM outbox o LEFT JOIN timeline t ON t.id = o.event_id "
                       "WHERE t.id IS NULL OR t.incident_id != o.incident_id ORDER BY o.id",
                       "entry #{0} points at event #{1} of INC-{2}, which is not there"),
            _invariant(conn, "every delivery record refers to an outbox entry",
                       "SELECT d.outbox_id, d.target FROM sync_delivery d LEFT JOIN outbox o ON o.id = d.outbox_id "
                       "WHERE o.id IS NULL ORDER BY d.outbox_id",
                       "{1} delivery of entry #{0}, which is not there"),
        ]
    finally:
        conn.close()
    return report


def _integrity(conn: sqlite3.Connection) -> Finding:
    name = "SQLite's integrity check"
    try:
        verdict = [row[0] for row in conn.execute(f"PRAGMA integrity_check({SHOWN})")]
    except sqlite3.DatabaseError as error:
        return Finding(name, False, f"it could not run: {error}")
    return Finding(name, verdict == ["ok"], "" if verdict == ["ok"] else "; ".join(verdict))


def _invariant(conn: sqlite3.Connection, name: str, sql: str, example: str) -> Finding:
    try:
        rows = conn.execute(sql).fetchall()
    except sqlite3.DatabaseError as error:
        return Finding(name, False, f"it could not be read: {error}")
    if not rows:
        return Finding(name, True)
    named = "; ".join(example.format(*row) for row in rows[:SHOWN])
    more = f" (and {len(rows) - SHOWN} more)" if len(rows) > SHOWN else ""
    return Finding(name, False, f"{len(rows)} wrong: {named}{more}")


def _search_index(conn: sqlite3.Connection) -> Finding:
    name = "the queue's search index matches the incidents"
    try:
        missing = conn.execute(
            f"SELECT id FROM incidents WHERE {QUEUE_KEY} NOT IN (SELECT rowid FROM queue_search) ORDER BY id"
        ).fetchall()
        extra = conn.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM queue_search EXCEPT SELECT {QUEUE_KEY} FROM incidents)"
        ).fetchone()[0]
    except sqlite3.DatabaseError as error:
        return Finding(name, False, f"it could not be read: {error}")
    problems = []
    if missing:
        listed = ", ".join(f"INC-{row[0]}" for row in missing[:SHOWN])
        problems.append(f"{len(missing)} incident{'s' if len(missing) != 1 else ''} not found by search or "
                        f"out of queue order ({listed}{', …' if len(missing) > SHOWN else ''})")
    if extra:
        problems.append(f"{extra} search entr{'ies' if extra != 1 else 'y'} for incidents that are not there")
    return Finding(name, not problems, "; ".join(problems))
