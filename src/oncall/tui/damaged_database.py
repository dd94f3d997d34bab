"""The screen the console opens on when its database cannot be used (damaged, empty, not a
database, from a newer oncall): what is wrong, where the file is, what to do, and the backups it
can be restored from.

It is a small app of its own, run by `cli/console.py` before the console proper: the console's
app needs a working database, this one needs none. It reads and writes nothing itself: it is
given the problem, the backups and a `restore` function (which checks the backup, keeps the
damaged file aside, and refuses while another oncall process has the database open) and runs
that function in a worker thread. It exits with "restored" after a restore, else None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from oncall.domain.clock import Clock, SystemClock, humanize_age
from oncall.store.backup import BackupInfo, human_size
from oncall.store.problems import DatabaseProblem

RESTORED = "restored"

HEADLINES = {
    "damaged": "The database is damaged",
    "empty": "The database file is empty",
    "not_a_database": "This file is not an oncall database",
    "newer": "The database is from a newer oncall",
    "full": "The disk is full",
    "read_only": "The database cannot be written",
    "unopenable": "The database cannot be opened",
}
# What happened, in a sentence or two; {detail} is the particulars the store found.
EXPLANATIONS = {
    "damaged": "Part of it cannot be read ({detail}). Most often a full disk or an interrupted copy cut it "
               "short. Nothing was changed.",
    "empty": "It is 0 bytes long: whatever it held was lost, most often to a full disk or an interrupted copy.",
    "not_a_database": "SQLite cannot read it ({detail}). Perhaps [workspace] database in oncall.toml names "
                      "the wrong file.",
    "newer": "A newer oncall wrote it ({detail}). Nothing was changed and the data is safe.",
    "full": "Nothing can be saved until there is room on that disk.",
    "read_only": "The file or its folder is read-only, or not yours.",
    "unopenable": "{detail}.",
}
WHAT_TO_DO = {
    "newer": "Upgrade oncall (pip install --upgrade oncall) and start it again. Restoring a backup would lose "
             "what the newer oncall saved since.",
    "full": "Free some space on that disk, then start oncall again.",
    "read_only": "Check who owns the file and folder (ls -l), then start oncall again.",
    "unopenable": "Check that its folder exists and is yours, then start oncall again.",
}
RESTORE_TO_DO = ("Pick a backup and press enter to restore it: the damaged file is kept beside it. "
                 "Or quit and run `oncall db rescue` to copy what can still be read into a new file.")
NO_BACKUP_TO_DO = ("There is no backup to restore. Quit and run `oncall db rescue` to copy what can still be "
                   "read into a new file.")


def explain(problem: DatabaseProblem) -> str:
    text = EXPLANATIONS.get(problem.kind)
    if text is None:
        return problem.what + "."
    if not problem.detail:
        text = text.replace(" ({detail})", "")
    return text.format(detail=problem.detail)


def what_to_do(problem: DatabaseProblem, has_backups: bool) -> str:
    if problem.kind in WHAT_TO_DO:
        return WHAT_TO_DO[problem.kind]
    return RESTORE_TO_DO if has_backups else NO_BACKUP_TO_DO


def describe_backup(info: BackupInfo, clock: Clock) -> str:
    now = clock.now()
    age = f"{humanize_age(now - info.taken_at)} ago" if info.taken_at <= now else "in the future"
    count = (f"{info.incidents} incident{'s' if info.incidents != 1 else ''}" if info.incidents is not None
             else "cannot be read")
    return f"{info.taken_at:%Y-%m-%d %H:%M} UTC  {age:>8}  {human_size(info.size):>8}  {count}"


class ConfirmRestore(ModalScreen[bool]):
    """Restore this backup? y or n; nothing happens without a yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Restore", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm.no"),
    ]

    def __init__(self, backup: BackupInfo, database: Path | None, clock: Clock) -> None:
        super().__init__()
        self._backup = backup
        self._database = database
        self._clock = clock

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static("Restore this backup?", classes="title")
            yield Static(describe_backup(self._backup, self._clock), markup=False)
            name = self._database.name if self._database else "the database"
            yield Static(f"Changes made after it are not in it. The {name} it replaces is kept beside it "
                         "as a file named …-before-restore-…, not deleted.", markup=False)
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class BackupList(OptionList):
    """The backups, newest first; enter restores the highlighted one (after a yes)."""

    BINDINGS = [Binding("enter", "select", "Restore", id="backups.restore")]


class DamagedDatabaseApp(App[str | None]):
    CSS_PATH = "styles/damaged_database.tcss"
    TITLE = "oncall"
    SUB_TITLE = "the database cannot be used"
    BINDINGS = [Binding("q", "quit_screen", "Quit", id="damaged.quit")]

    def __init__(self, problem: DatabaseProblem, backups: Sequence[BackupInfo],
                 restore: Callable[[Path], object], clock: Clock | None = None,
                 backups_folder: Path | None = None) -> None:
        super().__init__()
        self.problem = problem
        self.backups = list(backups)
        self._restore = restore
        self.clock = clock or SystemClock()
        self._folder = backups_folder
        self.restoring = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="problem"):
            yield Static(HEADLINES.get(self.problem.kind, "The database cannot be used"), id="headline")
            yield Static(f"File: {self.problem.where}", id="where", markup=False)
            yield Static(explain(self.problem), id="what", markup=False)
            yield Static(what_to_do(self.problem, bool(self.backups)), id="todo", markup=False)
        yield Static("Backups, newest first", id="backups-title")
        if self.backups:
            yield BackupList(*(Option(describe_backup(b, self.clock), id=str(i)) for i, b in enumerate(self.backups)),
                             id="backups")
        else:
            where = f" in {self._folder}" if self._folder else ""
            yield Static(f"None{where}. The console and `oncall sync --watch` take one each day.", id="no-backups",
                         markup=False)
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.backups:
            self.query_one("#backups", BackupList).focus()

    def selected_backup(self) -> BackupInfo | None:
        if not self.backups:
            return None
        index = self.query_one("#backups", BackupList).highlighted
        return self.backups[index] if index is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        backup = self.selected_backup()
        if backup is None or self.restoring:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.restoring = True
                self._say(f"Checking {backup.path.name} and restoring it…")
                self.run_restore(backup)

        self.push_screen(ConfirmRestore(backup, self.problem.path, self.clock), answered)

    @work(thread=True, exclusive=True, group="restore")
    def run_restore(self, backup: BackupInfo) -> None:
        try:
            self._restore(backup.path)
        except Exception as error:  # said on screen; the screen stays, with every backup still offered
            self.call_from_thread(self._restore_failed, str(error))
        else:
            self.call_from_thread(self.exit, RESTORED)

    def _restore_failed(self, message: str) -> None:
        self.restoring = False
        self._say(f"Not restored: {message}")

    def _say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def action_quit_screen(self) -> None:
        if self.restoring:  # never leave a restore half done
            self._say("Restoring: a moment, please; q works again once it is done.")
            return
        self.exit(None)
