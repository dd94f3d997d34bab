"""Backups without thinking about them: an online copy made with SQLite's backup API, checked, and
kept in `backups/` beside the database (the newest `[workspace] backups`, default 7).

The copy is one read transaction on the live database: a consistent snapshot of everything
committed when it began, while other processes go on writing (WAL), never a file copy of a live
WAL database (which can miss or tear the pages still in the log). It is written to a hidden
partial file, checked with `PRAGMA quick_check`, made self-contained (no `-wal`), flushed to disk
and only then given its name, so a listed backup is always a whole, readable one, and a damaged
database never pushes good backups out.

    maybe_backup(path, keep, now)      # the console and `oncall sync --watch`: at most one a day
    take_backup(path, now, keep=keep)  # `oncall backup`: one now
    list_backups(path)                 # `oncall backups`: newest first
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from oncall.store.db import BUSY_TIMEOUT_MS, DatabaseBusy, inspect_file
from oncall.store.lock import hold_shared
from oncall.store.problems import DatabaseDamaged, DatabaseProblem, explain

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_KEEP = 7
FOLDER = "backups"
STAMP = "%Y%m%dT%H%M%SZ"
CHECK_EVERY_SECONDS = 3600.0  # how often a long-running process asks whether today's is due
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.db$")


class BackupNotTaken(DatabaseProblem):
    kind = "backup_not_taken"
    can_restore = False


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    size: int
    incidents: int | None = None  # None: not counted, or the file cannot be read (then `problem` says why)
    problem: str = ""

    def describe(self) -> str:
        count = f"{self.incidents} incident{'s' if self.incidents != 1 else ''}" if self.incidents is not None else "unreadable"
        return f"{self.taken_at:%Y-%m-%d %H:%M} UTC, {human_size(self.size)}, {count}"


@dataclass(frozen=True)
class BackupOutcome:
    """What `maybe_backup` did: took one, skipped (and why), or could not (and why)."""

    taken: BackupInfo | None = None
    skipped: str = ""
    problem: str = ""


def backups_folder(database: Path) -> Path:
    return database.parent / FOLDER


def list_backups(database: Path, *, count_incidents: bool = True) -> list[BackupInfo]:
    """The backups of `database`, newest first. Counting incidents opens each file read-only."""
    found = []
    for path in _backup_files(database):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        info = BackupInfo(path, _taken_at(path), size)
        if count_incidents:
            info = _counted(info)
        found.append(info)
    return found


def take_backup(database: Path, now: datetime, *, to: Path | None = None, keep: int = 0) -> BackupInfo:
    """Back the database up now: into `to` (a new file, or a folder to put it in) or the backups
    folder, then keep the newest `keep` there (0: prune nothing). Raises a `DatabaseProblem`."""
    folder = backups_folder(database)
    if to is None:
        _make_folder(database, folder)
        with _folder_lock(folder, wait=True):
            info = _take(database, now, folder, None)
            if keep > 0:
                prune(database, keep)
            return info
    if to.is_dir():
        return _take(database, now, to, None)
    if to.exists():
        raise BackupNotTaken(to, f"{to} already exists: no backup was taken", "name a new file or a folder")
    if not to.parent.is_dir():
        raise BackupNotTaken(to, f"the folder {to.parent} does not exist: no backup was taken", "create it, or name another")
    return _take(database, now, to.parent, to)


def maybe_backup(database: Path | None, keep: int, now: datetime) -> BackupOutcome:
    """Take today's backup if none was taken today (UTC) and keep the newest `keep`; `keep` 0
    turns automatic backups off. Never raises and never waits for another process: it is meant
    for a background thread (the console's worker, `oncall sync --watch`)."""
    try:
        if keep <= 0:
            return BackupOutcome(skipped="automatic backups are off ([workspace] backups = 0)")
        if database is None or not database.exists():
            return BackupOutcome(skipped="there is no database to back up yet")
        folder = backups_folder(database)
        _make_folder(database, folder)
        with _folder_lock(folder, wait=False) as held:
            if not held:
                return BackupOutcome(skipped="another oncall process is taking a backup right now")
            newest = next(iter(list_backups(database, count_incidents=False)), None)
            if newest is not None and newest.taken_at.date() == now.astimezone(timezone.utc).date():
                return BackupOutcome(skipped=f"today's backup was taken at {newest.taken_at:%H:%M} UTC")
            info = _take(database, now, folder, None)
            prune(database, keep)
            return BackupOutcome(taken=info)
    except DatabaseBusy as error:
        return BackupOutcome(skipped=str(error))
    except DatabaseProblem as problem:
        return BackupOutcome(problem=str(problem))
    except Exception as error:  # a background task must not die silently nor take the console with it
        return BackupOutcome(problem=f"no backup of {database} was taken ({type(error).__name__}: {error}); "
                                     "take one with `oncall backup` to see why")


def keep_backing_up(database: Path, keep: int, now: Callable[[], datetime], stop: threading.Event,
                    on_outcome: Callable[[BackupOutcome], None] | None = None,
                    every_seconds: float = CHECK_EVERY_SECONDS) -> None:
    """Call `maybe_backup` now and then every `every_seconds` until `stop` is set: the loop for
    a thread of a long-running process (`oncall sync --watch`)."""
    while not stop.is_set():
        outcome = maybe_backup(database, keep, now())
        if on_outcome is not None:
            on_outcome(outcome)
        stop.wait(every_seconds)


def prune(database: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (at least one is always kept); return what went."""
    removed = []
    for path in _backup_files(database)[max(keep, 1):]:
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass  # read-only or gone: try again next time
    return removed


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"  # pragma: no cover


# -- helpers -----------------------------------------------------------------------------------


def _take(database: Path, now: datetime, folder: Path, target: Path | None) -> BackupInfo:
    if not database.exists():
        raise BackupNotTaken(database, f"there is no database at {database} yet: nothing to back up",
                             "run oncall once to create it")
    inspect_file(database)
    lock = hold_shared(database, BUSY_TIMEOUT_MS / 1000)  # not while `oncall restore` swaps the file
    if lock is None:
        raise DatabaseBusy(database)
    target = target or _free_name(folder, database, now)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        incidents = _copy(database, partial)
        flush_to_disk(partial)
        os.replace(partial, target)
        flush_to_disk(target.parent)
    except OSError as error:
        raise BackupNotTaken(target, f"no backup was written to {target} ({error.strerror or error})",
                             "check that the folder is yours and its disk has room, then try again") from None
    finally:
        lock.release()
        for leftover in (partial, Path(f"{partial}-journal")):
            try:
                leftover.unlink()
            except OSError:
                pass
    return BackupInfo(target, _stamp_time(now), target.stat().st_size, incidents)


def _copy(database: Path, partial: Path) -> int:
    """Copy the live database into `partial` in one step (one read transaction: a consistent
    snapshot that never restarts however busy the writers are), check it, make it one file."""
    try:
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.DatabaseError as error:
        raise explain(error, database) or error from None
    try:
        copy = sqlite3.connect(partial)
        try:
            try:
                source.backup(copy)
            except sqlite3.DatabaseError as error:
                problem = explain(error, database)
                if problem is not None and problem.kind in ("full", "read_only"):
                    raise BackupNotTaken(partial.parent, f"no backup was written to {partial.parent} ({error})",
                                         "free some space or pick another folder (`oncall backup --to PATH`)") from None
                raise problem or error from None
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            try:
                verdict = [row[0] for row in copy.execute("PRAGMA quick_check(5)")]
                incidents = copy.execute("SELECT count(*) FROM incidents").fetchone()[0]
            except sqlite3.DatabaseError as error:
                verdict = [str(error)]
            if verdict != ["ok"]:
                raise DatabaseDamaged(database, "a copy of it fails SQLite's check: " + "; ".join(verdict))
            return incidents
        finally:
            copy.close()
    finally:
        source.close()


def _counted(info: BackupInfo) -> BackupInfo:
    try:
        conn = sqlite3.connect(f"{info.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            count = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return BackupInfo(info.path, info.taken_at, info.size, None, f"cannot be read: {error}")
    return BackupInfo(info.path, info.taken_at, info.size, count)


def _backup_files(database: Path) -> list[Path]:
    """This database's backups in its backups folder, newest first (by the time in the name)."""
    folder = backups_folder(database)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    stem = database.stem
    named = []
    for path in entries:
        match = _NAME.match(path.name)
        if match and match.group("stem") == stem and path.is_file():
            named.append((match.group("stamp"), int(match.group("n") or 1), path))
    named.sort(reverse=True)
    return [path for _, _, path in named]


def _taken_at(path: Path) -> datetime:
    match = _NAME.match(path.name)
    return datetime.strptime(match.group("stamp"), STAMP).replace(tzinfo=timezone.utc) if match else datetime.min


def _stamp_time(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(microsecond=0)


def _free_name(folder: Path, database: Path, now: datetime) -> Path:
    base = f"{database.stem}-{_stamp_time(now).strftime(STAMP)}"
    candidate, n = folder / f"{base}.db", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{base}-{n}.db"
    return candidate


def _make_folder(database: Path, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupNotTaken(folder, f"the backups folder {folder} cannot be made ({error.strerror or error})",
                             "check the permissions of the folder holding the database") from None


class _folder_lock:
    """One backup at a time per folder (the console and `oncall sync --watch` may both try):
    an flock on `backups/.taking`, dropped by the system if the process dies."""

    def __init__(self, folder: Path, *, wait: bool) -> None:
        self._path = folder / ".taking"
        self._wait = wait
        self._fd: int | None = None

    def __enter__(self) -> bool:
        if fcntl is None:
            return True
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return True  # cannot lock a read-only folder; the backup itself will say why it fails
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if self._wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        except OSError:
            pass
        return True

    def __exit__(self, *_) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def flush_to_disk(path: Path) -> None:
    """fsync a file or folder, so a backup survives a power cut right after it was made."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)
