"""`oncall metrics`: JSON in seconds, CSV with a header, a table with a total line, bad input named (exit 2)."""

from __future__ import annotations

from tests.unit.test_metrics import add


def test_metrics_json_csv_and_table(oncall, database):
    add(database, 1, "2026-11-02T00:00:00Z", started="2026-11-01T23:00:00Z", resolved="2026-11-02T03:10:00Z")
    add(database, 2, "2026-11-03T00:00:00Z", drill=1, resolved="2026-11-03T00:01:00Z")  # never counted
    document = oncall("metrics", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json").json()
    assert document["total"]["incidents"] == 1
    assert (document["total"]["ttr_median_s"], document["total"]["ttd_median_s"]) == (3 * 3600 + 600, 3600)
    csv = oncall("metrics", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv").out.splitlines()
    assert csv[0].startswith("bucket,incidents,") and csv[-1].startswith("total,1,")
    table = oncall("metrics", "--from", "2026-11-01", "--to", "2026-11-30").out
    assert "3 h 10 min" in table and table.splitlines()[-2].startswith("total")
    assert "UPDATES ON TIME" in table.splitlines()[1] and document["total"]["updates_owed"] == 0


def test_bad_dates_and_zones_exit_2_naming_the_value(oncall):
    bad_zone = oncall("metrics", "--time-zone", "Mars/Olympus")
    assert bad_zone.code == 2 and "Mars/Olympus" in bad_zone.err
    bad_date = oncall("metrics", "--from", "2026-02-30")
    assert bad_date.code == 2 and "2026-02-30" in bad_date.err
    backwards = oncall("metrics", "--from", "2026-03-01", "--to", "2026-02-01")
    assert backwards.code == 2 and "before it starts" in backwards.err


def test_the_cost_in_person_hours(oncall, service, clock):
    from datetime import timedelta

    from oncall.domain.people import Role
    from oncall.domain.severity import Severity
    from oncall.domain.status import Status
    from oncall.service.incidents import Declaration

    incident = service.declare(Declaration(title="CAC wrong", severity=Severity.SEV2, asset="cac-dashboard", ic="maya"))
    clock.advance(timedelta(minutes=30))
    service.assign_role(incident.id, Role.SME, "lukas")
    clock.advance(timedelta(hours=2))
    service.change_status(incident.id, Status.RESOLVED)  # maya 2.5 h as IC, lukas 2 h as SME
    document = oncall("metrics", "--cost", "--format", "json").json()
    assert document["people"] == [{"person": "maya", "seconds": 9000.0}, {"person": "lukas", "seconds": 7200.0}]
    assert {(h["bucket"], h["person"], h["role"]) for h in document["hours"]} == {
        ("2026-11", "maya", "ic"), ("2026-11", "lukas", "sme")}
    table = oncall("metrics", "--cost", "--by", "asset").out.splitlines()
    assert table[1].split() == ["PERSON", "cac-dashboard", "TOTAL"]
    assert table[2].split() == ["maya", "2.5", "h", "2.5", "h"] and table[-1].split()[0] == "total"
    csv = oncall("metrics", "--cost", "--format", "csv").out.splitlines()
    assert csv == ["bucket,person,role,seconds", "2026-11,lukas,sme,7200", "2026-11,maya,ic,9000"]
    wrong = oncall("metrics", "--cost", "--by", "severity")
    assert wrong.code == 2 and "--cost groups by month, asset, cause" in wrong.err


def test_the_workspace_time_zone_is_the_default(oncall, workspace, database):
    add(database, 1, "2026-10-31T23:30:00Z")  # November in Berlin
    config = workspace.root / "oncall.toml"
    config.write_text(config.read_text("utf-8") + '\n[metrics]\ntime_zone = "Europe/Berlin"\n', "utf-8")
    document = oncall("metrics", "--from", "2026-10-01", "--to", "2026-11-30", "--format", "json").json()
    assert document["time_zone"] == "Europe/Berlin"
    assert [(b["bucket"], b["incidents"]) for b in document["buckets"]] == [("2026-10", 0), ("2026-11", 1)]
    utc = oncall("metrics", "--from", "2026-10-01", "--to", "2026-11-30", "--format", "json", "--time-zone", "UTC")
    assert [(b["bucket"], b["incidents"]) for b in utc.json()["buckets"]] == [("2026-10", 1), ("2026-11", 0)]
    assert oncall("review", "--month", "2026-11").out.count("(Europe/Berlin)") == 1
