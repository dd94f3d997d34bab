"""Restoring: the backup is checked first, the replaced file is kept, and nothing happens while
another process has the database open (oncall or not, busy or idle)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from damage import blank_pages, cut_short, fill, table_rows

from oncall.store.backup import take_backup
from oncall.store.db import open_database
from oncall.store.health import check_database
from oncall.store.migrations import latest_version
from oncall.store.restore import DatabaseInUse, NotRestorable, restore_backup


@pytest.fixture
def backed_up(service, workspace, clock):
    """A database with a backup, then two more notes; the service's connection closed."""
    fill(service, real=3, synthetic=50)
    info = take_backup(workspace.database_path, clock.now())
    service.add_note(1, "after the backup")
    service.add_note(2, "after the backup, too")
    service.db.close()
    return workspace.database_path, info.path


def test_restore_puts_the_backup_back_and_keeps_the_replaced_file(backed_up, clock) -> None:
    path, backup = backed_up
    report = restore_backup(path, backup, clock.now())
    assert report.incidents == 53
    assert report.kept_aside == path.with_name("oncall-before-restore-20261127T100000Z.db")
    assert check_database(report.kept_aside).ok, "kept whole: one file, its write-ahead log folded in"
    assert table_rows(report.kept_aside, "SELECT count(*) FROM timeline WHERE text LIKE 'after the backup%'") == [(2,)]
    assert not Path(f"{report.kept_aside}-wal").exists()
    assert report.newer_events == 2 and report.newer_unsent == 2
    assert table_rows(path, "SELECT * FROM timeline ORDER BY id") == table_rows(backup, "SELECT * FROM timeline ORDER BY id")
    assert any("2 timeline events newer than this backup" in line for line in report.lines())
    database = open_database(path)  # and it is a working database again
    database.close()


def test_a_damaged_database_is_replaced_and_kept(backed_up, clock) -> None:
    path, backup = backed_up
    cut_short(path, path.stat().st_size // 2)
    report = restore_backup(path, backup, clock.now())
    assert report.kept_aside.stat().st_size > 0 and report.newer_events is None
    assert check_database(path).ok


@pytest.mark.parametrize("damage", ["cut", "blank", "junk", "newer"])
def test_a_bad_backup_is_refused_and_nothing_changes(backed_up, clock, damage) -> None:
    path, backup = backed_up
    if damage == "cut":
        cut_short(backup, backup.stat().st_size // 2)
    elif damage == "blank":
        blank_pages(backup, 3)
    elif damage == "junk":
        backup.write_text("not a database")
    else:
        import sqlite3

        with sqlite3.connect(backup) as conn:
            conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        conn.close()
    before = path.read_bytes()
    with pytest.raises(NotRestorable) as refused:
        restore_backup(path, backup, clock.now())
    assert str(backup) in str(refused.value) and "nothing was changed" in str(refused.value)
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*before-restore*"))


HOLDER = r"""
import sqlite3, sys
from oncall.store.db import open_database
if sys.argv[1] == "oncall":
    database = open_database(sys.argv[2])          # the console or `oncall sync --watch`, idle
else:
    database = sqlite3.connect(sys.argv[2])        # the sqlite3 shell, a notebook
    database.execute("SELECT count(*) FROM incidents").fetchone()
print("open", flush=True)
sys.stdin.readline()
database.close()
"""


@pytest.mark.parametrize("holder", ["oncall", "another program"])
def test_restore_refuses_while_another_process_has_the_database_open(backed_up, clock, holder) -> None:
    path, backup = backed_up
    process = subprocess.Popen([sys.executable, "-c", HOLDER, holder.split()[0], str(path)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "open\n", process.stderr.read()
        before = path.read_bytes()
        with pytest.raises(DatabaseInUse) as refused:
            restore_backup(path, backup, clock.now())
        assert path.read_bytes() == before and not list(path.parent.glob("*before-restore*"))
        message = str(refused.value)
        assert str(path) in message and "nothing was changed" in message and "close the console" in message
        assert ("another oncall process" if holder == "oncall" else "another program") in message
    finally:
        process.communicate("\n", timeout=30)
    assert restore_backup(path, backup, clock.now()).kept_aside is not None  # once it is closed


def test_restore_refuses_while_this_process_has_it_open(backed_up, clock) -> None:
    path, backup = backed_up
    database = open_database(path)
    try:
        with pytest.raises(DatabaseInUse):
            restore_backup(path, backup, clock.now())
    finally:
        database.close()
    restore_backup(path, backup, clock.now())


def test_restoring_the_database_onto_itself_is_refused(backed_up, clock) -> None:
    path, _ = backed_up
    with pytest.raises(NotRestorable):
        restore_backup(path, path, clock.now())


def test_restore_into_a_missing_database(backed_up, clock, tmp_path) -> None:
    _, backup = backed_up
    fresh = tmp_path / "new" / "oncall.db"
    fresh.parent.mkdir()
    report = restore_backup(fresh, backup, clock.now())
    assert report.kept_aside is None and check_database(fresh).ok
    assert Path(fresh).exists()
