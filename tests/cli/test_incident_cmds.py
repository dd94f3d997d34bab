"""The incident commands as a script uses them: exit codes, messages, and `--json` documents."""

from __future__ import annotations

from typing import Callable

import pytest

Run = Callable[..., "Result"]  # the `cli` and `oncall` fixtures (tests/cli/conftest.py)

DECLARE = ("declare", "--title", "Weekly CAC up 340%", "--severity", "SEV-2", "--asset", "cac-dashboard")


@pytest.fixture
def inc(oncall: Run) -> str:
    """One declared incident, INC-1 (investigating, SEV-2)."""
    assert oncall(*DECLARE).code == 0
    return "INC-1"


def test_declare_prints_the_new_reference(oncall: Run) -> None:
    result = oncall(*DECLARE)
    assert result.code == 0
    assert result.out.strip() == "declared INC-1 SEV-2 Weekly CAC up 340%"


def test_declare_json_has_what_a_script_reads(oncall: Run) -> None:
    doc = oncall(*DECLARE, "--source", "alert", "--impact", "exec review at 11", "--started-at", "-2h", "--json").json()
    assert doc["ref"] == "INC-1" and doc["id"] == 1
    assert doc["severity"] == "SEV-2" and doc["status"] == "investigating"
    assert doc["asset"] == "cac-dashboard" and doc["source"] == "alert"
    assert doc["impact"] == "exec review at 11"
    assert doc["ic"] == "tom"  # on call in week 47 of the demo rotation
    assert doc["started_at"] == "2026-11-27T08:00:00Z"
    assert doc["detected_at"] == doc["declared_at"] == "2026-11-27T10:00:00Z"


def declaring(**changes: str) -> list[str]:
    options = {"title": "Weekly CAC up 340%", "severity": "SEV-2", "asset": "cac-dashboard", **changes}
    return ["declare", *(part for key, value in options.items() for part in (f"--{key.replace('_', '-')}", value))]


@pytest.mark.parametrize(("changes", "code", "said"), [
    ({"started_at": "2026-11-27T11:00Z"}, 1, ["in the future"]),
    ({"started_at": "25:00"}, 2, ["--started-at", "ISO 8601"]),
    ({"asset": "cac-dashbaord"}, 2, ["'cac-dashbaord'", "known assets", "cac-dashboard"]),
    ({"severity": "SEV-4"}, 2, ["'SEV-4'", "SEV-1, SEV-2, SEV-3"]),
    ({"source": "pager"}, 2, ["'pager'", "alert, dbt, user_report, drill"]),
    ({"title": "   "}, 2, ["--title: title is empty"]),
    ({"title": "x" * 201}, 2, ["--title: String should have at most 200 characters"]),
], ids=["future-start", "unreadable-start", "unknown-asset", "unknown-severity", "unknown-source", "empty-title",
        "long-title"])
def test_declare_refuses_bad_input_saying_why(oncall: Run, changes: dict, code: int, said: list[str]) -> None:
    result = oncall(*declaring(**changes))
    assert result.code == code and result.out == ""
    assert all(fragment in result.err for fragment in said), result.err
    assert oncall("list", "--json").json()["total"] == 0


def test_list_shows_the_queue_in_order(oncall: Run, clock) -> None:
    from datetime import timedelta

    for title, severity in (("Stale tile", "SEV-3"), ("CAC wrong", "SEV-1"), ("ROI off", "SEV-2")):
        clock.advance(timedelta(minutes=5))
        assert oncall("declare", "--title", title, "--severity", severity, "--asset", "cac-dashboard").code == 0
    oncall("status", "2", "resolved")
    result = oncall("list")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "SEV", "STATUS", "AGE"]
    assert [line.split()[0] for line in lines[1:4]] == ["INC-3", "INC-1", "INC-2"]
    assert " 10m " in lines[2]  # INC-1 was declared ten minutes ago
    assert lines[-1] == "3 of 3 (all incidents)"


def test_list_json_and_filters(oncall: Run, inc: str) -> None:
    oncall("declare", "--title", "Meta spend missing", "--severity", "SEV-3", "--asset", "meta-ads-api")
    oncall("status", "2", "identified")
    doc = oncall("list", "--json").json()
    assert doc["total"] == 2
    first = doc["incidents"][0]
    assert {"id", "ref", "severity", "status", "title", "asset", "ic", "detected_at", "updated_at"} <= set(first)
    assert [i["ref"] for i in doc["incidents"]] == ["INC-1", "INC-2"]

    def refs(*args: str) -> list[str]:
        return [i["ref"] for i in oncall("list", "--json", *args).json()["incidents"]]

    assert refs("--status", "identified") == ["INC-2"]
    assert refs("--status", "identified", "--status", "investigating") == ["INC-1", "INC-2"]
    assert refs("--severity", "sev2") == ["INC-1"]
    assert refs("--search", "spend") == ["INC-2"]
    assert refs("--search", "spend", "--severity", "SEV-2") == []
    assert refs("--search", "INC-1") == ["INC-1"]
    assert oncall("list", "--json", "--limit", "1").json() == {"total": 2, "incidents": [doc["incidents"][0]]}


def test_show_prints_the_incident_and_its_timeline(oncall: Run, inc: str) -> None:
    oncall("note", inc, "row counts normal")
    result = oncall("show", inc)
    assert result.code == 0
    assert result.out.splitlines()[0] == "INC-1  SEV-2  investigating  Weekly CAC up 340%"
    assert "  asset                 cac-dashboard" in result.out
    assert "  Incident Commander    Tom Brandt (tom)" in result.out
    assert "  Subject Matter Expert -" in result.out
    timeline = result.out.split("timeline:\n")[1].splitlines()
    assert len(timeline) == 3 and "row counts normal" in timeline[-1] and "tester" in timeline[-1]


def test_show_json(oncall: Run, inc: str) -> None:
    doc = oncall("show", "1", "--json").json()
    assert doc["incident"]["ref"] == "INC-1" and doc["incident"]["status"] == "investigating"
    assert [e["kind"] for e in doc["timeline"]] == ["declared", "ic_assigned"]
    assert {"id", "at", "actor", "kind", "text", "data"} <= set(doc["timeline"][0])
    assert doc["timeline"][0]["actor"] == "tester"


def test_status_moves_along_the_lifecycle(oncall: Run, inc: str) -> None:
    result = oncall("status", inc, "identified", "--reason", "partial CRM file")
    assert result.code == 0 and result.out.strip() == "INC-1 is now identified"
    doc = oncall("status", inc, "resolved", "--json").json()
    assert doc["status"] == "resolved" and doc["resolved_at"] == "2026-11-27T10:00:00Z"
    timeline = oncall("show", inc, "--json").json()["timeline"]
    # Root cause found is the RACI's "Investigate Root Cause": its Informed (the PM, none here) are told.
    assert timeline[2]["data"] == {"from": "investigating", "to": "identified", "reason": "partial CRM file",
                                   "activity": "investigate"}


def test_invalid_transition_exits_1_and_says_what_is_allowed(oncall: Run, inc: str) -> None:
    result = oncall("status", inc, "closed")
    assert result.code == 1
    assert "cannot go from investigating to closed" in result.err
    assert "allowed: identified, monitoring, resolved" in result.err
    assert oncall("show", inc, "--json").json()["incident"]["status"] == "investigating"


def test_closing_a_sev2_needs_a_reason(oncall: Run, inc: str) -> None:
    oncall("status", inc, "resolved")
    refused = oncall("status", inc, "closed")
    assert refused.code == 1 and "post-mortem" in refused.err
    assert oncall("status", inc, "closed", "--reason", "post-mortem next week").code == 0
    kinds = [e["kind"] for e in oncall("show", inc, "--json").json()["timeline"]]
    assert kinds[-1] == "close_override"


def test_unknown_status_exits_2(oncall: Run, inc: str) -> None:
    result = oncall("status", inc, "fixed")
    assert result.code == 2 and "'fixed'" in result.err and "investigating" in result.err


def test_severity_change_needs_a_reason(oncall: Run, inc: str) -> None:
    assert oncall("severity", inc, "SEV-1").code == 2  # --reason is required
    doc = oncall("severity", inc, "1", "--reason", "exec dashboard", "--json").json()
    assert doc["severity"] == "SEV-1"
    same = oncall("severity", inc, "SEV-1", "--reason", "again")
    assert same.code == 1 and "already SEV-1" in same.err


def test_note_impact_and_eta(oncall: Run, inc: str) -> None:
    assert oncall("note", inc, "asked #data-incidents to stop DMing").out.strip() == "noted on INC-1"
    note = oncall("note", inc, "second", "--json").json()
    assert note["kind"] == "note" and note["text"] == "second" and note["incident_id"] == 1
    assert oncall("impact", inc, "CAC for week 47 wrong", "--json").json()["impact"] == "CAC for week 47 wrong"
    assert oncall("eta", inc, "10:45").out.strip() == "INC-1 eta updated"
    assert oncall("show", inc, "--json").json()["incident"]["eta"] == "10:45"
    empty = oncall("note", inc, "   ")
    assert empty.code == 1 and "empty" in empty.err


@pytest.mark.parametrize("command", [("show", "INC-999"), ("status", "999", "identified"), ("note", "999", "x"),
                                     ("severity", "999", "SEV-1", "--reason", "r"), ("eta", "INC-999", "soon")])
def test_unknown_incident_exits_2_naming_it(oncall: Run, inc: str, command: tuple[str, ...]) -> None:
    result = oncall(*command)
    assert result.code == 2 and "INC-999" in result.err and result.out == ""


def test_malformed_incident_id_exits_2(oncall: Run) -> None:
    result = oncall("show", "abc")
    assert result.code == 2 and "'abc' is not an incident id" in result.err


def test_a_broken_config_entry_warns_and_the_command_still_runs(oncall: Run, workspace) -> None:
    path = workspace.config_path
    path.write_text(path.read_text() + '\n[[people]]\nid = "zoe"\nname = "Zoe"\nroles = ["boss"]\n')
    line = len(path.read_text().splitlines())
    result = oncall(*DECLARE, "--json")
    assert result.json()["ref"] == "INC-1"
    assert f"oncall: warning: {path}:{line}: [people[7].roles.0]" in result.err


def test_unreadable_config_exits_2_naming_file_and_line(oncall: Run, workspace) -> None:
    path = workspace.config_path
    path.write_text(path.read_text() + "\n[[people]\n")
    line = len(path.read_text().splitlines())
    result = oncall("list")
    assert result.code == 2 and f"{path}:{line}:" in result.err and "not valid TOML" in result.err


def test_a_missing_workspace_folder_exits_2(cli: Run, tmp_path) -> None:
    result = cli("list", "--workspace", tmp_path / "nowhere")
    assert result.code == 2 and "no such workspace folder" in result.err and "oncall init" in result.err


def test_oncall_workspace_env_names_the_workspace(cli: Run, workspace, monkeypatch) -> None:
    monkeypatch.setenv("ONCALL_WORKSPACE", str(workspace.root))
    assert cli(*DECLARE).code == 0
    assert cli("list", "--json").json()["total"] == 1
