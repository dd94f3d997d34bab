"""Opening the console: the one place the command line imports Textual.

Only what the first paint needs is read before the app starts (the database path, via a
tomllib glance); the validated config loads right after the queue is on screen.

The database is opened here, before the console: one that cannot be used (damaged, empty, not a
database, from a newer oncall) opens a small screen of its own instead
(`tui/damaged_database.py`), which says what is wrong and offers the backups to restore from;
after a restore the console opens on the restored database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from oncall.cli.context import EXIT_BAD_INPUT, clock
from oncall.cli.crash import report_console_crash
from oncall.store.problems import DatabaseProblem
from oncall.workspace.paths import DatabaseUnknown, glance, workspace_root

if TYPE_CHECKING:
    from textual.app import App

    from oncall.domain.clock import Clock
    from oncall.store.db import Database
    from oncall.tui.damaged_database import DamagedDatabaseApp


def open_console(args: argparse.Namespace) -> int:
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        from oncall.demo.install import demo_root, ensure_demo_root

        try:
            root = ensure_demo_root(clock().now())
        except DatabaseProblem:
            root = demo_root()  # its database is said below, like any other
    try:
        database_path = glance(root).database_path  # the database the commands would use, or none
    except DatabaseUnknown as error:
        print(f"oncall: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    database = open_or_offer_backups(database_path)
    if database is None:
        return EXIT_BAD_INPUT
    from oncall.tui.app import OncallApp

    # A config with broken entries still opens the console, which shows what is wrong.
    return run_console(OncallApp(root, clock=clock(), database=database))


def run_console(app: "App", headless: bool = False) -> int:
    """Run a Textual app; if it stops on an error of its own, no traceback reaches the person:
    Textual's report (written to the app's public `error_console`) goes to a file instead."""
    import io

    from rich.console import Console

    details = io.StringIO()
    app.error_console = Console(file=details, markup=False, highlight=False, color_system=None, width=120)
    app.run(headless=headless)
    if details.getvalue().strip():
        return report_console_crash(details.getvalue())
    return app.return_code or 0


def open_or_offer_backups(path: Path) -> "Database | None":
    """The database at `path`, opened; or, when it cannot be used, the damaged-database screen,
    and after a restore there the restored database. None when the person quit that screen (the
    problem is then printed too, so it stays in the terminal)."""
    from oncall.store.db import open_database

    while True:
        try:
            return open_database(path)
        except DatabaseProblem as problem:
            if not show_damaged_database(path, problem):
                print(f"oncall: {problem}", file=sys.stderr)
                return None


def show_damaged_database(path: Path, problem: DatabaseProblem) -> bool:
    """Run the damaged-database screen; True when a backup was restored."""
    from oncall.tui.damaged_database import RESTORED

    return damaged_database_app(path, problem, clock()).run() == RESTORED


def damaged_database_app(path: Path, problem: DatabaseProblem, clock: "Clock") -> "DamagedDatabaseApp":
    """The damaged-database screen for the database at `path`, wired to the real backups and
    restore (the console runs it; tests drive it)."""
    from oncall.store.backup import backups_folder, list_backups
    from oncall.store.restore import restore_backup
    from oncall.tui.damaged_database import DamagedDatabaseApp

    return DamagedDatabaseApp(problem, list_backups(path), restore=lambda backup: restore_backup(path, backup, clock.now()),
                              clock=clock, backups_folder=backups_folder(path))
