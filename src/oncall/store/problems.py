"""What can be wrong with the database file, said in plain words: what happened, where the file
is, and what to do next. The command line prints these (exit 2) and the console shows them on its
damaged-database screen; nobody should meet a traceback for a file cut short or a full disk.

Each problem is also the `sqlite3` error it stands for (`DatabaseFull` is an `OperationalError`,
`DatabaseDamaged` a `DatabaseError`), so code that already catches those keeps working.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

RESTORE_HINT = "restore a backup: `oncall backups` lists them, `oncall restore PATH` puts one back"
RESCUE_HINT = "or copy what can still be read into a new file with `oncall db rescue`"


class DatabaseProblem(Exception):
    """A database file oncall cannot use as it is. `kind` names the case for code and tests."""

    kind = "problem"
    can_restore = True  # whether restoring a backup is the way out (not for a full disk)

    def __init__(self, path: Path | None, what: str, todo: str, detail: str = "") -> None:
        self.path = path
        self.what = what  # what happened, naming the file
        self.todo = todo  # what to do next
        self.detail = detail  # the particulars (how short the file is, which version), if any
        super().__init__(f"{what}; {todo}")

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "the database"


class DatabaseDamaged(DatabaseProblem, sqlite3.DatabaseError):
    kind = "damaged"

    def __init__(self, path: Path | None, detail: str = "") -> None:
        why = f" ({detail})" if detail else ""
        super().__init__(path, f"the database {_name(path)} is damaged{why}: most often a full disk or an "
                               "interrupted copy cut it short. Nothing was changed",
                         f"{RESTORE_HINT}, {RESCUE_HINT}", detail)


class DatabaseEmpty(DatabaseProblem, sqlite3.DatabaseError):
    kind = "empty"

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, f"the database {_name(path)} is an empty file (0 bytes): whatever it held was "
                               "lost, most often to a full disk or an interrupted copy",
                         f"{RESTORE_HINT}. If this workspace never held anything, move the file aside "
                         "and oncall starts a new database")


class NotADatabase(DatabaseProblem, sqlite3.DatabaseError):
    kind = "not_a_database"

    def __init__(self, path: Path | None, detail: str = "") -> None:
        why = f" ({detail})" if detail else ""
        super().__init__(path, f"{_name(path)} is not an oncall database{why}",
                         f"{RESTORE_HINT}, or name the right file with [workspace] database in oncall.toml", detail)


class DatabaseNewer(DatabaseProblem, RuntimeError):
    """Made by a newer oncall. A `RuntimeError` too, as the migrations raised before."""

    kind = "newer"
    can_restore = False

    def __init__(self, path: Path | None, version: int, latest: int) -> None:
        super().__init__(path, f"the database {_name(path)} is at schema version {version}, newer than this "
                               f"oncall knows ({latest}): a newer oncall wrote it. Nothing was changed",
                         "upgrade oncall (`pip install --upgrade oncall`) and run it again; the data is safe",
                         f"schema version {version}; this oncall knows up to {latest}")
        self.version = version
        self.latest = latest


class DatabaseFull(DatabaseProblem, sqlite3.OperationalError):
    kind = "full"
    can_restore = False

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, f"the disk holding {_name(path)} is full: the last change was not saved "
                               "(the database itself is intact)",
                         "free some space on that disk, then try again")


class DatabaseReadOnly(DatabaseProblem, sqlite3.OperationalError):
    kind = "read_only"
    can_restore = False

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, f"the database {_name(path)} cannot be written (the file or its folder is "
                               "read-only, or not yours): the last change was not saved",
                         "check who owns the file and folder and their permissions (`ls -l`), then try again")


class DatabaseUnopenable(DatabaseProblem, sqlite3.OperationalError):
    kind = "unopenable"
    can_restore = False

    def __init__(self, path: Path | None, detail: str) -> None:
        super().__init__(path, f"the database {_name(path)} cannot be opened ({detail})",
                         "check that its folder exists and is yours to read and write, then try again", detail)


def _name(path: Path | None) -> str:
    return str(path) if path else "(in memory)"


def explain(error: BaseException, path: Path | None) -> DatabaseProblem | None:
    """The plain problem an `sqlite3` error stands for, or None when it is not about the file
    (a constraint, a bug, a busy database: those are said elsewhere)."""
    if isinstance(error, DatabaseProblem):
        return error
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error).lower()
    if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        return DatabaseFull(path)
    if primary == sqlite3.SQLITE_READONLY or "readonly database" in text:
        return DatabaseReadOnly(path)
    if primary == sqlite3.SQLITE_NOTADB or "file is not a database" in text:
        return NotADatabase(path, "SQLite cannot read it as a database")
    if primary == sqlite3.SQLITE_CORRUPT or "malformed" in text or "corrupt" in text:
        return DatabaseDamaged(path, str(error))
    if primary == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return DatabaseDamaged(path, f"reading it failed: {error}")
    if primary == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return DatabaseUnopenable(path, str(error))
    return None
