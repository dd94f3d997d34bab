"""Opening the database: WAL, a busy timeout, foreign keys, and the migrations applied in order."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    import sqlite_utils

from oncall.store.migrations import apply_migrations

BUSY_TIMEOUT_MS = 10_000


class DatabaseBusy(sqlite3.OperationalError):
    """Another process held the write lock past the busy timeout: nothing was written."""

    def __init__(self, path: Path | None) -> None:
        where = f"the database {path}" if path else "the database"
        super().__init__(f"{where} is busy: another oncall process has been writing to it for more than "
                         f"{BUSY_TIMEOUT_MS // 1000} s (a large `oncall demo generate`?); nothing was changed, "
                         "try again in a moment")
        self.path = path


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
        if self.conn.in_transaction:
            # Nested use joins the outer transaction.
            yield self.conn
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DatabaseBusy(self.path) from None
            raise
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:  # SQLite may have rolled back already (e.g. SQLITE_FULL)
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap way to notice outside writes."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. While another process creates the same database, SQLite can refuse the
    switch as "locked" without waiting in its busy handler, so wait here, as long as it would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def in_chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """SQLite caps the number of `?` in one statement: ask about many ids in pieces."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def open_database(path: Path | str, *, check_same_thread: bool = False) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    memory = str(path) == ":memory:"
    db_path = None if memory else Path(path)
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path),
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=check_same_thread,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not memory:
        _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    # Read the search index through memory maps and keep a useful cache: the queue's first
    # keystroke should not wait on cold pages.
    conn.execute("PRAGMA mmap_size = 268435456")
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA foreign_keys = ON")
    database = Database(conn, db_path)
    apply_migrations(database)
    return database
