"""`oncall init`, `oncall demo generate`, and the demo a fresh machine opens with no workspace."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from oncall.demo.history import PER_MONTH
from oncall.demo.install import demo_root
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.workspace.loader import load_workspace


def test_init_writes_a_commented_config_that_loads(cli, tmp_path: Path) -> None:
    root = tmp_path / "team"
    result = cli("init", root)
    assert result.code == 0 and str(root / "oncall.toml") in result.out
    text = (root / "oncall.toml").read_text()
    assert "# [[people]]" in text and "# [[assets]]" in text and "ONCALL_JIRA_TOKEN" in text
    assert all((root / folder).is_dir() for folder in ("runbooks", "templates", "drills"))
    workspace = load_workspace(root, strict=True)
    assert workspace.problems == [] and workspace.config.workspace.name == "My data team"


def test_init_refuses_to_overwrite(cli, tmp_path: Path) -> None:
    root = tmp_path / "team"
    cli("init", root)
    (root / "oncall.toml").write_text("# ours\n")
    result = cli("init", root)
    assert result.code != 0 and "already exists" in result.err
    assert (root / "oncall.toml").read_text() == "# ours\n"


def test_a_fresh_workspace_takes_incidents(cli, tmp_path: Path) -> None:
    root = tmp_path / "team"
    cli("init", root)
    declared = cli("--workspace", root, "declare", "--title", "orders late", "--severity", "3", "--asset", "orders", "--json")
    assert declared.json()["ic"] == "tester"  # no rotation yet: whoever is at the keyboard


def timelines(database: Path) -> Counter:
    with sqlite3.connect(database) as conn:
        return Counter(dict(conn.execute(
            "SELECT i.id, count(t.id) FROM incidents i LEFT JOIN timeline t ON t.incident_id = i.id GROUP BY i.id")))


def test_demo_generate_creates_the_workspace_and_history(cli, tmp_path: Path) -> None:
    root = tmp_path / "scale"
    doc = cli("demo", "generate", "--workspace", root, "--incidents", 200, "--json").json()
    assert doc["created"] is True and doc["added"] == 200 and doc["total"] == 200
    assert load_workspace(root, strict=True).config.asset("cac-pipeline") is not None
    counts = timelines(Path(doc["database"]))
    assert len(counts) == 200 and min(counts.values()) >= 2
    listed = cli("--workspace", root, "list", "--json", "--limit", 0).json()
    assert listed == {"total": 200, "incidents": []}
    again = cli("demo", "generate", "--workspace", root, "--incidents", 5, "--seed", 8)
    assert again.code == 0 and "used the workspace at" in again.out and "(205 in all)" in again.out


def test_demo_history_never_happens_after_now(cli, tmp_path: Path) -> None:
    # Many incidents put the newest within minutes of now; their timelines must not run past it.
    doc = cli("demo", "generate", "--workspace", tmp_path / "big", "--incidents", 5000, "--json").json()
    with sqlite3.connect(doc["database"]) as conn:
        late = conn.execute("SELECT count(*) FROM timeline WHERE at > '2026-11-27T10:00:00Z'").fetchone()[0]
        stale = conn.execute("SELECT count(*) FROM incidents i WHERE updated_at < "
                             "(SELECT max(at) FROM timeline t WHERE t.incident_id = i.id)").fetchone()[0]
    assert (late, stale) == (0, 0)


def test_demo_generate_needs_a_place(cli) -> None:
    result = cli("demo", "generate", "--incidents", 5)
    assert result.code == 2 and "--workspace" in result.err


# The demo's 15 live samples, before them its year of closed history (issue 16), and its intake:
# a dbt test failure, an alert that kept firing, a report in Slack (issue 15).
DEMO_INCIDENTS = 15 + sum(PER_MONTH) + 3


def test_no_workspace_opens_the_demo(cli, isolated_environment: Path) -> None:
    doc = cli("list", "--json", "--limit", 100).json()
    assert doc["total"] == DEMO_INCIDENTS
    rows = doc["incidents"]
    assert {r["status"] for r in rows} == {s.value for s in Status}
    assert {r["severity"] for r in rows} == {s.value for s in Severity}
    assert rows[0]["title"] == "Weekly CAC up 340% on the exec dashboard"  # the open SEV-1 leads the queue
    assert demo_root().is_relative_to(isolated_environment)  # the user's data dir, not the package
    database = load_workspace(demo_root()).database_path
    assert database.is_relative_to(isolated_environment)
    assert min(timelines(database).values()) >= 2
    assert cli("list", "--json").json()["total"] == DEMO_INCIDENTS  # seeded once, not on every run
    shown = cli("show", rows[0]["id"], "--json").json()
    assert [e["kind"] for e in shown["timeline"]][:2] == ["declared", "ic_assigned"]


def test_first_runs_at_once_seed_the_demo_once(cli) -> None:
    # The console and a command started together on a fresh machine (ONCALL_DATA_DIR is fresh).
    runs = [subprocess.Popen([sys.executable, "-m", "oncall", "list", "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    assert cli("list", "--json").json()["total"] == DEMO_INCIDENTS
