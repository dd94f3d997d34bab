"""A database another process holds for long: the command says so, naming the file, changes
nothing, and exits 3; the same command works once the other writer is done."""

from __future__ import annotations

import sqlite3

import pytest

from oncall.store import db as store_db


@pytest.fixture
def team(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)  # wait 0.3 s, not 10, before saying so
    root = tmp_path / "team"
    cli("init", root)
    declared = cli("--workspace", root, "declare", "--title", "orders late", "--severity", "3", "--asset", "orders",
                   "--json").json()
    return root, declared


@pytest.mark.parametrize("command", [
    ("note", "1", "checked the export"),
    ("status", "1", "identified", "--reason", "the export is empty"),
    ("declare", "--title", "another", "--severity", "2", "--asset", "orders"),
])
def test_a_command_on_a_busy_database_says_so_and_changes_nothing(cli, team, command):
    root, _ = team
    before = cli("--workspace", root, "show", "1", "--json").json()
    holder = sqlite3.connect(_database(cli, root), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        result = cli("--workspace", root, *command)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3, result.err
    assert f"the database {_database(cli, root)} is busy" in result.err and "nothing was changed" in result.err
    assert "Traceback" not in result.err
    assert cli("--workspace", root, "show", "1", "--json").json() == before
    assert cli("--workspace", root, *command).code == 0  # and once it is free, it goes through


def _database(cli, root) -> str:
    from oncall.workspace.loader import load_workspace

    return str(load_workspace(root, strict=True).database_path)
