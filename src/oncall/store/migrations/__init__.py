"""Schema migrations: `NNNN_name.sql` files applied in order, tracked by PRAGMA user_version.

A migration runs inside one write transaction with the version bump, so a crash leaves the
database at the old version, never half-way.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from oncall.store.problems import DatabaseNewer

if TYPE_CHECKING:
    from oncall.store.db import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration {migration.name} is out of sequence: expected number {expected:04d}")
    return found


def latest_version() -> int:
    """The schema version this oncall brings a database to."""
    migrations = available_migrations()
    return migrations[-1].version if migrations else 0


def schema_version(database: "Database") -> int:
    return database.conn.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(database: "Database") -> list[str]:
    """Apply every migration newer than the database; return the names applied."""
    migrations = available_migrations()
    latest = migrations[-1].version if migrations else 0
    if schema_version(database) == latest:
        return []
    applied = []
    with database.write() as conn:
        # Re-read under the write lock: another process may have migrated meanwhile.
        current = schema_version(database)
        if current > latest:
            raise DatabaseNewer(database.path, current, latest)
        for migration in migrations:
            if migration.version <= current:
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            applied.append(migration.name)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements

