"""oncall drill list|check|run|pause|resume|end|history|report."""

from __future__ import annotations

from datetime import timedelta


def test_list_and_check_the_shipped_drills(oncall, workspace):
    listed = oncall("drill", "list", "--json").json()
    assert [d["name"] for d in listed["drills"]] == ["api-rename-sev3", "cac-sev2", "finance-stale-sev1"]
    assert oncall("drill", "check").code == 0
    (workspace.root / "drills" / "broken.yaml").write_text("title: Broken\nseverity: SEV-9\n")
    checked = oncall("drill", "check")
    assert checked.code == 1 and "broken.yaml:2: severity:" in checked.out
    assert "the others run" in checked.out
    assert len(oncall("drill", "list", "--json").json()["drills"]) == 3


def test_run_pause_resume_end_history_and_report(oncall, clock):
    started = oncall("drill", "run", "cac-sev2", "--speed", "10", "--json").json()
    assert started["run"] == 1 and started["speed"] == 10 and started["incident"] == "INC-1"
    refused = oncall("drill", "run", "api-rename-sev3")
    assert refused.code == 1 and "is still running: end it first" in refused.err
    assert oncall("drill", "pause").out.strip() == "drill 1 paused"
    assert oncall("drill", "pause").code == 1
    assert oncall("drill", "resume").out.strip() == "drill 1 resumed"
    clock.advance(timedelta(minutes=1))
    ended = oncall("drill", "end", "--json").json()
    assert ended["state"] == "ended" and len(ended["scorecard"]["results"]) == 7
    history = oncall("drill", "history", "--json").json()["runs"]
    assert history[0]["ended_early"] is True and history[0]["targets"] == 7
    report = oncall("drill", "report", "1")
    assert report.code == 0 and report.out.startswith("# Drill scorecard: Weekly CAC up 340% before the 11 AM review")
    assert oncall("drill", "report", "99").code == 2


def test_odd_input_is_a_clear_error(oncall):
    assert oncall("drill", "run", "nope").code == 2
    bad = oncall("drill", "run", "cac-sev2", "--speed", "0")
    assert bad.code == 2 and "at most 3600 times real time" in bad.err
    assert oncall("drill", "run", "cac-sev2", "--speed", "nan").code == 2
    assert oncall("drill", "report", "99999999999999999999").code == 2
    assert oncall("drill", "end").code == 1


def test_a_step_no_runbook_has_is_a_problem_not_a_drill_that_never_ends(oncall, workspace):
    shipped = (workspace.root / "drills" / "cac-sev2.yaml").read_text()
    assert 'after: step "Reload the missing window"' in shipped
    (workspace.root / "drills" / "typo.yaml").write_text(
        shipped.replace('step "Reload the missing window"', 'step "Reload the misisng window"'))
    checked = oncall("drill", "check")
    assert checked.code == 1 and "typo.yaml:" in checked.out and "Reload the misisng window" in checked.out


def test_oncall_list_marks_the_drill_incident(oncall):
    oncall("drill", "run", "cac-sev2")
    [line] = [l for l in oncall("list").out.splitlines() if l.startswith("INC-1 ")]
    assert "[drill] Weekly CAC up 340% before the 11 AM review" in line
