"""`oncall runbook attach|step|evidence`, `oncall tags`, and the runbooks in `oncall show --json`."""

from __future__ import annotations

from datetime import datetime, timezone

from oncall.demo.warehouse import ensure_warehouse

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def declare(oncall, asset="stg-ad-spend") -> None:
    assert oncall("declare", "--title", "Ad spend stale", "--severity", "SEV-2", "--asset", asset).code == 0


def test_attach_step_and_finish_from_a_script(oncall):
    declare(oncall)
    attached = oncall("runbook", "attach", "1", "stale-warehouse-table", "--json").json()
    steps = attached["steps"]
    assert attached["title"] == "Stale Data Warehouse Table" and all(s["state"] == "todo" for s in steps)
    assert oncall("runbook", "step", "1", "stale-warehouse-table", "1", "done", "--note", "26h behind").code == 0
    skipped = oncall("runbook", "step", "1", "stale-warehouse-table", "2", "skip")
    assert skipped.code == 1 and "say why the step is skipped" in skipped.err
    assert oncall("runbook", "step", "1", "stale-warehouse-table", "2", "skip", "--reason", "no scheduler access").code == 0
    for number in range(3, len(steps) + 1):
        result = oncall("runbook", "step", "1", "stale-warehouse-table", str(number), "done")
        assert result.code == 0, result.err
    assert result.out.strip().endswith("Stale Data Warehouse Table is finished")
    shown = oncall("show", "1", "--json").json()
    [runbook] = shown["runbooks"]
    assert runbook["finished_at"] and runbook["steps"][1] == {
        "number": 2, "title": runbook["steps"][1]["title"], "state": "skipped", "by": "tester",
        "at": "2026-11-27T10:00:00+00:00", "reason": "no scheduler access"}
    assert shown["timeline"][-1]["kind"] == "runbook_finished"
    assert "skipped step 2 (no scheduler access)" in shown["timeline"][-1]["text"]


def test_evidence_shows_what_would_run_and_runs_only_with_yes(oncall, workspace):
    ensure_warehouse(workspace.root / "warehouse.sqlite", NOW)
    declare(oncall)
    assert oncall("runbook", "attach", "1", "stale-warehouse-table").code == 0
    dry = oncall("runbook", "evidence", "1", "stale-warehouse-table", "1")
    assert dry.code == 0 and dry.out.startswith("would run (add --yes to run it):")
    assert "(sqlite, read-only): warehouse.sqlite" in dry.out and ":table = ad_spend" in dry.out
    assert oncall("show", "1", "--json").json()["timeline"][-1]["kind"] == "runbook_attached", "nothing ran"
    ran = oncall("runbook", "evidence", "1", "stale-warehouse-table", "1", "--yes", "--share", "--json").json()
    assert ran["ok"] and ran["rows"] > 0 and "ad_spend" in ran["output"]
    kinds = [e["kind"] for e in oncall("show", "1", "--json").json()["timeline"]]
    assert kinds[-2:] == ["evidence_gathered", "evidence_shared"]


def test_refusals_name_what_is_wrong(oncall):
    declare(oncall)
    unknown = oncall("runbook", "attach", "1", "no-such-runbook")
    assert unknown.code == 2 and "no runbook 'no-such-runbook'" in unknown.err and "stale-warehouse-table" in unknown.err
    not_attached = oncall("runbook", "step", "1", "stale-warehouse-table", "1", "done")
    assert not_attached.code == 1 and "not attached to INC-1: attach it first" in not_attached.err
    assert oncall("runbook", "attach", "1", "stale-warehouse-table").code == 0
    twice = oncall("runbook", "attach", "1", "stale-warehouse-table")
    assert twice.code == 1 and "already attached" in twice.err
    past_the_end = oncall("runbook", "step", "1", "stale-warehouse-table", "99", "done")
    assert past_the_end.code == 1 and "there is no step 99" in past_the_end.err


def test_tags_are_checked_and_sharpen_the_suggestions(oncall):
    declare(oncall, asset="cac-dashboard")
    bad = oncall("tags", "1", "stale-table", "flaky")
    assert bad.code == 1 and "unknown tag flaky; tags are" in bad.err
    assert oncall("tags", "1", "stale-table", "--json").json() == {"ref": "INC-1", "tags": ["stale-table"]}
    assert oncall("show", "1", "--json").json()["tags"] == ["stale-table"]


def test_a_time_limit_that_could_never_stop_is_refused(oncall):
    declare(oncall)
    assert oncall("runbook", "attach", "1", "stale-warehouse-table").code == 0
    for limit in ("nan", "inf", "1e309", "0", "-1", "3601"):
        result = oncall("runbook", "evidence", "1", "stale-warehouse-table", "1", "--yes", "--timeout", limit)
        assert result.code == 2 and "--timeout" in result.err, (limit, result.err)
