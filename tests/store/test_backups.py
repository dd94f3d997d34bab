"""Backups: an online copy that is whole and checked, at most one a day, the newest N kept, never
taken of a damaged database at the expense of good ones, and consistent while others write."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from damage import blank_pages, fill, pages_of, table_rows

from oncall.store.backup import backups_folder, list_backups, maybe_backup, take_backup
from oncall.store.health import check_database
from oncall.store.problems import DatabaseDamaged
from oncall.store.restore import restore_backup


def test_a_backup_is_one_checked_file_holding_everything(service, workspace, clock) -> None:
    fill(service, real=3, synthetic=20)
    path = workspace.database_path
    info = take_backup(path, clock.now())  # while the service's connection is open, in WAL mode
    assert info.path.parent == backups_folder(path)
    assert info.path.name == "oncall-20261127T100000Z.db"
    assert info.incidents == 23 and info.size == info.path.stat().st_size
    assert sorted(p.name for p in info.path.parent.iterdir()) == [".taking", info.path.name]  # no -wal, no partial
    assert check_database(info.path).ok
    with sqlite3.connect(info.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert table_rows(info.path, "SELECT * FROM timeline ORDER BY id") == table_rows(path, "SELECT * FROM timeline ORDER BY id")


def test_at_most_one_a_day_and_the_newest_kept(service, workspace, clock) -> None:
    fill(service, real=1, synthetic=0)
    path = workspace.database_path
    first = maybe_backup(path, keep=3, now=clock.now())
    assert first.taken is not None and not first.problem
    again = maybe_backup(path, keep=3, now=clock.now() + timedelta(hours=13))  # 23:00 the same day
    assert again.taken is None and again.skipped == "today's backup was taken at 10:00 UTC"
    for day in range(1, 6):
        clock.advance(timedelta(days=1))
        service.add_note(1, f"day {day}")
        assert maybe_backup(path, keep=3, now=clock.now()).taken is not None
    kept = list_backups(path)
    assert [b.taken_at for b in kept] == [clock.now() - timedelta(days=n) for n in range(3)]
    assert [b.incidents for b in kept] == [1, 1, 1]
    assert maybe_backup(path, keep=0, now=clock.now() + timedelta(days=1)).skipped.startswith("automatic backups are off")


def test_two_backups_in_one_second_both_kept(service, workspace, clock) -> None:
    fill(service, real=1, synthetic=0)
    one = take_backup(workspace.database_path, clock.now())
    two = take_backup(workspace.database_path, clock.now())
    assert one.path != two.path and two.path.name == "oncall-20261127T100000Z-2.db"
    assert len(list_backups(workspace.database_path)) == 2


def test_a_damaged_database_never_pushes_out_good_backups(service, workspace, clock) -> None:
    fill(service)
    path = workspace.database_path
    for day in range(3):
        assert maybe_backup(path, keep=3, now=clock.now() + timedelta(days=day)).taken
    service.db.close()
    blank_pages(path, pages_of(path, "timeline")[3])
    outcome = maybe_backup(path, keep=3, now=clock.now() + timedelta(days=3))
    assert outcome.taken is None
    assert str(path) in outcome.problem and "damaged" in outcome.problem
    assert len(list_backups(path)) == 3
    assert sorted(p.name for p in backups_folder(path).iterdir() if p.name.startswith(".oncall")) == []
    with pytest.raises(DatabaseDamaged):
        take_backup(path, clock.now() + timedelta(days=3))


def test_maybe_backup_never_raises(tmp_path, clock) -> None:
    assert maybe_backup(None, 7, clock.now()).skipped
    assert maybe_backup(tmp_path / "none.db", 7, clock.now()).skipped == "there is no database to back up yet"
    (tmp_path / "junk.db").write_text("junk")
    assert "not an oncall database" in maybe_backup(tmp_path / "junk.db", 7, clock.now()).problem


def test_backup_to_a_named_file_or_folder(service, workspace, clock, tmp_path) -> None:
    fill(service, real=2, synthetic=0)
    named = take_backup(workspace.database_path, clock.now(), to=tmp_path / "before-upgrade.db")
    assert named.path == tmp_path / "before-upgrade.db" and named.incidents == 2
    folder = tmp_path / "usb"
    folder.mkdir()
    assert take_backup(workspace.database_path, clock.now(), to=folder).path.parent == folder
    with pytest.raises(Exception) as exists:
        take_backup(workspace.database_path, clock.now(), to=tmp_path / "before-upgrade.db")
    assert "already exists" in str(exists.value)


WRITER = r"""
import sys
from pathlib import Path
from oncall.domain.clock import SystemClock
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration, IncidentService
from oncall.workspace.loader import load_workspace

tag, root, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
workspace = load_workspace(root, strict=True)
database = workspace.open_database()
service = IncidentService(database, workspace.config, SystemClock(), tag)
incident = service.declare(Declaration(title=f"{tag} incident", severity=Severity.SEV2, asset="cac-pipeline"))
n = 0
while not stop.exists():
    n += 1
    event = service.add_note(incident.id, f"{tag} note {n}")
    print(event.id, flush=True)  # committed: add_note returned
database.close()
"""


def test_a_backup_taken_while_two_processes_write_holds_every_committed_event(service, workspace, clock,
                                                                             tmp_path) -> None:
    fill(service, real=2, synthetic=300)
    path = workspace.database_path
    stop = tmp_path / "stop"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, tag, str(workspace.root), str(stop)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("alpha", "beta")]
    committed: set[int] = set()
    try:
        for writer in writers:  # wait until both are writing, and note what they committed so far
            for _ in range(30):
                line = writer.stdout.readline()
                assert line, writer.stderr.read()
                committed.add(int(line))
        info = take_backup(path, clock.now())
    finally:
        stop.touch()
        outputs = [writer.communicate(timeout=60) for writer in writers]
    for writer, (_, errors) in zip(writers, outputs):
        assert writer.returncode == 0, errors

    backed_up = {row[0] for row in table_rows(info.path, "SELECT id FROM timeline")}
    assert committed <= backed_up, "every event committed before the backup began is in it"
    assert check_database(info.path).ok, "a consistent snapshot: every event with its outbox entry"

    service.db.close()
    report = restore_backup(path, info.path, clock.now())
    assert report.kept_aside is not None and report.newer_events and report.newer_events > 0
    restored = check_database(path)
    assert restored.ok
    assert committed <= {row[0] for row in table_rows(path, "SELECT id FROM timeline")}
    assert table_rows(path, "SELECT count(*) FROM timeline")[0][0] == len(backed_up)
    # What the writers committed after the backup began is not in it, and is kept in the file set aside.
    assert table_rows(report.kept_aside, "SELECT count(*) FROM timeline")[0][0] == len(backed_up) + report.newer_events


def test_the_loop_of_a_long_running_process_backs_up_until_stopped(service, workspace, clock) -> None:
    import threading

    from oncall.store.backup import keep_backing_up

    fill(service, real=1, synthetic=0)
    stop, outcomes = threading.Event(), []
    keep_backing_up(workspace.database_path, 7, clock.now, stop,
                    on_outcome=lambda outcome: (outcomes.append(outcome), stop.set()))
    assert len(outcomes) == 1 and outcomes[0].taken is not None
    assert [b.taken_at for b in list_backups(workspace.database_path)] == [clock.now()]
