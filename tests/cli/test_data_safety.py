"""The command line on a hurt database: one plain line naming the file and what to do, exit 2,
never a traceback; and the commands that keep data safe (backup, backups, restore, db check,
db rescue, export, import) as a person or a script uses them."""

from __future__ import annotations

import sqlite3
import sys
import types
from pathlib import Path

import pytest

from oncall.store import db as store_db
from oncall.store.migrations import latest_version

PAGE = 4096
DECLARE = ("declare", "--title", "Weekly CAC up 340%", "--severity", "SEV-2", "--asset", "cac-dashboard")


@pytest.fixture
def database(oncall, workspace) -> Path:
    """Three incidents with notes and some synthetic history, through the command line; closed."""
    for n in range(3):
        assert oncall(*DECLARE).code == 0
        assert oncall("note", n + 1, f"checked the export, take {n}").code == 0
    assert oncall("demo", "generate", "--incidents", "120", "--force").code == 0
    return workspace.database_path


def hurt(path: Path, how: str) -> None:
    if how == "cut short":
        with open(path, "r+b") as file:
            file.truncate(path.stat().st_size // 2)
    elif how == "blank first page":
        with open(path, "r+b") as file:
            file.write(b"\x00" * PAGE)
    elif how == "not a database":
        path.write_text("# notes\nthis is not a database\n")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "newer":
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        conn.close()


SAID = {"cut short": ["is damaged", "cut short", "restore a backup", "oncall db rescue"],
        "blank first page": ["is damaged", "first page is blank", "oncall restore PATH"],
        "not a database": ["is not an oncall database", "[workspace] database"],
        "empty": ["is an empty file (0 bytes)", "restore a backup"],
        "newer": ["newer than this oncall knows", "upgrade oncall", "the data is safe"]}


@pytest.mark.parametrize("how", list(SAID))
@pytest.mark.parametrize("command", [("list",), ("show", "1", "--json"), ("note", "1", "more"), DECLARE, ("export",)],
                         ids=["list", "show", "note", "declare", "export"])
def test_every_command_says_a_hurt_database_plainly(oncall, database, how, command) -> None:
    hurt(database, how)
    before = database.read_bytes()
    result = oncall(*command)
    assert result.code == 2, result.err
    assert result.out == "" and "Traceback" not in result.err
    assert result.err.startswith("oncall: ") and result.err.count("\n") == 1
    assert str(database) in result.err
    assert all(fragment in result.err for fragment in SAID[how]), result.err
    assert database.read_bytes() == before


def test_a_damaged_page_met_in_the_middle_of_a_command_is_said_plainly(oncall, database) -> None:
    conn = sqlite3.connect(database)
    leaves = [row[0] for row in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'timeline' AND pagetype = 'leaf' ORDER BY path")]
    conn.close()
    with open(database, "r+b") as file:
        file.seek((leaves[len(leaves) // 2] - 1) * PAGE)
        file.write(b"\x00" * PAGE)
    results = [oncall("show", n, "--json") for n in range(1, 124)]
    assert {r.code for r in results} == {0, 2}
    for result in results:
        if result.code == 2:
            assert "is damaged" in result.err and str(database) in result.err and "Traceback" not in result.err
    assert oncall("db", "check").code == 2


def test_a_full_disk_keeps_nothing_of_the_change_and_says_so(oncall, database, monkeypatch) -> None:
    configure = store_db._configure

    def full_disk(conn, path):
        configure(conn, path)
        if path is not None:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(store_db, "_configure", full_disk)
    result = oncall("note", "1", "a long note that needs new pages " * 3000)
    assert result.code == 2 and result.out == ""
    assert result.err == (f"oncall: the disk holding {database} is full: the last change was not saved (the database "
                          "itself is intact); free some space on that disk, then try again\n")
    monkeypatch.setattr(store_db, "_configure", configure)
    assert [e["kind"] for e in oncall("show", "1", "--json").json()["timeline"]] == ["declared", "ic_assigned", "note"]


def test_backup_backups_and_restore(oncall, database, clock) -> None:
    taken = oncall("backup", "--json").json()
    assert taken["incidents"] == 123 and Path(taken["backup"]).name == "oncall-20261127T100000Z.db"
    listed = oncall("backups").out.splitlines()
    assert listed[0] == f"backups of {database} (the newest 7 are kept: [workspace] backups in oncall.toml)"
    assert listed[1].split() == ["TAKEN", "(UTC)", "AGE", "SIZE", "INCIDENTS", "FILE"]
    assert listed[2].startswith("2026-11-27 10:00    0s") and " 123  " in listed[2] and listed[2].endswith(taken["backup"])
    assert oncall("note", "1", "after the backup").code == 0
    hurt(database, "cut short")
    assert oncall("list").code == 2
    restored = oncall("restore", taken["backup"])
    assert restored.code == 0, restored.err
    assert restored.out.splitlines()[:2] == [
        f"restored {database} from {taken['backup']} (123 incidents)",
        f"the file it replaced is kept at {database.with_name('oncall-before-restore-20261127T100000Z.db')}"]
    assert oncall("list", "--json").json()["total"] == 123
    assert oncall("db", "check").code == 0


def test_restore_refuses_while_the_console_has_the_database_open(oncall, database) -> None:
    backup = oncall("backup", "--json").json()["backup"]
    console = store_db.open_database(database)  # what the console holds while it runs
    try:
        result = oncall("restore", backup)
    finally:
        console.close()
    assert result.code == 1 and result.out == ""
    assert "another oncall process" in result.err and "nothing was changed" in result.err
    assert oncall("restore", backup).code == 0


def test_restore_refuses_a_bad_backup(oncall, database, tmp_path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("junk")
    result = oncall("restore", junk)
    assert result.code == 2 and f"{junk} cannot be restored" in result.err and "oncall backups" in result.err
    missing = oncall("restore", tmp_path / "nope.db")
    assert missing.code == 2 and "no such file" in missing.err


def test_db_check_and_rescue(oncall, database, tmp_path) -> None:
    healthy = oncall("db", "check")
    assert healthy.code == 0 and healthy.out.startswith(f"{database}: healthy")
    hurt(database, "cut short")
    damaged = oncall("db", "check")
    assert damaged.code == 2 and "cut short" in damaged.err
    rescued = oncall("db", "rescue", "--to", tmp_path / "rescued.db")
    assert rescued.code == 0, rescued.err
    lines = rescued.out.splitlines()
    assert lines[0].startswith(f"rescued into {tmp_path / 'rescued.db'}: ")
    assert lines[-1] == f"next: `oncall db check --file {tmp_path / 'rescued.db'}`, then `oncall restore " \
                        f"{tmp_path / 'rescued.db'}` to use it"
    assert oncall("db", "check", "--file", tmp_path / "rescued.db").code == 0
    assert oncall("restore", tmp_path / "rescued.db").code == 0
    assert oncall("list").code == 0


def test_export_then_import_on_a_new_laptop(oncall, cli, database, tmp_path) -> None:
    assert oncall("status", "2", "identified", "--reason", "a partial file").code == 0
    assert oncall("assign", "1", "--role", "sme", "--person", "lukas").code == 0
    written = oncall("export", "--to", tmp_path / "all.json", "--json").json()
    assert written["incidents"] == 123 and written["outbox"] == 11
    assert oncall("export").out == (tmp_path / "all.json").read_text()  # the same document on stdout

    laptop = tmp_path / "laptop"
    assert cli("init", laptop).code == 0
    imported = cli("--workspace", laptop, "import", tmp_path / "all.json")
    assert imported.code == 0, imported.err
    assert imported.out.startswith("imported 123 incidents")
    def who_holds_what(shown: dict) -> dict:  # names come from each laptop's roster; ids travel
        return {**shown, "roles": {r["role"]: [p["id"] for p in r["people"]] for r in shown["roles"]}, "raci": None}

    assert cli("--workspace", laptop, "show", "1", "--json").json()["roles"][1]["people"] == [
        {"id": "lukas", "name": "lukas"}], "the SME travels with the export"
    for n in (1, 2, 3, 60):
        assert who_holds_what(cli("--workspace", laptop, "show", n, "--json").json()) == \
               who_holds_what(oncall("show", n, "--json").json())
    assert cli("--workspace", laptop, "list", "--json", "--limit", "500").json() == \
           oncall("list", "--json", "--limit", "500").json()
    again = cli("--workspace", laptop, "import", tmp_path / "all.json")
    assert again.code == 1 and "already holds incidents" in again.err
    (tmp_path / "bad.json").write_text("{not json")
    bad = cli("--workspace", tmp_path / "laptop", "import", tmp_path / "bad.json")
    assert bad.code == 2 and "not JSON" in bad.err


def test_the_console_offers_backups_instead_of_closing(oncall, database, monkeypatch, workspace) -> None:
    from oncall.cli import console

    shown = []
    monkeypatch.setattr(console, "show_damaged_database", lambda path, problem: shown.append((path, problem)) or False)
    monkeypatch.setitem(sys.modules, "oncall.tui.app", types.SimpleNamespace(OncallApp=None))  # never reached
    hurt(database, "cut short")
    result = oncall()
    assert result.code == 2
    assert [(path, problem.kind) for path, problem in shown] == [(database, "damaged")]
    assert "is damaged" in result.err and "Traceback" not in result.err


def test_the_console_opens_on_the_restored_database(oncall, database, monkeypatch, clock) -> None:
    from oncall.cli import console
    from oncall.store.restore import restore_backup

    backup = oncall("backup", "--json").json()["backup"]
    hurt(database, "empty")

    def restore_on_screen(path, problem):
        assert problem.kind == "empty"
        restore_backup(path, Path(backup), clock.now())
        return True

    class Console:  # stands in for the console app: records which database it was given
        return_code = 0

        def __init__(self, root, clock, database):
            self.database = database

        def run(self, headless=False):
            Console.incidents = self.database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
            self.database.close()

    monkeypatch.setattr(console, "show_damaged_database", restore_on_screen)
    monkeypatch.setitem(sys.modules, "oncall.tui.app", types.SimpleNamespace(OncallApp=Console))
    assert oncall().code == 0
    assert Console.incidents == 123


def test_sync_watch_takes_the_daily_backup_in_a_thread_of_its_own(oncall, database, workspace, clock) -> None:
    import threading
    import time

    from oncall.cli.sync_cmds import _start_daily_backups
    from oncall.store.backup import list_backups

    stop = threading.Event()
    _start_daily_backups(workspace, stop)
    deadline = time.monotonic() + 30
    while not list_backups(database) and time.monotonic() < deadline:
        stop.wait(0.01)
    stop.set()
    for thread in threading.enumerate():
        if thread.name == "daily-backup":
            thread.join(timeout=30)
    assert [(b.taken_at, b.incidents) for b in list_backups(database)] == [(clock.now(), 123)]
