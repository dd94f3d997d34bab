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


def test_bad_dates_and_zones_exit_2_naming_the_value(oncall):
    bad_zone = oncall("metrics", "--time-zone", "Mars/Olympus")
    assert bad_zone.code == 2 and "Mars/Olympus" in bad_zone.err
    bad_date = oncall("metrics", "--from", "2026-02-30")
    assert bad_date.code == 2 and "2026-02-30" in bad_date.err
    backwards = oncall("metrics", "--from", "2026-03-01", "--to", "2026-02-01")
    assert backwards.code == 2 and "before it starts" in backwards.err
