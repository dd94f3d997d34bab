"""A second connection in the console's process (the timeline reader, the daily backup's check)
must not drop the locks of the first: on POSIX, closing any descriptor of the database file drops
them all, and another process would then delete the write-ahead log under the console (found by
a reviewer: notes from another terminal lost, the console stale, a damaged index)."""

from __future__ import annotations

import subprocess
import sys

from oncall.store.db import inspect_file, open_database

CHILD = """
import sys
from oncall.store.db import open_database
db = open_database(sys.argv[1])
with db.write() as conn:
    conn.execute("INSERT INTO sync_state (key, value) VALUES (?, 'x')", (sys.argv[2],))
db.close()
"""


def another_process_writes(path, key: str) -> None:
    subprocess.run([sys.executable, "-c", CHILD, str(path), key], check=True, timeout=60)


def test_opening_and_inspecting_again_keeps_the_first_connections_locks(tmp_path):
    path = tmp_path / "oncall.db"
    console = open_database(path)
    console.conn.execute("SELECT count(*) FROM incidents").fetchone()  # a live connection, in WAL mode
    reader = open_database(path)  # what the incident screen's reader and the backup's check do
    inspect_file(path)
    another_process_writes(path, "first")
    another_process_writes(path, "second")  # it must not think it is the last user and drop the log
    seen = {row[0] for row in console.conn.execute("SELECT key FROM sync_state")}
    assert {"first", "second"} <= seen, "the console sees both writes"
    with console.write() as conn:
        conn.execute("INSERT INTO sync_state (key, value) VALUES ('mine', 'y')")
    another_process_writes(path, "third")
    reader.close()
    console.close()
    check = open_database(path)
    keys = {row[0] for row in check.conn.execute("SELECT key FROM sync_state")}
    assert {"first", "second", "mine", "third"} <= keys, "nothing was lost"
    assert check.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
