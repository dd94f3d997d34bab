"""`oncall runbooks check` and `oncall runbooks list`: problems as `file:line: message`, exit 1 on any
problem and 0 when clean, broken runbooks listed with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from oncall.workspace.loader import Workspace

GOOD = """---
id: stale-table
title: Stale Data Warehouse Table
applies_to: [stale-table]
---
## Check when the table last loaded

Look at the newest load.

```evidence
sql: SELECT max(loaded_at) FROM load_audit WHERE table_name = :table
source: warehouse
```
"""

BAD_SOURCE = GOOD.replace("id: stale-table", "id: other").replace("source: warehouse", "source: lake")


def runbooks_of(workspace: Workspace) -> Path:
    folder = workspace.root / "runbooks"
    shutil.rmtree(folder)  # the demo's library (a copy) goes; each test writes its own
    folder.mkdir()
    return folder


def test_the_demo_library_checks_clean(oncall, workspace):
    result = oncall("runbooks", "check")
    assert result.code == 0, result.out + result.err
    assert result.out == f"checked 7 runbooks in {workspace.root / 'runbooks'}: no problems\n"


def test_every_problem_is_printed_as_file_line_message_and_the_exit_status_is_1(oncall, workspace):
    folder = runbooks_of(workspace)
    (folder / "a-good.md").write_text(GOOD, "utf-8")
    (folder / "b-again.md").write_text(GOOD, "utf-8")
    (folder / "c-source.md").write_text(BAD_SOURCE, "utf-8")
    (folder / "d-empty.md").write_text("", "utf-8")
    result = oncall("runbooks", "check")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{folder / 'b-again.md'}:2: duplicate id 'stale-table' (also in a-good.md)",
        f"{folder / 'c-source.md'}:12: evidence names source 'lake', which is not a [[sources]] entry in oncall.toml "
        "(known: warehouse)",
        f"{folder / 'd-empty.md'}:1: the file is empty: a runbook starts with front matter (a line `---`, then id, "
        "title and applies_to in YAML, then `---`) and has a `## ` heading for each step",
        f"checked 4 runbooks in {folder}: 3 problems in 3 files",
    ]


def test_one_file_is_checked_with_its_folder_for_duplicate_ids(oncall, workspace):
    folder = runbooks_of(workspace)
    (folder / "a-good.md").write_text(GOOD, "utf-8")
    (folder / "b-again.md").write_text(GOOD, "utf-8")
    assert oncall("runbooks", "check", folder / "a-good.md").out == f"checked 1 runbook in {folder / 'a-good.md'}: " \
                                                                      "no problems\n"
    result = oncall("runbooks", "check", folder / "b-again.md")
    assert result.code == 1 and result.out.startswith(f"{folder / 'b-again.md'}:2: duplicate id 'stale-table'")


def test_a_folder_beside_an_oncall_toml_is_checked_against_its_sources(cli, workspace):
    folder = runbooks_of(workspace)
    (folder / "source.md").write_text(BAD_SOURCE, "utf-8")
    result = cli("runbooks", "check", folder)  # no --workspace: the oncall.toml beside the folder
    assert result.code == 1 and "evidence names source 'lake'" in result.out


def test_without_an_oncall_toml_sources_are_not_checked_and_it_says_so(cli, tmp_path):
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "source.md").write_text(BAD_SOURCE, "utf-8")
    result = cli("runbooks", "check", folder)
    assert result.code == 0 and result.out == f"checked 1 runbook in {folder}: no problems\n"
    assert "evidence sources were not checked: no oncall.toml found" in result.err


def test_a_path_that_does_not_exist_is_bad_input(oncall, tmp_path):
    result = oncall("runbooks", "check", tmp_path / "nowhere")
    assert result.code == 2 and result.err == f"oncall: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_list_shows_each_runbook_and_the_broken_ones_with_the_reason(oncall, workspace):
    folder = runbooks_of(workspace)
    (folder / "a-good.md").write_text(GOOD, "utf-8")
    (folder / "c-source.md").write_text(BAD_SOURCE, "utf-8")
    result = oncall("runbooks", "list")
    assert result.code == 0
    assert result.out.splitlines() == [
        "stale-table    1 step  Stale Data Warehouse Table  [stale-table]  a-good.md",
        "broken: c-source.md: line 12: evidence names source 'lake', which is not a [[sources]] entry in oncall.toml "
        "(known: warehouse)",
        f"1 runbook in {folder}; 1 broken (`oncall runbooks check` says what to fix)",
    ]


def test_list_json(oncall, workspace):
    document = oncall("runbooks", "list", "--json").json()
    assert document["broken"] == []
    by_id = {entry["id"]: entry for entry in document["runbooks"]}
    assert len(by_id) == 7
    stale = by_id["stale-warehouse-table"]
    assert stale["title"] == "Stale Data Warehouse Table" and "stale-table" in stale["applies_to"]
    assert stale["steps"] == 8 and stale["file"] == str(workspace.root / "runbooks" / "stale-warehouse-table.md")
    assert by_id["incident-commander-checklist"]["always"] is True


def test_list_json_gives_each_problem_of_a_broken_runbook(oncall, workspace):
    folder = runbooks_of(workspace)
    (folder / "bad.md").write_text("---\nid: x\ntitle: X\napplies_to: [nope]\n---\n## Step\n", "utf-8")
    broken = oncall("runbooks", "list", "--json").json()["broken"]
    assert [(entry["file"], [p["line"] for p in entry["problems"]]) for entry in broken] == [
        (str(folder / "bad.md"), [4, 6])]
    assert broken[0]["reason"].startswith("line 4: unknown tag 'nope' in applies_to") and "(and 1 more)" in \
        broken[0]["reason"]


def test_a_workspace_without_a_runbooks_folder(oncall, workspace):
    shutil.rmtree(workspace.root / "runbooks")
    assert oncall("runbooks", "list").out == f"no runbooks in {workspace.root / 'runbooks'}\n"
    result = oncall("runbooks", "check")
    assert result.code == 0 and "no runbooks folder at" in result.out
