"""Opening the database: WAL, a busy timeout, foreign keys, and the migrations applied in order.

A file that cannot be used (empty, cut short, not a database, damaged, from a newer oncall, on a
full or read-only disk) is refused with a `DatabaseProblem` that says so in plain words
(`problems.py`), before anything is written to it. A new database is built beside its final
name and moved into place whole, so a database file oncall made is never empty: an empty one is
always a file that lost its contents.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    import sqlite_utils

from oncall.store.lock import UsersLock, hold_shared
from oncall.store.migrations import apply_migrations, latest_version, schema_version
from oncall.store.problems import (
    DatabaseDamaged,
    DatabaseEmpty,
    DatabaseNewer,
    DatabaseProblem,
    DatabaseUnopenable,
    NotADatabase,
    explain,
)

BUSY_TIMEOUT_MS = 10_000
SQLITE_MAGIC = b"SQLite format 3\x00"


class DatabaseBusy(sqlite3.OperationalError):
    """Another process held the write lock past the busy timeout: nothing was written."""

    def __init__(self, path: Path | None) -> None:
        where = f"the database {path}" if path else "the database"
        super().__init__(f"{where} is busy: another oncall process is writing to it (a large `oncall demo "
                         "generate`?); nothing was changed, try again in a moment")
        self.path = path


class _Connection(sqlite3.Connection):
    """A connection that holds the database's users lock (`lock.py`) for as long as it is open,
    whoever ends up holding the connection."""

    users_lock: UsersLock | None = None
    file_key: tuple[int, int] | None = None  # the file's inode while open (see `_track`)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.users_lock is not None:
                self.users_lock.release()
            key, self.file_key = self.file_key, None
            if key is not None:
                _untrack(key)


class Database:
    """One connection to the oncall database, with explicit write transactions.

    The connection is in autocommit mode; `write()` takes the write lock up front
    (BEGIN IMMEDIATE) so two processes never deadlock upgrading a read to a write.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path

    @cached_property
    def utils(self) -> "sqlite_utils.Database":
        """sqlite-utils on the same connection, for bulk and table work (imported on first use:
        it costs ~90 ms, which the console's start-up does not need to pay)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction. A full disk, a read-only file or a damaged page ends it with the
        matching `DatabaseProblem` (after a rollback: nothing of it is saved)."""
        if self.conn.in_transaction:
            # Nested use joins the outer transaction.
            yield self.conn
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DatabaseBusy(self.path) from None
            self._raise_plainly(error)
            raise
        try:
            yield self.conn
        except BaseException as error:
            self._roll_back()  # SQLite may have rolled back already (e.g. SQLITE_FULL)
            self._raise_plainly(error)
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            self._roll_back()
            self._raise_plainly(error)
            raise

    def _roll_back(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass  # the transaction is gone either way; the error that ended it is what to say

    def _raise_plainly(self, error: BaseException) -> None:
        """Raise the plain `DatabaseProblem` the error stands for, if it stands for one."""
        problem = explain(error, self.path)
        if problem is not None and problem is not error:
            raise problem from error

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap way to notice outside writes."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def _use_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch to WAL. While another process creates the same database, SQLite can refuse the
    switch as "locked" without waiting in its busy handler, so wait here, as long as it would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            if time.monotonic() > deadline:
                raise DatabaseBusy(path) from None
            time.sleep(0.005)


def in_chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """SQLite caps the number of `?` in one statement: ask about many ids in pieces."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def open_database(path: Path | str, *, check_same_thread: bool = False) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    Raises a `DatabaseProblem` (plain words, the file named) when the file cannot be used, and
    `DatabaseBusy` when another process holds it for longer than the busy timeout."""
    if str(path) == ":memory:":
        conn = _connect(":memory:", check_same_thread)
        _configure(conn, None)
        database = Database(conn, None)
        apply_migrations(database)
        return database
    db_path = Path(path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnopenable(db_path, f"its folder cannot be made: {error.strerror or error}") from None
    lock = hold_shared(db_path, BUSY_TIMEOUT_MS / 1000)
    if lock is None:  # `oncall restore` is replacing the file right now
        raise DatabaseBusy(db_path)
    try:
        if not os.path.lexists(db_path):
            _create(db_path)
        else:
            inspect_file(db_path)
        conn = _connect(db_path, check_same_thread)
    except BaseException:
        lock.release()
        raise
    conn.users_lock = lock
    _track(conn, db_path)
    database = Database(conn, db_path)
    try:
        _configure(conn, db_path)
        _probe(conn)
        version, latest = schema_version(database), latest_version()
        if version > latest:
            raise DatabaseNewer(db_path, version, latest)
        apply_migrations(database)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise explain(error, db_path) or error from None
    except BaseException:
        conn.close()
        raise
    return database


def _connect(path: Path | str, check_same_thread: bool) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=check_same_thread,
            factory=_Connection,
        )
    except sqlite3.DatabaseError as error:
        raise explain(error, Path(path)) or error from None
    conn.row_factory = sqlite3.Row
    return conn


def _configure(conn: sqlite3.Connection, path: Path | None) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if path is not None:
        _use_wal(conn, path)
    conn.execute("PRAGMA synchronous = NORMAL")
    # Read the search index through memory maps and keep a useful cache: the queue's first
    # keystroke should not wait on cold pages.
    conn.execute("PRAGMA mmap_size = 268435456")
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA foreign_keys = ON")


def _probe(conn: sqlite3.Connection) -> None:
    """Read the schema and both ends of each main table: a few pages, well under a millisecond,
    that find most files cut short or with blank pages before anything else touches them."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("incidents", "timeline", "outbox"):
        if table in tables:  # one at a time: together, SQLite would answer both from an index
            conn.execute(f"SELECT min(rowid) FROM {table}").fetchone()
            conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()


def _create(path: Path) -> None:
    """Build a new database beside `path` and move it into place whole (a hard link: it fails
    rather than replace a database another process made meanwhile, which is then used)."""
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        conn = _connect(temporary, False)
        try:
            _configure(conn, temporary)
            apply_migrations(Database(conn, temporary))
        finally:
            conn.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError:
            # A file system without hard links (FAT, some network shares): move it instead,
            # unless one appeared meanwhile.
            if not os.path.lexists(path):
                os.replace(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


def inspect_file(path: Path) -> None:
    """Refuse a file that cannot be an intact oncall database, from its size and first bytes,
    before SQLite touches it: empty, not SQLite at all, a blank first page, or shorter than its
    header says (cut short)."""
    try:
        if path.is_dir():
            raise DatabaseUnopenable(path, "it is a folder")
        size = path.stat().st_size
        if size == 0:
            if _wal_frames(path):
                return  # the data may all be in the write-ahead log: let SQLite read it
            # A file another oncall process is making is never empty (see `_create`), but
            # an older oncall made them in place: give it a moment before saying so.
            for _ in range(10):
                time.sleep(0.02)
                if path.stat().st_size:
                    return inspect_file(path)
            raise DatabaseEmpty(path)
        header = _read_head(path)
    except OSError as error:
        raise DatabaseUnopenable(path, error.strerror or str(error)) from None
    if header.startswith(SQLITE_MAGIC) and len(header) < 100:
        raise DatabaseDamaged(path, f"cut short: only {size} bytes are there")
    if not header.startswith(SQLITE_MAGIC):
        if not header.strip(b"\x00"):
            raise DatabaseDamaged(path, "its first page is blank")
        if size < 100 or len(header) < 100:
            raise NotADatabase(path, f"it is only {size} bytes long")
        raise NotADatabase(path, "it does not start the way every SQLite file does")
    short = _cut_short(path, header, size)
    if short and _cut_short(path, *_reread(path)):  # twice, in case a checkpoint was writing
        raise DatabaseDamaged(path, short)


def _reread(path: Path) -> tuple[bytes, int]:
    time.sleep(0.05)
    return _pread_head(path)


# POSIX drops every lock a process holds on a file when it closes *any* descriptor of that file.
# A plain `open(...).read()` of the header, closed again while this process has a connection on
# the file, would drop the locks SQLite holds for that connection: another process would then
# take itself for the last user and delete the write-ahead log under it (lost writes, a damaged
# index). So while this process has a connection on a file (`_LIVE`, counted per inode), its
# header is read through one descriptor kept open until the last connection closes, as SQLite
# itself does; with no connection open, a descriptor can be opened and closed freely.
_LIVE: dict[tuple[int, int], int] = {}
_HELD: dict[tuple[int, int], int] = {}
_FILES_LOCK = threading.Lock()


def _file_key(path: Path | str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _track(conn: "_Connection", path: Path) -> None:
    key = _file_key(path)
    if key is None:
        return
    with _FILES_LOCK:
        _LIVE[key] = _LIVE.get(key, 0) + 1
    conn.file_key = key


def _untrack(key: tuple[int, int]) -> None:
    with _FILES_LOCK:
        left = _LIVE.get(key, 0) - 1
        if left > 0:
            _LIVE[key] = left
            return
        _LIVE.pop(key, None)
        fd = _HELD.pop(key, None)
    if fd is not None:
        os.close(fd)  # no connection of this process is on the file any more: nothing to drop


def _pread_head(path: Path) -> tuple[bytes, int]:
    """The file's first 100 bytes and its size, without dropping this process's SQLite locks."""
    key = _file_key(path)
    with _FILES_LOCK:
        if key is not None and key in _LIVE:
            fd = _HELD.get(key)
            if fd is None:
                fd = _HELD[key] = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            return os.pread(fd, 100, 0), os.fstat(fd).st_size
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return os.pread(fd, 100, 0), os.fstat(fd).st_size
    finally:
        os.close(fd)


def _read_head(path: Path) -> bytes:
    return _pread_head(path)[0]


def _cut_short(path: Path, header: bytes, size: int) -> str:
    """Why the file is shorter than its header says, or "" when it is not (or cannot be told:
    while a write-ahead log holds pages, a checkpoint may be growing the file)."""
    if len(header) < 100:
        return ""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    trustworthy = header[24:28] == header[92:96]  # "version-valid-for" matches the change counter
    expected = pages * page_size
    if not trustworthy or not pages or expected <= size or _wal_frames(path):
        return ""
    return f"cut short: {size:,} of its {expected:,} bytes are there"


def _wal_frames(path: Path) -> bool:
    try:
        return os.path.getsize(f"{path}-wal") > 32  # more than the log's own header
    except OSError:
        return False
