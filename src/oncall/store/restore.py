"""Putting a backup back: check it first, keep the file it replaces, and never under a running oncall.

Who has the database open is told two ways, both kept by the operating system (so a crashed
process never leaves a stale "in use" behind):

1. oncall's own users lock (`lock.py`): every connection `open_database` makes holds a shared
   `flock` on `<database>.oncall-lock`, idle or not; the restore must get it exclusively, without
   waiting. This sees the console and `oncall sync --watch` even while they do nothing, and keeps
   new oncall processes out until the new file is in place.
2. SQLite's own locks: switching the file out of WAL mode (`PRAGMA journal_mode = DELETE`) needs
   every other connection to be gone, so it fails with "locked" while any program (the `sqlite3`
   shell, a notebook) has it open. As a side effect the file kept aside is one self-contained
   file, its write-ahead log folded in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from oncall.store.backup import flush_to_disk
from oncall.store.db import inspect_file
from oncall.store.lock import try_exclusive
from oncall.store.migrations import latest_version
from oncall.store.problems import DatabaseProblem

ASIDE = "before-restore"


class DatabaseInUse(DatabaseProblem):
    kind = "in_use"
    can_restore = False

    def __init__(self, path: Path, who: str) -> None:
        super().__init__(path, f"{who} has the database {path} open, so it was not replaced; nothing was changed",
                         "close the console and stop `oncall sync --watch` (or that program), then run the restore again")


class NotRestorable(DatabaseProblem):
    kind = "not_restorable"
    can_restore = False

    def __init__(self, backup: Path, why: str) -> None:
        super().__init__(backup, f"{backup} cannot be restored: {why}; nothing was changed",
                         "pick another backup (`oncall backups` lists them)")


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    restored_from: Path
    incidents: int
    kept_aside: Path | None  # the file it replaced, kept (None: there was none)
    newer_events: int | None = None  # events in the file kept aside that the backup lacks; None: unknown
    newer_unsent: int | None = None  # of those, how many were queued to be sent and may not have been

    def lines(self) -> list[str]:
        out = [f"restored {self.database} from {self.restored_from} ({self.incidents} incidents)"]
        if self.kept_aside is None:
            return out
        out.append(f"the file it replaced is kept at {self.kept_aside}")
        if self.newer_events:
            unsent = f" ({self.newer_unsent} queued for Jira/Slack)" if self.newer_unsent else ""
            out.append(f"that file holds {self.newer_events} timeline event{'s' if self.newer_events != 1 else ''} "
                       f"newer than this backup{unsent}: they are not in the restored database; "
                       f"`oncall db rescue --from {self.kept_aside}` reads what it can of them")
        elif self.newer_events is None:
            out.append("it could not be read, so what it held after the backup cannot be told")
        return out


def check_backup(backup: Path) -> int:
    """Whether `backup` can be restored: a whole SQLite file that passes the integrity check, with
    a schema this oncall knows. Returns its incident count; raises `NotRestorable`."""
    if not backup.is_file():
        raise NotRestorable(backup, "there is no such file")
    try:
        inspect_file(backup)
    except DatabaseProblem as problem:
        raise NotRestorable(backup, problem.what.replace(f" {backup}", "").strip()) from None
    try:
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if verdict != ["ok"]:
                raise NotRestorable(backup, "it fails SQLite's integrity check (" + "; ".join(verdict) + ")")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > latest_version():
                raise NotRestorable(backup, f"a newer oncall made it (schema version {version}); upgrade oncall first")
            if version < 1:
                raise NotRestorable(backup, "it is an SQLite file, but not an oncall database")
            return conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise NotRestorable(backup, f"it cannot be read ({error})") from None


def restore_backup(database: Path, backup: Path, now: datetime) -> RestoreReport:
    """Replace `database` with a copy of `backup`, keeping the replaced file beside it.
    Raises `NotRestorable` (a bad backup) or `DatabaseInUse` (someone has the database open)."""
    database, backup = Path(database), Path(backup)
    if backup.resolve() == database.resolve():
        raise NotRestorable(backup, "it is the database itself")
    incidents = check_backup(backup)
    lock = try_exclusive(database)
    if lock is None:
        raise DatabaseInUse(database, "another oncall process (the console, or `oncall sync --watch`?)")
    incoming = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    try:
        aside = None
        if database.exists():
            _refuse_if_open_elsewhere(database)
        # The copy is made whole first: the file is then swapped in two renames, so there is no
        # moment worth speaking of without a database at its name.
        try:
            shutil.copyfile(backup, incoming)
            flush_to_disk(incoming)
        except OSError as error:
            raise NotRestorable(backup, f"it could not be copied beside {database} ({error.strerror or error}): "
                                        "free some space there") from None
        if database.exists():
            aside = _free_aside_name(database, now)
            os.replace(database, aside)
            _move_log(database, aside)
        os.replace(incoming, database)
        flush_to_disk(database.parent)
    finally:
        lock.release()
        if incoming.exists():
            incoming.unlink()
    newer, unsent = (None, None)
    if aside is not None:
        newer, unsent = _newer_in(aside, backup)
        _tidy(aside)
    return RestoreReport(database, backup, incidents, aside, newer, unsent)


def _refuse_if_open_elsewhere(database: Path) -> None:
    try:
        conn = sqlite3.connect(database, timeout=0, isolation_level=None)
    except sqlite3.DatabaseError:
        return
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseInUse(database, "another program") from None
    except sqlite3.DatabaseError:
        pass  # a damaged file: SQLite cannot tell, oncall's own lock already did
    finally:
        conn.close()


def _move_log(database: Path, aside: Path) -> None:
    """Keep a write-ahead log that holds anything with the file it belongs to; drop an empty one,
    and the shared-memory index (rebuilt from the log whenever the file is next opened)."""
    log, index = Path(f"{database}-wal"), Path(f"{database}-shm")
    if log.exists():
        if log.stat().st_size > 0:
            os.replace(log, f"{aside}-wal")
        else:
            log.unlink()
    if index.exists():
        index.unlink()


def _tidy(aside: Path) -> None:
    """Reading a damaged WAL-mode file leaves an empty log and an index behind it: drop them."""
    log, index = Path(f"{aside}-wal"), Path(f"{aside}-shm")
    if log.exists() and log.stat().st_size == 0:
        log.unlink()
    if index.exists() and not log.exists():
        index.unlink()


def _free_aside_name(database: Path, now: datetime) -> Path:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = database.with_name(f"{database.stem}-{ASIDE}-{stamp}{database.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = database.with_name(f"{database.stem}-{ASIDE}-{stamp}-{n}{database.suffix}")
    return candidate


def _newer_in(aside: Path, backup: Path) -> tuple[int | None, int | None]:
    """Events the replaced file holds past the backup's newest one (ids only grow), and how many
    of those had an outbox entry."""
    try:
        with _read_only(backup) as conn:
            last = conn.execute("SELECT coalesce(max(id), 0) FROM timeline").fetchone()[0]
        with _read_only(aside) as conn:
            newer = conn.execute("SELECT count(*) FROM timeline WHERE id > ?", (last,)).fetchone()[0]
            unsent = conn.execute("SELECT count(*) FROM outbox WHERE event_id > ?", (last,)).fetchone()[0]
        return newer, unsent
    except (sqlite3.DatabaseError, OSError):
        return None, None


class _read_only:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, *_) -> None:
        self._conn.close()
