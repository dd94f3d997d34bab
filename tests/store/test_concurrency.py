"""Two processes writing to one database at the same time (the console and a script, or two
terminals) lose nothing and corrupt nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from oncall.workspace.loader import Workspace

WRITER = r"""
import sys
from pathlib import Path
from oncall.domain.clock import SystemClock
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.workspace.loader import load_workspace

tag, root = sys.argv[1], Path(sys.argv[2])
workspace = load_workspace(root, strict=True)
database = workspace.open_database()
service = IncidentService(database, workspace.config, SystemClock(), tag)
for n in range(50):
    incident = service.declare(Declaration(title=f"{tag} incident {n}", severity=Severity.SEV2, asset="cac-pipeline"))
    service.add_note(incident.id, f"{tag} note {n}")
    service.change_status(incident.id, Status.IDENTIFIED, f"{tag} cause {n}")
database.close()
"""


def test_two_writers_at_once_lose_nothing(workspace: Workspace) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, tag, str(workspace.root)], stderr=subprocess.PIPE, text=True)
        for tag in ("alpha", "beta")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors

    database = workspace.open_database()
    conn = database.conn
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {row[0] for row in conn.execute("SELECT title FROM incidents")}
        assert titles == {f"{tag} incident {n}" for tag in ("alpha", "beta") for n in range(50)}
        for incident_id, title, status in conn.execute("SELECT id, title, status FROM incidents").fetchall():
            tag, _, n = title.split()
            events = conn.execute(
                "SELECT kind, actor, text, data FROM timeline WHERE incident_id = ? ORDER BY id", (incident_id,)
            ).fetchall()
            assert [e["kind"] for e in events] == ["declared", "ic_assigned", "note", "status_changed"]
            assert {e["actor"] for e in events} == {tag}
            assert events[2]["text"] == f"{tag} note {n}"
            assert json.loads(events[3]["data"])["reason"] == f"{tag} cause {n}"
            assert status == "identified"
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 400
        assert conn.execute(
            "SELECT count(*) FROM outbox o JOIN timeline t ON t.id = o.event_id AND t.incident_id = o.incident_id"
        ).fetchone()[0] == 400
        search = conn.execute("SELECT count(*) FROM queue_search WHERE queue_search MATCH 'incident'").fetchone()[0]
        assert search == 100
    finally:
        database.close()
