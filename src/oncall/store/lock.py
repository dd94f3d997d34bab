"""Who has the database open: a lock file beside it that every oncall connection holds shared.

`oncall restore` must not swap the file under a running console or `oncall sync --watch`, and
such a process may be idle (no SQLite lock held at that moment). So every connection opened by
`open_database` holds a shared `flock` on `<database>.oncall-lock` for as long as it is open, and
a restore takes it exclusively, without waiting: if any oncall process has the database open, the
restore is refused. The operating system drops the lock when a process ends, however it ends, so
a crash never leaves a stale lock behind. `flock` locks belong to one open file, not one process,
so this also works between two connections of the same process (and in tests).

Where `flock` does not exist (Windows) no lock is taken; the restore then relies on SQLite's own
check alone (see `restore.py`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".oncall-lock"


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


class UsersLock:
    """A shared or exclusive hold on the database's lock file; `release()` (or garbage
    collection) lets it go."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file drops its flock

    def __del__(self) -> None:
        self.release()


def _open(database: Path) -> int | None:
    try:
        return os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None  # a read-only folder: no lock to take (nothing can be restored there either)


def hold_shared(database: Path, wait_seconds: float) -> UsersLock | None:
    """Mark this connection as a user of the database. None if a restore held it for longer than
    `wait_seconds`. Without flock, or without a writable folder, an empty (unheld) lock."""
    if fcntl is None:
        return UsersLock(None)
    fd = _open(database)
    if fd is None:
        return UsersLock(None)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return UsersLock(fd)
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.02)  # a restore takes a few seconds at most
        except OSError:  # a file system without flock (some network mounts)
            os.close(fd)
            return UsersLock(None)


def try_exclusive(database: Path) -> UsersLock | None:
    """Hold the database alone, without waiting; None when another connection has it open."""
    if fcntl is None:
        return UsersLock(None)
    fd = _open(database)
    if fd is None:
        return UsersLock(None)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return UsersLock(fd)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        return UsersLock(None)
