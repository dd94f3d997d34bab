"""The screen the console opens on when its database cannot be used: it says what is wrong and
where, lists the backups, restores the chosen one after a yes (never while another oncall has
the database open), and q quits. Driven as `oncall` wires it (`cli.console.damaged_database_app`),
on real files; and how it looks at 80×24 on a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static
from tui_support import shown, wait_for

from oncall.cli.console import damaged_database_app
from oncall.domain.clock import FrozenClock
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.store.backup import BackupInfo, take_backup
from oncall.store.db import open_database
from oncall.store.lock import hold_shared
from oncall.store.problems import DatabaseDamaged, DatabaseNewer, DatabaseProblem
from oncall.tui.damaged_database import RESTORED, ConfirmRestore, DamagedDatabaseApp

SIZE = (80, 24)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def damaged(service, workspace, clock):
    """Three incidents, a backup of yesterday and one of today, a note after them; then the file
    cut short. Returns the database path, the problem opening it gives, and the newest backup."""
    for n in range(3):
        incident = service.declare(Declaration(title=f"orders late {n}", severity=Severity.SEV2, asset="cac-pipeline"))
        service.add_note(incident.id, "checked the export")
    path = workspace.database_path
    take_backup(path, clock.now() - timedelta(days=1))
    newest = take_backup(path, clock.now() - timedelta(hours=2))
    service.add_note(1, "after the backup")
    service.db.close()
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(DatabaseProblem) as caught:
        open_database(path)
    return path, caught.value, newest


def text_of(app, selector: str) -> str:
    return " ".join(shown(app.screen.query_one(selector, Static), width=1000).split())


async def test_it_says_what_is_wrong_and_restores_the_chosen_backup(damaged, clock) -> None:
    path, problem, newest = damaged
    app = damaged_database_app(path, problem, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert text_of(app, "#headline").strip() == "The database is damaged"
        assert text_of(app, "#where") == f"File: {path}"
        assert "cut short" in text_of(app, "#what") and "oncall db rescue" in text_of(app, "#todo")
        backups = app.screen.query_one("#backups", OptionList)
        assert backups.option_count == 2 and backups.has_focus
        newest_line = str(backups.get_option_at_index(0).prompt).split()
        assert newest_line[:4] == ["2026-11-27", "08:00", "UTC", "2h"] and newest_line[-2:] == ["3", "incidents"]
        assert str(backups.get_option_at_index(1).prompt).split()[:4] == ["2026-11-26", "10:00", "UTC", "1d"]

        await pilot.press("enter")  # asks first
        assert isinstance(app.screen, ConfirmRestore)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmRestore)
        assert not list(path.parent.glob("*before-restore*")), "nothing happens without a yes"

        await pilot.press("enter", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_value == RESTORED
    database = open_database(path)  # what the console does next
    try:
        assert database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == 9
    finally:
        database.close()
    assert [p.name for p in path.parent.glob("*before-restore*")] == ["oncall-before-restore-20261127T100000Z.db"]


async def test_it_will_not_restore_while_another_oncall_has_the_database_open(damaged, clock) -> None:
    path, problem, _ = damaged
    console = hold_shared(path, 0)  # what every open_database connection holds: another console
    app = damaged_database_app(path, problem, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "y")
        await wait_for(pilot, lambda: "Not restored" in text_of(app, "#status"))
        said = text_of(app, "#status")
        assert "another oncall process" in said and "close the console" in said
        assert not list(path.parent.glob("*before-restore*"))
        console.release()
        await pilot.press("enter", "y")  # the same backup, once the other console is closed
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_value == RESTORED


async def test_q_quits_and_changes_nothing(damaged, clock) -> None:
    path, problem, _ = damaged
    before = path.read_bytes()
    app = damaged_database_app(path, problem, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_value is None
    assert path.read_bytes() == before


async def test_without_backups_it_says_what_else_to_do(tmp_path, clock) -> None:
    path = tmp_path / "oncall.db"
    path.write_bytes(b"")
    with pytest.raises(DatabaseProblem) as caught:
        open_database(path)
    app = damaged_database_app(path, caught.value, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert text_of(app, "#headline").strip() == "The database file is empty"
        assert "oncall db rescue" in text_of(app, "#todo") and "no backup" in text_of(app, "#todo")
        assert "None in" in text_of(app, "#no-backups")
        assert not app.screen.query("#backups")
        await pilot.press("enter")  # nothing to restore: nothing happens
        assert not isinstance(app.screen, ConfirmRestore)


# -- how it looks ------------------------------------------------------------------------------

HOME = Path("/home/maya/.local/share/oncall/state/acme-data-1a2b3c4d")
BACKUPS = [BackupInfo(HOME / "backups" / f"oncall-202611{day:02d}T090000Z.db",
                      datetime(2026, 11, day, 9, 0, tzinfo=timezone.utc), 1_250_000 - day * 1000, 15 - (27 - day))
           for day in (27, 26, 25, 24, 23, 22, 21)]


def snapshot_app(problem: DatabaseProblem, backups=BACKUPS) -> DamagedDatabaseApp:
    return DamagedDatabaseApp(problem, backups, restore=lambda backup: None, clock=FrozenClock(NOW),
                              backups_folder=HOME / "backups")


def test_snapshot_damaged(snap_compare) -> None:
    problem = DatabaseDamaged(HOME / "oncall.db", "cut short: 53,248 of its 106,496 bytes are there")
    assert snap_compare(snapshot_app(problem), terminal_size=SIZE)


def test_snapshot_confirm_restore(snap_compare) -> None:
    problem = DatabaseDamaged(HOME / "oncall.db", "cut short: 53,248 of its 106,496 bytes are there")
    assert snap_compare(snapshot_app(problem), terminal_size=SIZE, press=["down", "enter"])


def test_snapshot_newer(snap_compare) -> None:
    assert snap_compare(snapshot_app(DatabaseNewer(HOME / "oncall.db", 7, 4), BACKUPS[:2]), terminal_size=SIZE)
