"""Synthetic history stays out of real queues: only a demo workspace takes it (unless forced),
it is marked, made once per seed, and `oncall demo remove` takes it out again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def team_with_incidents(cli, tmp_path: Path, how_many: int = 2) -> Path:
    root = tmp_path / "team"
    cli("init", root)
    for n in range(how_many):
        done = cli("--workspace", root, "declare", "--title", f"orders late {n}", "--severity", "3",
                   "--asset", "orders")
        assert done.code == 0, done.err
    cli("--workspace", root, "note", 1, "checked the export")
    return root


def listed(cli, root: Path) -> dict:
    return cli("--workspace", root, "list", "--json", "--limit", 1000).json()


def test_a_real_workspace_is_refused_and_keeps_its_queue(cli, tmp_path):
    root = team_with_incidents(cli, tmp_path)
    refused = cli("demo", "generate", "--workspace", root, "--incidents", 50)
    assert refused.code == 1
    assert "holds 2 incidents of its own" in refused.err and "--force" in refused.err
    assert listed(cli, root)["total"] == 2


def test_forced_history_is_marked_and_removed_again_leaving_the_teams_own(cli, tmp_path):
    root = team_with_incidents(cli, tmp_path)
    before = cli("--workspace", root, "show", 1, "--json").json()
    added = cli("demo", "generate", "--workspace", root, "--incidents", 50, "--force", "--json").json()
    assert added["total"] == 52
    with sqlite3.connect(added["database"]) as conn:
        marked = conn.execute("SELECT id FROM incidents WHERE synthetic = 1").fetchall()
        assert len(marked) == 50 and min(marked)[0] > 2
        with pytest.raises(sqlite3.IntegrityError, match="only synthetic incidents"):
            conn.execute("DELETE FROM incidents WHERE id = 1")  # a team's own incident stays
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM timeline WHERE incident_id = 1")

    removed = cli("demo", "remove", "--workspace", root, "--json").json()
    assert removed == {"workspace": str(root), "removed": 50, "left": 2}
    assert [i["title"] for i in listed(cli, root)["incidents"]] == ["orders late 1", "orders late 0"]
    assert cli("--workspace", root, "show", 1, "--json").json() == before
    found = cli("--workspace", root, "list", "--json", "--search", "stale").json()
    assert found["total"] == 0  # the search index forgot them too


def test_the_same_seed_twice_adds_no_duplicates(cli, tmp_path):
    root = tmp_path / "demo"
    first = cli("demo", "generate", "--workspace", root, "--incidents", 30, "--json").json()
    second = cli("demo", "generate", "--workspace", root, "--incidents", 30)
    assert second.code == 1 and "seed 7 is already in" in second.err
    assert listed(cli, root)["total"] == first["total"] == 30
    other = cli("demo", "generate", "--workspace", root, "--incidents", 30, "--seed", 8, "--json").json()
    assert other["total"] == 60
    cli("demo", "remove", "--workspace", root)
    assert cli("demo", "generate", "--workspace", root, "--incidents", 30, "--json").json()["total"] == 30


def test_the_bundled_demo_and_an_empty_workspace_take_history(cli, tmp_path):
    demo = cli("demo", "generate", "--incidents", 10, "--json", "--workspace", tmp_path / "fresh").json()
    assert demo["created"] is True
    empty = tmp_path / "empty"
    cli("init", empty)
    assert cli("demo", "generate", "--workspace", empty, "--incidents", 10).code == 0


def test_a_big_generation_lets_another_writer_in_between_batches(cli, tmp_path):
    root = tmp_path / "demo"
    database = cli("demo", "generate", "--workspace", root, "--incidents", 0, "--json").json()["database"]
    generation = subprocess.Popen([sys.executable, "-m", "oncall", "demo", "generate", "--workspace", str(root),
                                   "--incidents", "30000", "--seed", "9"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    try:
        reader = sqlite3.connect(database, timeout=10)
        deadline = time.monotonic() + 60
        while reader.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0:  # the first batch is in
            assert time.monotonic() < deadline and generation.poll() is None, generation.stderr.read()
        # A person adding a note from another terminal waits a moment, not the whole generation.
        writer = sqlite3.connect(database, timeout=2.0)
        with writer:
            writer.execute("INSERT INTO sync_state (key, value) VALUES ('probe', '1')")
        written = reader.execute("SELECT count(*) FROM incidents").fetchone()[0]
        assert generation.poll() is None and written < 30000  # it got its turn mid-way
    finally:
        out, err = generation.communicate(timeout=120)
    assert generation.returncode == 0, err
    assert reader.execute("SELECT count(*) FROM incidents").fetchone()[0] == 30000
