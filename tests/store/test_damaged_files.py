"""Every shape of a hurt database file is refused with a plain `DatabaseProblem` that names the
file and says what to do, and the file is left exactly as it was: cut short at several points,
blank pages, not a database, an empty file, a newer schema, a full disk, a read-only file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from damage import blank_pages, cut_short, fill, page_count, pages_of

from oncall.store import db as store_db
from oncall.store.db import DatabaseBusy, open_database
from oncall.store.health import check_database
from oncall.store.lock import try_exclusive
from oncall.store.migrations import latest_version
from oncall.store.problems import (
    DatabaseDamaged,
    DatabaseEmpty,
    DatabaseFull,
    DatabaseNewer,
    DatabaseProblem,
    DatabaseReadOnly,
    NotADatabase,
    explain,
)


@pytest.fixture
def history(service, workspace) -> Path:
    """A closed database of ~150 incidents (a few hundred pages) and its path."""
    fill(service)
    service.db.close()
    path = workspace.database_path
    assert not Path(f"{path}-wal").exists()  # closed cleanly: one file
    return path


def refused(path: Path) -> DatabaseProblem:
    before = path.read_bytes()
    with pytest.raises(DatabaseProblem) as caught:
        open_database(path).close()
    assert path.read_bytes() == before, "a refused file is never written to"
    problem = caught.value
    assert str(path) in str(problem)
    return problem


@pytest.mark.parametrize("keep", [0.97, 0.75, 0.5, 0.1, 2 * 4096, 4096, 100])
def test_a_file_cut_short_is_said_to_be_damaged(history: Path, keep: float) -> None:
    size = history.stat().st_size
    cut_short(history, int(size * keep) if keep < 1 else int(keep))
    problem = refused(history)
    assert isinstance(problem, DatabaseDamaged) and isinstance(problem, sqlite3.DatabaseError)
    assert "cut short" in str(problem) and "restore a backup" in str(problem) and "oncall db rescue" in str(problem)


@pytest.mark.parametrize("keep", [99, 16])
def test_a_file_cut_inside_its_header_is_damaged_too(history: Path, keep: int) -> None:
    cut_short(history, keep)
    problem = refused(history)
    assert isinstance(problem, DatabaseDamaged) and f"only {keep} bytes" in str(problem)


def test_a_file_cut_before_it_says_what_it_is_is_not_a_database(history: Path) -> None:
    cut_short(history, 5)
    problem = refused(history)
    assert isinstance(problem, NotADatabase) and "only 5 bytes" in str(problem)
    assert "restore a backup" in str(problem)


def test_a_blank_first_page_is_damage(history: Path) -> None:
    blank_pages(history, 1)
    problem = refused(history)
    assert isinstance(problem, DatabaseDamaged) and "first page is blank" in str(problem)


def test_blank_pages_inside_are_found_by_the_check_and_said_plainly_when_met(history: Path) -> None:
    leaves = pages_of(history, "timeline")
    blank_pages(history, leaves[len(leaves) // 2], leaves[-1])  # the last leaf: opening finds it
    problem = refused(history)
    assert isinstance(problem, DatabaseDamaged)
    report = check_database(history)
    assert not report.ok
    assert not next(f for f in report.findings if f.check == "SQLite's integrity check").ok


def test_a_blank_page_met_while_reading_is_explained_as_damage(history: Path) -> None:
    leaves = pages_of(history, "timeline")
    blank_pages(history, leaves[len(leaves) // 2])  # in the middle: opening reads past it
    database = open_database(history)
    try:
        with pytest.raises(sqlite3.DatabaseError) as caught:
            database.conn.execute("SELECT count(*), max(length(text)) FROM timeline NOT INDEXED").fetchone()
    finally:
        database.close()
    problem = explain(caught.value, history)
    assert isinstance(problem, DatabaseDamaged) and str(history) in str(problem)


@pytest.mark.parametrize("content", [b"not a database at all\n" * 300, bytes(range(256)) * 64, b"SQLite format 2\x00" * 10])
def test_a_file_that_is_not_a_database(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "oncall.db"
    path.write_bytes(content)
    problem = refused(path)
    assert isinstance(problem, NotADatabase)
    assert "not an oncall database" in str(problem) and "[workspace] database" in str(problem)


def test_an_empty_file_is_lost_data_not_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    path.write_bytes(b"")
    problem = refused(path)
    assert isinstance(problem, DatabaseEmpty)
    assert "0 bytes" in str(problem) and "restore a backup" in str(problem)
    assert path.stat().st_size == 0


def test_a_new_database_is_never_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "oncall.db"
    database = open_database(path)
    database.close()
    assert path.stat().st_size > 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["oncall.db", "oncall.db.oncall-lock"]


def test_a_newer_schema_is_refused_and_left_alone(history: Path) -> None:
    with sqlite3.connect(history) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 3}")
    conn.close()
    problem = refused(history)
    assert isinstance(problem, DatabaseNewer) and isinstance(problem, RuntimeError)
    assert f"schema version {latest_version() + 3}" in str(problem) and "upgrade oncall" in str(problem)


def test_a_full_disk_saves_nothing_of_the_change_and_says_so(service, workspace) -> None:
    fill(service, real=2, synthetic=0)
    conn = service.db.conn
    before = conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: not one more page
    with pytest.raises(DatabaseFull) as caught:
        service.add_note(1, "a long note that needs new pages " * 2000)
    assert isinstance(caught.value, sqlite3.OperationalError)
    assert str(workspace.database_path) in str(caught.value) and "free some space" in str(caught.value)
    assert "busy" not in str(caught.value) and "locked" not in str(caught.value)  # never taken for exit 3
    assert conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == before
    assert not conn.in_transaction
    conn.execute(f"PRAGMA max_page_count = {pages * 100}")  # space freed: the same note goes in
    service.add_note(1, "a long note that needs new pages " * 2000)
    assert conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == before + 1


def test_a_read_only_database_says_so_on_write(service, workspace) -> None:
    fill(service, real=1, synthetic=0)
    service.db.conn.execute("PRAGMA query_only = ON")  # SQLite answers as for a read-only file
    with pytest.raises(DatabaseReadOnly) as caught:
        service.add_note(1, "checked")
    assert str(workspace.database_path) in str(caught.value) and "permissions" in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write a read-only file")
def test_a_read_only_file_says_so(history: Path) -> None:  # pragma: no cover - depends on the user
    history.chmod(0o444)
    try:
        database = open_database(history)
        try:
            with pytest.raises(DatabaseReadOnly), database.write() as conn:
                conn.execute("INSERT INTO sync_state (key, value) VALUES ('x', 'y')")
        finally:
            database.close()
    finally:
        history.chmod(0o644)


def test_opening_waits_for_a_restore_then_says_busy(history: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    restoring = try_exclusive(history)
    assert restoring is not None and restoring.held
    try:
        with pytest.raises(DatabaseBusy):
            open_database(history)
    finally:
        restoring.release()
    open_database(history).close()


def test_every_problem_is_one_plain_line(history: Path) -> None:
    cut_short(history, page_count(history) // 2 * 4096)
    problem = refused(history)
    assert "\n" not in str(problem) and "Traceback" not in str(problem)
    assert problem.what and problem.todo and problem.detail.startswith("cut short")
