"""Every change is a timeline event with its outbox row, written in the same transaction as the
incident; the timeline is never edited; a change that fails leaves no trace."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Callable

import pytest

from oncall.domain.incident import EventKind
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.db import Database

DECLARATION = Declaration(title="Weekly CAC up 340%", severity=Severity.SEV2, asset="cac-dashboard")

# Each action on an open incident, and the event kinds it must add to the timeline.
ACTIONS: dict[str, tuple[Callable[[IncidentService, int], object], list[EventKind]]] = {
    "declare": (lambda s, _: s.declare(DECLARATION), [EventKind.DECLARED, EventKind.IC_ASSIGNED]),
    "status": (lambda s, i: s.change_status(i, Status.IDENTIFIED, "partial CRM file"), [EventKind.STATUS_CHANGED]),
    "severity": (lambda s, i: s.change_severity(i, Severity.SEV1, "exec review uses it"), [EventKind.SEVERITY_CHANGED]),
    "note": (lambda s, i: s.add_note(i, "row counts normal"), [EventKind.NOTE]),
    "impact": (lambda s, i: s.set_impact(i, "CAC wrong for week 47"), [EventKind.IMPACT_CHANGED]),
    "eta": (lambda s, i: s.set_eta(i, "10:45"), [EventKind.ETA_CHANGED]),
    "started_at": (lambda s, i: s.set_started_at(i, s.clock.now() - timedelta(hours=9)), [EventKind.STARTED_AT_CHANGED]),
    "ic": (lambda s, i: s.assign_ic(i, "lukas"), [EventKind.IC_ASSIGNED]),
}


def counts(database: Database) -> tuple[int, int, int]:
    return tuple(database.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("incidents", "timeline", "outbox"))


@pytest.fixture
def incident_id(service: IncidentService, clock) -> int:
    incident = service.declare(DECLARATION)
    clock.advance(timedelta(minutes=5))
    assert incident.id is not None
    return incident.id


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_writes_its_event_and_an_outbox_row(action, service, database, incident_id, clock) -> None:
    act, kinds = ACTIONS[action]
    before_events = {e.id for e in service.events(incident_id)}
    _, timeline_before, outbox_before = counts(database)
    service.actor = "tom"
    act(service, incident_id)
    new_events = database.conn.execute(
        "SELECT id, incident_id, kind, actor, at FROM timeline WHERE id > ? ORDER BY id", (max(before_events),)
    ).fetchall()
    assert [EventKind(row["kind"]) for row in new_events] == kinds
    assert all(row["actor"] == "tom" and row["at"] == "2026-11-27T10:05:00Z" for row in new_events)
    outbox = database.conn.execute("SELECT incident_id, event_id FROM outbox WHERE id > ? ORDER BY id",
                                   (outbox_before,)).fetchall()
    assert [(r["incident_id"], r["event_id"]) for r in outbox] == [(r["incident_id"], r["id"]) for r in new_events]
    assert counts(database)[1:] == (timeline_before + len(kinds), outbox_before + len(kinds))


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_that_fails_half_way_leaves_nothing(action, service, database, incident_id) -> None:
    act, _ = ACTIONS[action]
    before = counts(database)
    incident_before = service.get(incident_id)
    # The outbox write fails after the incident row and the timeline event were written.
    database.conn.execute("CREATE TEMP TRIGGER outbox_down BEFORE INSERT ON main.outbox "
                          "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        act(service, incident_id)
    assert counts(database) == before
    assert service.get(incident_id) == incident_before
    assert not database.conn.in_transaction


def test_a_refused_change_leaves_nothing(service, database, incident_id) -> None:
    before = counts(database)
    with pytest.raises(RuleViolation, match="allowed: identified, monitoring, resolved"):
        service.change_status(incident_id, Status.CLOSED, "done")
    assert counts(database) == before
    assert service.get(incident_id).status is Status.INVESTIGATING


def test_the_timeline_cannot_be_edited_or_deleted(database, incident_id) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        database.conn.execute("UPDATE timeline SET text = 'nothing happened' WHERE incident_id = ?", (incident_id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        database.conn.execute("DELETE FROM timeline WHERE incident_id = ?", (incident_id,))
    assert database.conn.execute("SELECT count(*) FROM timeline WHERE incident_id = ?", (incident_id,)).fetchone()[0] == 2


def test_a_whole_lifecycle_reads_back_in_order(service, incident_id, clock) -> None:
    for status, reason in ((Status.IDENTIFIED, "vendor API paginates at 50k"), (Status.MONITORING, ""),
                           (Status.RESOLVED, ""), (Status.CLOSED, "post-mortem on Monday")):
        clock.advance(timedelta(minutes=10))
        service.change_status(incident_id, status, reason)
    incident = service.get(incident_id)
    assert incident.status is Status.CLOSED
    assert incident.resolved_at == clock.now() - timedelta(minutes=10)
    assert incident.closed_at == clock.now()
    events = service.events(incident_id)
    assert [e.kind for e in events][-2:] == [EventKind.STATUS_CHANGED, EventKind.CLOSE_OVERRIDE]
    assert [e.data.get("to") for e in events if e.kind is EventKind.STATUS_CHANGED] == [
        "identified", "monitoring", "resolved", "closed"]
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_plain_rows_match_the_events_and_are_safe_to_print(service):
    from oncall.domain.severity import Severity
    from oncall.service.incidents import Declaration
    from oncall.store.timeline import TimelineRepository

    incident = service.declare(Declaration(title="Orders late", severity=Severity.SEV3, asset="cac-dashboard"))
    for n in range(60):
        service.add_note(incident.id, f"note {n}")
    with service.db.write() as conn:  # a row written before text was cleaned on the way in
        conn.execute("INSERT INTO timeline (incident_id, at, actor, kind, text) VALUES (?, ?, ?, 'note', ?)",
                     (incident.id, "2026-11-27T10:00:00Z", "old\x1b[31m", "\x1b[2Jwiped\nsecond line"))
    repo = TimelineRepository(service.db)
    events = repo.for_incident(incident.id)
    assert [r.id for r in repo.rows(incident.id)] == [e.id for e in events]
    assert [r.text for r in repo.latest_rows(incident.id, 40)] == [e.text for e in events[-40:]]
    assert [r.id for r in repo.rows(incident.id, after_id=events[-3].id)] == [e.id for e in events[-2:]]
    last = repo.latest_rows(incident.id, 1)[0]
    assert (last.actor, last.text) == ("old", "wiped\nsecond line")
    # The older events, in pieces: together they are everything before the newest few, in order.
    newest = repo.latest_rows(incident.id, 10)
    pieces = list(repo.older_rows(incident.id, newest[0].id, size=16))
    assert [len(piece) for piece in pieces] == [16, 16, 16, len(events) - 10 - 48]
    assert [r.id for piece in pieces for r in piece] + [r.id for r in newest] == [e.id for e in events]
