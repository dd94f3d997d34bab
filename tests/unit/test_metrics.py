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
    assert total.overrides == 1  # incidents closed with an override (two events on one incident)
    assert (report.action_items_closed, report.action_items_overdue) == (2, 1)  # due today is not overdue
    assert report.buckets[0] == total.__class__(**{**vars(total), "key": "2026-11"})
    by_source = metrics.report(date(2026, 11, 1), date(2026, 11, 30), by="source")
    assert {b.key: b.incidents for b in by_source.buckets} == {"alert": 2, "dbt": 1, "user_report": 2}
    assert metrics.incidents_behind("2026-11", "month", "ttr", date(2026, 11, 1), date(2026, 11, 30)) == [4, 3, 2, 1]
    assert metrics.incidents_behind(None, "month", "overrides", date(2026, 11, 1), date(2026, 11, 30)) == [1]
    assert metrics.incidents_behind("dbt", "source", "internal", date(2026, 11, 1), date(2026, 11, 30)) == [3]


def test_months_follow_the_time_zone_across_dst(database, metrics):
    # Berlin: October starts 2026-09-30T22:00Z (CEST, +2); November 2026-10-31T23:00Z (CET, +1, after DST ends).
    # TTRs 4 h, 1 h, 3 h, 2 h: each month's percentiles come from its own rows, edges included.
    add(database, 1, "2026-09-30T21:59:59Z", resolved="2026-10-01T01:59:59Z")  # September in Berlin
    add(database, 2, "2026-09-30T22:00:00Z", resolved="2026-09-30T23:00:00Z")  # October in Berlin, September in UTC
    add(database, 3, "2026-10-31T22:59:59Z", resolved="2026-11-01T01:59:59Z")  # October
    add(database, 4, "2026-10-31T23:00:00Z", resolved="2026-11-01T01:00:00Z")  # November in Berlin, October in UTC
    berlin = metrics.report(date(2026, 9, 1), date(2026, 11, 30), time_zone="Europe/Berlin")
    assert [(b.key, b.incidents) for b in berlin.buckets] == [("2026-09", 1), ("2026-10", 2), ("2026-11", 1)]
    assert [(b.ttr.median_s, b.ttr.p90_s) for b in berlin.buckets] == [(4 * H, 4 * H), (H, 3 * H), (2 * H, 2 * H)]
    utc = metrics.report(date(2026, 9, 1), date(2026, 11, 30))
    assert [(b.key, b.incidents) for b in utc.buckets] == [("2026-09", 2), ("2026-10", 2), ("2026-11", 0)]
    assert [(b.ttr.median_s, b.ttr.p90_s) for b in utc.buckets] == [(H, 4 * H), (2 * H, 3 * H), (None, None)]
    assert (utc.total.ttr.median_s, utc.total.ttr.p90_s) == (2 * H, 4 * H) == (berlin.total.ttr.median_s,
                                                                               berlin.total.ttr.p90_s)
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


def test_person_hours_by_hand(service, clock, database, workspace, metrics):
    """Hours each person held a role while the incident was open, hand-computed."""
    from datetime import timedelta

    from oncall.domain.incident import DetectionSource
    from oncall.domain.people import Role
    from oncall.domain.severity import Severity
    from oncall.domain.status import Status
    from oncall.service.incidents import Declaration

    start = clock.now()
    at = lambda minutes: clock.set(start + timedelta(minutes=minutes))  # noqa: E731
    one = service.declare(Declaration(title="CAC wrong", severity=Severity.SEV2, asset="cac-dashboard", ic="maya"))
    at(30)
    service.assign_role(one.id, Role.SME, "lukas")
    at(60)
    service.assign_ic(one.id, "tom")  # maya held IC for 1 h
    at(90)
    service.unassign_role(one.id, Role.SME, "lukas")  # lukas: 1 h as SME
    at(120)
    service.change_status(one.id, Status.RESOLVED)  # tom: 1 h as IC
    at(130)
    service.assign_role(one.id, Role.LEAD, "grace")  # after the resolution: no hours
    drill = service.declare(Declaration(title="Drill", severity=Severity.SEV1, asset="cac-dashboard",
                                        source=DetectionSource.DRILL, ic="omar"))
    at(180)
    two = service.declare(Declaration(title="Spend stale", severity=Severity.SEV3, asset="stg-ad-spend", ic="priya",
                                      status=Status.TRIAGE))  # a triage item: not an incident yet
    at(200)
    service.change_status(two.id, Status.INVESTIGATING)  # declared now: priya's hours start here
    at(300)  # still open: priya has held IC 100 min so far
    cost = metrics.cost()
    hours = {(h.person, h.role): h.seconds for h in cost.hours}
    assert hours == {("maya", "ic"): H, ("tom", "ic"): H, ("lukas", "sme"): H, ("priya", "ic"): 100 * 60}
    assert drill.id and cost.people()[0] == ("priya", 6000) and cost.total_seconds == 3 * H + 6000
    assert [b for b in cost.buckets][-1] == "2026-11" and {h.bucket for h in cost.hours} == {"2026-11"}
    by_asset = metrics.cost(by="asset")
    assert by_asset.buckets == ("cac-dashboard", "stg-ad-spend")
    assert by_asset.seconds("priya", "stg-ad-spend") == 6000 and by_asset.seconds("tom", "stg-ad-spend") == 0
    with pytest.raises(ValueError, match="severity"):
        metrics.cost(by="severity")
    service.change_status(one.id, Status.INVESTIGATING)  # reopened at 300 min: open again, tom still IC
    at(330)
    assert metrics.cost().seconds("tom", role="ic") == (330 - 60) * 60, "an open incident's roles count to now"
    service.change_status(one.id, Status.RESOLVED)  # to its last resolution, the same end as its TTR
    at(400)
    assert metrics.cost().seconds("tom", role="ic") == (330 - 60) * 60


def test_updates_on_time_against_the_cadence_by_hand(service, clock, database, workspace, metrics):
    """SEV-1 every 30 min, SEV-2 every 2 h (the defaults): owed, on time and missed updates."""
    from datetime import timedelta

    from oncall.domain.severity import Severity
    from oncall.domain.status import Status
    from oncall.service.comms import CommsService
    from oncall.service.incidents import Declaration

    start = clock.now()
    at = lambda minutes: clock.set(start + timedelta(minutes=minutes))  # noqa: E731
    comms = CommsService(database, workspace.config, clock, "maya")
    sev1 = service.declare(Declaration(title="CAC wrong", severity=Severity.SEV1, asset="cac-dashboard", ic="maya",
                                       reported_by="sofia"))
    sev2 = service.declare(Declaration(title="Spend late", severity=Severity.SEV2, asset="stg-ad-spend", ic="tom"))
    sev3 = service.declare(Declaration(title="Tile stale", severity=Severity.SEV3, asset="cac-dashboard", ic="tom"))
    open_one = service.declare(Declaration(title="Open", severity=Severity.SEV1, asset="cac-dashboard", ic="tom"))
    at(20)
    comms.send(sev1.id, "x", "stakeholders", "first", "first")  # due at 30: on time
    at(60)
    comms.send(sev2.id, "x", "stakeholders", "first", "first", next_update=start + timedelta(minutes=90))  # on time
    at(80)
    comms.send(sev1.id, "x", "stakeholders", "second", "second")  # due at 50: late
    at(100)
    comms.send(sev1.id, "x", "reporter", "thanks", "thanks")  # the reporter's answer: not a cadence update
    at(150)
    service.change_status(sev1.id, Status.RESOLVED)  # due at 110, none came: missed
    service.change_status(sev2.id, Status.RESOLVED)  # promised for 90: missed too
    service.change_status(sev3.id, Status.RESOLVED)  # SEV-3 has no cadence
    assert open_one.id
    total = metrics.report().total
    assert (total.updates_owed, total.updates_on_time) == (3 + 2, 1 + 1)
    assert total.updates_on_time_share == 2 / 5
    stored = dict(database.conn.execute("SELECT incident_id, owed FROM incident_figures WHERE kind = 'month'"))
    assert (stored[sev1.id], stored[sev2.id], stored[sev3.id], stored[open_one.id]) == (3, 2, 0, 0)
    assert metrics.incidents_behind(None, "month", "late_updates") == [sev1.id, sev2.id]
    at(160)
    service.change_status(sev2.id, Status.INVESTIGATING)  # reopened: judged again once resolved again
    assert metrics.report().total.updates_owed == 3
    at(170)
    comms.send(sev2.id, "x", "stakeholders", "back", "back")
    service.change_status(sev2.id, Status.RESOLVED)
    assert (metrics.report().total.updates_owed, metrics.report().total.updates_on_time) == (3 + 2 + 1, 1 + 1 + 1)


def test_the_workspace_time_zone_draws_the_months(database, workspace, clock):
    from oncall.workspace.config import MetricsSettings

    add(database, 1, "2026-10-31T23:30:00Z")  # November in Berlin, October in UTC
    config = workspace.config.model_copy(update={"metrics": MetricsSettings(time_zone="Europe/Berlin")})
    berlin = MetricsService(database, config, clock)
    report = berlin.report(date(2026, 10, 1), date(2026, 11, 30))
    assert report.time_zone == "Europe/Berlin"
    assert [(b.key, b.incidents) for b in report.buckets] == [("2026-10", 0), ("2026-11", 1)]
    utc = berlin.report(date(2026, 10, 1), date(2026, 11, 30), time_zone="UTC")
    assert [(b.key, b.incidents) for b in utc.buckets] == [("2026-10", 1), ("2026-11", 0)]


def test_a_bad_time_zone_setting_is_named_with_its_line(tmp_path):
    from oncall.workspace.config import load_config

    path = tmp_path / "oncall.toml"
    path.write_text('[workspace]\nname = "x"\n\n[metrics]\ntime_zone = "Mars/Olympus"\n', "utf-8")
    config, problems = load_config(path)
    assert config.metrics.time_zone == "UTC", "the default stands in for the bad value"
    assert [(p.line, p.key) for p in problems] == [(5, "metrics.time_zone")]
    assert "unknown time zone" in problems[0].message and "Mars/Olympus" in str(problems[0])


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York"])
def test_the_sql_agrees_with_python_on_many_incidents(database, metrics, time_zone):
    """300 incidents with random times: every bucket's counts and percentiles, as the SQL walks find
    them (upward, downward, across the months' edge hours), equal Python's over the same rows."""
    import random
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    rng = random.Random(5)
    rows = []
    for n in range(1, 301):
        detected = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 300 * 86400))
        ttd = rng.choice([None, rng.randint(60, 50 * 3600)])
        ttr = rng.choice([None, rng.randint(60, 30 * 3600), rng.randint(60, 3600)])
        severity = rng.choice(["SEV-1", "SEV-2", "SEV-3"])
        text = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        add(database, n, text(detected), severity=severity, started=text(detected - timedelta(seconds=ttd)) if ttd
            else None, resolved=text(detected + timedelta(seconds=ttr)) if ttr else None,
            drill=int(rng.random() < 0.05))
        rows.append((n, detected, severity, ttd, ttr))
    counted = {n for (n,) in database.conn.execute("SELECT id FROM incidents WHERE is_drill = 0")}
    zone_ = ZoneInfo(time_zone)
    for by, key_of in (("month", lambda r: f"{r[1].astimezone(zone_):%Y-%m}"), ("severity", lambda r: r[2])):
        report = metrics.report(date(2026, 1, 1), date(2026, 10, 31), by=by, time_zone=time_zone)
        inside = [r for r in rows if r[0] in counted and date(2026, 1, 1) <= r[1].astimezone(zone_).date()
                  <= date(2026, 10, 31)]
        for bucket in (*report.buckets, report.total):
            mine = [r for r in inside if bucket.key == "total" or key_of(r) == bucket.key]
            ttds, ttrs = sorted(r[3] for r in mine if r[3]), sorted(r[4] for r in mine if r[4])
            assert bucket.incidents == len(mine), (by, bucket.key)
            assert (bucket.ttd.median_s, bucket.ttd.p90_s) == (percentile(ttds, 0.5), percentile(ttds, 0.9))
            assert (bucket.ttr.median_s, bucket.ttr.p90_s) == (percentile(ttrs, 0.5), percentile(ttrs, 0.9))
