"""The demo warehouse holds what the demo incidents say, relative to the moment it is built:
yesterday's signups missing, ad spend 26 hours stale, the latest week's CAC at $412 instead of
~$95, and a "successful" load of zero rows. Queried as a person would, through evidence."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from oncall.domain.runbook import Evidence
from oncall.domain.sources import Source
from oncall.demo.warehouse import build_warehouse, ensure_warehouse
from oncall.evidence import run_evidence

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # as tests/conftest.py
MOMENTS = [NOW, datetime(2028, 1, 3, 0, 30, tzinfo=timezone.utc)]  # any day: here a Monday just after midnight


def rows(path: Path, sql: str, **parameters: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, parameters).fetchall()
    finally:
        conn.close()


@pytest.fixture(params=MOMENTS, ids=lambda moment: moment.date().isoformat())
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, datetime]:
    path = tmp_path / "warehouse.sqlite"
    build_warehouse(path, request.param)
    return path, request.param


def test_yesterdays_signups_never_arrived(warehouse: tuple[Path, datetime]) -> None:
    path, now = warehouse
    today = now.date()
    by_day = dict(rows(path, "SELECT signup_date, count(*) FROM new_customers GROUP BY 1"))
    assert str(today - timedelta(days=1)) not in by_day
    assert str(today) not in by_day  # today's export has not run yet
    assert len(by_day) == 29 and min(by_day) == str(today - timedelta(days=30))
    assert all(100 <= count <= 400 for count in by_day.values())
    channels = {channel for (channel,) in rows(path, "SELECT DISTINCT channel FROM new_customers")}
    assert channels == {"google", "meta", "tiktok", "organic"}


def test_ad_spend_is_26_hours_stale_and_tiktok_is_missing(warehouse: tuple[Path, datetime]) -> None:
    path, now = warehouse
    [(newest,)] = rows(path, "SELECT max(loaded_at) FROM ad_spend")
    assert datetime.fromisoformat(newest) == now - timedelta(hours=26)
    recent = {str(now.date()), str(now.date() - timedelta(days=1))}
    tiktok_days = {day for (day,) in rows(path, "SELECT spend_date FROM ad_spend WHERE channel = 'tiktok'")}
    assert not recent & tiktok_days
    assert len(tiktok_days) >= 25  # it was there until it stopped being mapped
    [(latest_google,)] = rows(path, "SELECT max(spend_date) FROM ad_spend WHERE channel = 'google'")
    assert latest_google > max(tiktok_days)


def test_the_latest_weeks_cac_is_412_against_about_95(warehouse: tuple[Path, datetime]) -> None:
    path, now = warehouse
    weeks = rows(path, "SELECT week_start, round(sum(spend_usd) / sum(new_customers), 2) FROM fct_weekly_cac "
                       "GROUP BY week_start ORDER BY week_start")
    assert len(weeks) == 8
    latest_week, latest_cac = weeks[-1]
    yesterday = now.date() - timedelta(days=1)
    assert latest_week == str(yesterday - timedelta(days=yesterday.weekday()))  # the week the day went missing in
    assert latest_cac == 412.0
    usual = [cac for _, cac in weeks[:-1]]
    assert all(88 <= cac <= 102 for cac in usual)
    assert 4.1 <= latest_cac / (sum(usual) / len(usual)) <= 4.5


def test_the_last_new_customers_load_succeeded_with_zero_rows(warehouse: tuple[Path, datetime]) -> None:
    path, now = warehouse
    loads = rows(path, "SELECT loaded_at, rows_loaded, status FROM load_audit WHERE table_name = 'new_customers' "
                       "ORDER BY loaded_at DESC")
    assert loads[0][1:] == (0, "success")
    assert datetime.fromisoformat(loads[0][0]) <= now
    assert all(count > 100 and status == "success" for _, count, status in loads[1:])
    tables = {name for (name,) in rows(path, "SELECT DISTINCT table_name FROM load_audit")}
    assert tables == {"ad_spend", "new_customers", "fct_weekly_cac"}


def test_an_evidence_query_finds_the_silent_failure(tmp_path: Path) -> None:
    build_warehouse(tmp_path / "warehouse.sqlite", NOW)
    evidence = Evidence(kind="sql", source="warehouse", command=(), timeout=5.0, line=1, sql=(
        "SELECT table_name, loaded_at, rows_loaded, status FROM load_audit "
        "WHERE table_name = :table ORDER BY loaded_at DESC LIMIT 3"))
    sources = {"warehouse": Source(name="warehouse", kind="sqlite", path="warehouse.sqlite")}
    result = run_evidence(evidence, {"table": "new_customers"}, sources, tmp_path)

    assert result.ok and result.rows == 3
    assert result.output.splitlines()[2].split() == ["new_customers", "2026-11-27T07:00:00Z", "0", "success"]


def test_building_again_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.sqlite"
    path.write_text("not a database")
    build_warehouse(path, NOW)
    build_warehouse(path, NOW)
    assert rows(path, "SELECT count(*) FROM fct_weekly_cac") == [(24,)]
    assert [p.name for p in tmp_path.iterdir()] == ["warehouse.sqlite"]  # no temporary file left
    later = NOW + timedelta(days=3)
    assert not ensure_warehouse(path, later)  # there already: kept as it is
    assert rows(path, "SELECT max(loaded_at) FROM ad_spend") == [("2026-11-26T08:00:00Z",)]


def test_the_demo_workspace_has_its_warehouse(tmp_path: Path) -> None:
    from oncall.demo.install import ensure_demo_root

    root = ensure_demo_root(NOW)  # ONCALL_DATA_DIR is under tmp_path (tests/conftest.py)
    assert root.is_relative_to(tmp_path)
    [(newest,)] = rows(root / "warehouse.sqlite", "SELECT max(loaded_at) FROM ad_spend")
    assert datetime.fromisoformat(newest) == NOW - timedelta(hours=26)


def test_the_demo_console_has_its_warehouse(tmp_path: Path) -> None:
    from oncall.tui.demo_app import build_demo_app

    app = build_demo_app(tmp_path / "workspace", NOW)
    try:
        assert rows(tmp_path / "workspace" / "warehouse.sqlite", "SELECT count(*) FROM load_audit")[0][0] > 0
    finally:
        app.session.database.close()
