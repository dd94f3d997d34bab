"""`db check` finds what is wrong (SQLite's check and oncall's invariants); `db rescue` saves what
can be read into a new, healthy file and names what could not be saved, unsent changes first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from damage import blank_pages, cut_short, fill, page_count, pages_of, root_page, table_rows

from oncall.store.health import check_database
from oncall.store.outbox import OutboxStore
from oncall.store.remote_ids import RemoteIds
from oncall.store.rescue import NothingToRescue, rescue_database


@pytest.fixture
def history(service, workspace, clock) -> Path:
    fill(service, real=6, synthetic=200)
    store = OutboxStore(service.db)
    for entry in store.open_in_order("jira", 4):  # the first four changes reached Jira
        store.mark_done(entry.outbox_id, "jira", clock.now().timestamp())
    RemoteIds(service.db).update_incident(1, jira_key="DATA-1")
    service.db.close()
    return workspace.database_path


def finding(report, check: str):
    return next(f for f in report.findings if f.check.startswith(check))


def test_a_healthy_database_passes_every_check(history: Path) -> None:
    report = check_database(history)
    assert report.ok and report.incidents == 206 and report.outbox == 18  # declared, IC, a note each
    assert [f.check for f in report.findings] == [
        "SQLite's integrity check", "every event belongs to an incident",
        "the queue's search index matches the incidents",
        "every outbox entry refers to an existing event of its incident",
        "every delivery record refers to an outbox entry"]


def test_the_invariants_name_what_is_wrong(history: Path) -> None:
    conn = sqlite3.connect(history, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO timeline (id, incident_id, at, actor, kind) VALUES (9000, 777, '2026-11-27T10:00:00Z', 'x', 'note')")
    conn.execute("INSERT INTO outbox (id, incident_id, event_id, created_at) VALUES (9000, 1, 8888, '2026-11-27T10:00:00Z')")
    conn.execute("INSERT INTO queue_search (queue_search, rowid, title, impact, asset, ic, status, severity) "
                 "SELECT 'delete', rowid, '', '', '', '', '', '' FROM queue_search ORDER BY rowid LIMIT 1")
    conn.close()
    report = check_database(history)
    assert not report.ok
    assert finding(report, "every event").detail == "1 wrong: event #9000 names INC-777, which is not there"
    assert "entry #9000 points at event #8888 of INC-1" in finding(report, "every outbox").detail
    assert "1 incident not found by search" in finding(report, "the queue's search").detail


def test_rescuing_a_healthy_file_saves_everything(history: Path, tmp_path: Path) -> None:
    report = rescue_database(history, tmp_path / "rescued.db", ("jira",))
    assert report.complete and report.lost_unsent == [] and report.pending_saved == 14
    for table in ("incidents", "timeline", "outbox", "sync_delivery", "remote_incidents", "sync_state"):
        assert table_rows(tmp_path / "rescued.db", f"SELECT * FROM {table} ORDER BY 1") == \
               table_rows(history, f"SELECT * FROM {table} ORDER BY 1"), table
    assert check_database(tmp_path / "rescued.db").ok  # the search index rebuilt and consistent


@pytest.mark.parametrize("keep", [0.95, 0.9, 0.8])  # the timeline's rows start about 70% into the file
def test_rescuing_a_file_cut_short(history: Path, tmp_path: Path, keep: float) -> None:
    total = table_rows(history, "SELECT count(*) FROM timeline")[0][0]
    cut_short(history, int(page_count(history) * keep) * 4096)
    report = rescue_database(history, tmp_path / "rescued.db", ("jira",))
    saved = table_rows(tmp_path / "rescued.db", "SELECT count(*) FROM timeline")[0][0]
    assert 0 < saved < total and report.tables["timeline"].saved == saved
    assert not report.complete and report.tables["timeline"].unreadable
    assert any("could not be read" in line for line in report.lines())
    assert check_database(tmp_path / "rescued.db").ok


def test_blank_pages_lose_only_their_own_rows(history: Path, tmp_path: Path) -> None:
    leaves = pages_of(history, "timeline")
    lost = table_rows(history, "SELECT count(*) FROM timeline")[0][0]
    blank_pages(history, leaves[5], leaves[20])
    report = rescue_database(history, tmp_path / "rescued.db", ("jira",))
    rescued = report.tables["timeline"]
    assert len(rescued.unreadable) == 2
    missing = sum(b - a + 1 for a, b in rescued.unreadable)
    assert rescued.saved + missing == lost  # timeline ids are dense: exactly the two pages' rows
    assert missing < 2 * 120
    assert check_database(tmp_path / "rescued.db").ok


def test_unsent_changes_that_could_not_be_saved_come_first(history: Path, tmp_path: Path) -> None:
    blank_pages(history, root_page(history, "outbox"))  # the whole outbox (one page) is gone
    report = rescue_database(history, tmp_path / "rescued.db", ("jira",))
    assert not report.complete
    # The 18 real events lost their outbox entries; the 4 that reached Jira left no remote trace
    # here (marked done without steps), so all 18 are named; the events themselves were saved.
    assert [entry.event_id for entry in report.lost_unsent] == list(range(1, 19))
    assert all(entry.outbox_id is None for entry in report.lost_unsent)
    lines = report.lines()
    assert lines[1].startswith("NOT SAVED: 18 changes not yet sent to Jira/Slack")
    assert lines[4] == "  an outbox entry (INC-1, event #3): note 'checked the export, take 1'"


def test_a_file_whose_list_of_tables_is_gone_says_nothing_can_be_saved(history: Path, tmp_path: Path) -> None:
    cut_short(history, 2 * 4096)
    with pytest.raises(NothingToRescue) as refused:
        rescue_database(history, tmp_path / "rescued.db")
    assert str(history) in str(refused.value) and "restore a backup" in str(refused.value)
    assert not (tmp_path / "rescued.db").exists()
