"""The schema on a real file: created from nothing, left alone when current, never touched by an
older oncall, and never left half-migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oncall.store import migrations
from oncall.store.db import open_database
from oncall.store.migrations import Migration, available_migrations

LATEST = available_migrations()[-1].version


def schema(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_an_empty_file_gets_the_whole_schema(tmp_path: Path) -> None:
    path = tmp_path / "state" / "oncall.db"
    database = open_database(path)
    mode = database.conn.execute("PRAGMA journal_mode").fetchone()[0]
    database.close()
    assert user_version(path) == LATEST >= 1
    names = {name for _, name, _ in schema(path)}
    assert {"incidents", "timeline", "outbox", "queue_search"} <= names
    assert mode == "wal"


def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    open_database(path).close()
    before = schema(path)
    database = open_database(path)
    assert migrations.apply_migrations(database) == []
    database.close()
    assert schema(path) == before
    assert user_version(path) == LATEST


def test_a_database_from_a_newer_oncall_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    open_database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    before = schema(path)
    with pytest.raises(RuntimeError) as refused:
        open_database(path)
    assert f"schema version {LATEST + 1}" in str(refused.value)
    assert "upgrade oncall" in str(refused.value)
    assert schema(path) == before and user_version(path) == LATEST + 1


def test_a_failing_migration_leaves_the_database_at_its_old_version(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "oncall.db"
    open_database(path).close()
    broken = Migration(LATEST + 1, f"{LATEST + 1:04d}_broken.sql",
                       "CREATE TABLE half_done (id INTEGER);\nALTER TABLE no_such_table ADD COLUMN x TEXT;\n")
    monkeypatch.setattr(migrations, "available_migrations", lambda: [*available_migrations(), broken])
    with pytest.raises(sqlite3.OperationalError):
        open_database(path)
    assert user_version(path) == LATEST
    assert "half_done" not in {name for _, name, _ in schema(path)}
