"""Metrics with hand-computed expected values, on a real database with rows written directly."""

from __future__ import annotations

from datetime import date

import pytest

from oncall.domain.metrics import format_duration, nearest_rank, percentile
from oncall.service.metrics import MetricsService

H = 3600


def add(database, id, detected, *, started=None, declared="same", resolved=None, severity="SEV-2", status="closed",
        source="alert", asset="cac", drill=0, recurring_of=None, cause=""):
    declared = detected if declared == "same" else declared
    with database.write() as conn:
        conn.execute(
            "INSERT INTO incidents (id, title, severity, severity_rank, status, queue_group, asset, source, is_drill, "
            "started_at, detected_at, declared_at, resolved_at, updated_at, recurring_of, root_cause) "
            "VALUES (?, 't', ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id, severity, int(severity[-1]), status, asset, source, drill, started, detected, declared, resolved,
             detected, recurring_of, cause))


def event(database, incident_id, kind, at="2026-11-20T00:00:00Z"):
    with database.write() as conn:
        conn.execute("INSERT INTO timeline (incident_id, at, actor, kind) VALUES (?, ?, 'maya', ?)",
                     (incident_id, at, kind))


@pytest.fixture
def metrics(database, workspace, clock):
    return MetricsService(database, workspace.config, clock)


def test_nearest_rank_percentiles_by_hand():
    assert percentile([1, 2, 3, 4], 0.5) == 2  # rank ceil(2) = 2, no averaging
    assert percentile([1, 2, 3, 4], 0.9) == 4  # rank ceil(3.6) = 4
    assert percentile(list(range(1, 11)), 0.9) == 9  # 0.9 × 10 is rank 9, not 10 by float error
    assert percentile([7], 0.5) == 7 and percentile([], 0.5) is None
    assert [nearest_rank(n, 50) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    assert format_duration(3 * H + 600) == "3 h 10 min" and format_duration(None) == "—"
    assert format_duration(45) == "45 s" and format_duration(26 * H) == "1 d 2 h"


def test_figures_by_hand(database, metrics):
    # TTRs 1 h, 2 h, 3 h, 10 h; one unresolved; TTDs 30 min and 2 h; others have no start: missing.
    add(database, 1, "2026-11-02T00:00:00Z", started="2026-11-01T23:30:00Z", resolved="2026-11-02T01:00:00Z",
        severity="SEV-1")
    add(database, 2, "2026-11-03T00:00:00Z", started="2026-11-02T22:00:00Z", resolved="2026-11-03T02:00:00Z",
        source="user_report", recurring_of=1)
    add(database, 3, "2026-11-04T00:00:00Z", resolved="2026-11-04T03:00:00Z", source="dbt")
    add(database, 4, "2026-11-05T00:00:00Z", resolved="2026-11-05T10:00:00Z", source="user_report")
    add(database, 5, "2026-11-06T00:00:00Z", status="investigating")
    add(database, 6, "2026-11-06T00:00:00Z", resolved="2026-11-06T00:01:00Z", drill=1, source="drill")  # never counted
    add(database, 7, "2026-11-07T00:00:00Z", declared=None, status="triage")  # never declared: not an incident
    event(database, 1, "close_override")
    event(database, 1, "close_override")
    event(database, 6, "close_override")  # a drill's: not counted
    with database.write() as conn:
        conn.execute("INSERT INTO postmortems (incident_id, status, status_by, status_at, created_at) "
                     "VALUES (1, 'complete', 'maya', 'x', 'x'), (2, 'draft', 'maya', 'x', 'x')")
        for incident, status, due in ((1, "done", None), (1, "open", "2026-11-26"), (2, "open", "2026-11-27"),
                                      (2, "wont-do", None), (6, "open", "2026-01-01")):
            conn.execute("INSERT INTO action_items (incident_id, title, due, status, created_by, created_at, "
                         "updated_at) VALUES (?, 'x', ?, ?, 'maya', 'x', 'x')", (incident, due, status))
    report = metrics.report(date(2026, 11, 1), date(2026, 11, 30))
    assert [b.key for b in report.buckets] == ["2026-11"]
    total = report.total
    assert total.incidents == 5 and total.by_severity == {"SEV-1": 1, "SEV-2": 4}
    assert (total.ttr.count, total.ttr.missing) == (4, 1)
    assert (total.ttr.median_s, total.ttr.p90_s) == (2 * H, 10 * H)
    assert (total.ttd.count, total.ttd.missing) == (2, 3)  # missing, never zero
    assert (total.ttd.median_s, total.ttd.p90_s) == (1800, 2 * H)
    assert (total.recurring, total.internal, total.user_reported) == (1, 3, 2)
    assert (total.postmortems_due, total.postmortems_complete) == (4, 1)
    assert total.overrides == 2
    assert (report.action_items_closed, report.action_items_overdue) == (2, 1)  # due today is not overdue
    assert report.buckets[0] == total.__class__(**{**vars(total), "key": "2026-11"})
    by_source = metrics.report(date(2026, 11, 1), date(2026, 11, 30), by="source")
    assert {b.key: b.incidents for b in by_source.buckets} == {"alert": 2, "dbt": 1, "user_report": 2}
    assert metrics.incidents_behind("2026-11", "month", "ttr", date(2026, 11, 1), date(2026, 11, 30)) == [4, 3, 2, 1]
    assert metrics.incidents_behind(None, "month", "overrides", date(2026, 11, 1), date(2026, 11, 30)) == [1]
    assert metrics.incidents_behind("dbt", "source", "internal", date(2026, 11, 1), date(2026, 11, 30)) == [3]


def test_months_follow_the_time_zone_across_dst(database, metrics):
    # Berlin: October starts 2026-09-30T22:00Z (CEST, +2); November 2026-10-31T23:00Z (CET, +1, after DST ends).
    add(database, 1, "2026-09-30T21:59:59Z")  # September in Berlin
    add(database, 2, "2026-09-30T22:00:00Z")  # October in Berlin, September in UTC
    add(database, 3, "2026-10-31T22:59:59Z")  # October
    add(database, 4, "2026-10-31T23:00:00Z")  # November in Berlin, October in UTC
    berlin = metrics.report(date(2026, 9, 1), date(2026, 11, 30), time_zone="Europe/Berlin")
    assert [(b.key, b.incidents) for b in berlin.buckets] == [("2026-09", 1), ("2026-10", 2), ("2026-11", 1)]
    utc = metrics.report(date(2026, 9, 1), date(2026, 11, 30))
    assert [(b.key, b.incidents) for b in utc.buckets] == [("2026-09", 2), ("2026-10", 2), ("2026-11", 0)]
    assert metrics.incidents_behind("2026-10", "month", "incidents", date(2026, 9, 1), date(2026, 11, 30),
                                    "Europe/Berlin") == [3, 2]


def test_default_period_is_the_twelve_months_up_to_today(metrics):
    report = metrics.report()  # the clock says 2026-11-27
    assert (report.start, report.end) == (date(2025, 12, 1), date(2026, 11, 27))
    assert [b.key for b in report.buckets][0::11] == ["2025-12", "2026-11"] and len(report.buckets) == 12
    assert report.total.incidents == 0 and report.total.ttr.median_s is None


def test_reopened_incident_ttr_runs_to_its_last_resolution(service, clock, metrics):
    from datetime import timedelta

    from oncall.domain.severity import Severity
    from oncall.domain.status import Status

    from oncall.service.incidents import Declaration

    incident = service.declare(Declaration(title="Orders stale", severity=Severity.SEV2, asset="cac-dashboard",
                                           started_at=clock.now() - timedelta(minutes=30)))
    clock.advance(timedelta(hours=1))
    service.change_status(incident.id, Status.RESOLVED)
    clock.advance(timedelta(hours=1))
    service.change_status(incident.id, Status.INVESTIGATING)  # reopened: not resolved now
    day = clock.now().date()
    assert metrics.report(day, day).total.ttr == metrics.report(day, day).total.ttr.__class__(0, 1, None, None)
    clock.advance(timedelta(hours=2))
    service.change_status(incident.id, Status.RESOLVED)
    assert metrics.report(day, day).total.ttr.median_s == 4 * H


def test_bad_input_is_named(metrics):
    with pytest.raises(ValueError, match="Mars/Olympus"):
        metrics.report(time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="before it starts"):
        metrics.report(date(2026, 2, 1), date(2026, 1, 1))
