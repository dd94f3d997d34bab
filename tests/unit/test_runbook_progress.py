"""Runbook progress on an incident: attach, step done / skipped with why / back to do, notes,
evidence kept and shared, and the summary when every step is settled. All on the timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.domain.incident import EventKind
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.service.runbooks import RunbookService
from oncall.workspace.runbooks import parse_runbook

RUNBOOK = """---
id: stale-table
title: Stale Data Warehouse Table
applies_to: [stale-table]
---
When a table stops getting new rows.

## Check when the table last loaded

Look at the newest load.

## Find the job that feeds it

Scheduler first.

## Tell the owners downstream

Who reads this table?
"""


@pytest.fixture
def runbook(tmp_path: Path):
    path = tmp_path / "stale-table.md"
    path.write_text(RUNBOOK)
    parsed, problems = parse_runbook(path)
    assert problems == [] and parsed is not None
    return parsed


@pytest.fixture
def runbooks(service, clock) -> RunbookService:
    return RunbookService(service.db, clock, "maya")


def declare(service) -> int:
    return service.declare(Declaration(title="Ad spend stale", severity=Severity.SEV2, asset="stg-ad-spend")).id


def kinds_and_texts(service, incident_id):
    return [(e.kind, e.text) for e in service.events(incident_id)]


def test_steps_done_and_skipped_finish_the_runbook_with_a_summary(service, runbooks, runbook):
    incident = declare(service)
    runbooks.attach(incident, runbook)
    runbooks.set_step(incident, runbook, 1, "done", note="newest load 26h ago")
    runbooks.set_step(incident, runbook, 2, "skipped", reason="scheduler is down, asked infra")
    attached = runbooks.set_step(incident, runbook, 3, "done")
    assert attached.finished_at is not None
    assert [attached.state_for(step) for step in runbook.steps] == ["done", "skipped", "done"]
    events = kinds_and_texts(service, incident)
    assert (EventKind.RUNBOOK_ATTACHED, "runbook attached: Stale Data Warehouse Table (3 steps)") in events
    assert (EventKind.RUNBOOK_STEP, "Stale Data Warehouse Table, step 1 done: Check when the table last loaded"
            "\nnewest load 26h ago") in events
    assert events[-1] == (EventKind.RUNBOOK_FINISHED, "Stale Data Warehouse Table finished: 2 of 3 steps done; "
                                                      "skipped step 2 (scheduler is down, asked infra)")
    # Reopening a step takes the finish back; settling it again finishes again.
    assert runbooks.set_step(incident, runbook, 2, "todo").finished_at is None
    assert runbooks.set_step(incident, runbook, 2, "done").finished_at is not None
    assert [k for k, _ in kinds_and_texts(service, incident)].count(EventKind.RUNBOOK_FINISHED) == 2


@pytest.mark.parametrize("act, message", [
    (lambda r, i, rb: r.set_step(i, rb, 1, "skipped"), "say why the step is skipped"),
    (lambda r, i, rb: r.set_step(i, rb, 9, "done"), "has steps 1 to 3; there is no step 9"),
    (lambda r, i, rb: r.set_step(i, rb, 1, "half"), "done, skipped or todo"),
    (lambda r, i, rb: r.attach(i, rb), "already attached"),
    (lambda r, i, rb: r.note(i, rb, 1, "  "), "the note is empty"),
])
def test_refusals_change_nothing(service, runbooks, runbook, act, message):
    incident = declare(service)
    runbooks.attach(incident, runbook)
    before = (runbooks.attached(incident), len(service.events(incident)))
    with pytest.raises(RuleViolation, match=message):
        act(runbooks, incident, runbook)
    assert (runbooks.attached(incident), len(service.events(incident))) == before


def test_a_step_needs_the_runbook_attached(service, runbooks, runbook):
    incident = declare(service)
    with pytest.raises(RuleViolation, match="not attached to INC-1: attach it first"):
        runbooks.set_step(incident, runbook, 1, "done")


def test_evidence_is_kept_and_shared_once(service, runbooks, runbook):
    from oncall.evidence.runner import EvidenceResult

    incident = declare(service)
    runbooks.attach(incident, runbook)
    result = EvidenceResult(ran="warehouse: SELECT max(loaded_at) FROM ad_spend", ok=True, exit_status=0,
                            duration=0.012, output="max(loaded_at)\n2026-11-26T08:00:00Z", truncated=False,
                            timed_out=False, cancelled=False, error="", rows=1)
    gathered = runbooks.record_evidence(incident, runbook, 1, result)
    assert gathered.text == "evidence for step 1 (Check when the table last loaded): 1 rows in 0.0s"
    assert gathered.data["output"].endswith("2026-11-26T08:00:00Z")
    assert [e.id for e in runbooks.evidence(incident, "stale-table", 1)] == [gathered.id]
    shared = runbooks.share_evidence(incident, gathered.id)
    assert shared.kind is EventKind.EVIDENCE_SHARED and shared.data["output"] == gathered.data["output"]
    with pytest.raises(RuleViolation, match="shared already"):
        runbooks.share_evidence(incident, gathered.id)
    with pytest.raises(RuleViolation, match="is not evidence gathered"):
        runbooks.share_evidence(incident, shared.id)


def test_progress_follows_the_steps_titles_when_the_file_changes(service, runbooks, runbook, tmp_path):
    from oncall.workspace.runbooks import parse_runbook

    incident = declare(service)
    runbooks.attach(incident, runbook)
    runbooks.set_step(incident, runbook, 1, "done")
    runbooks.set_step(incident, runbook, 2, "skipped", reason="no scheduler access")
    # The team removes step 1 from the file: what was step 2 is now step 1.
    edited = tmp_path / "edited" / "stale-table.md"
    edited.parent.mkdir()
    edited.write_text(RUNBOOK.replace("## Check when the table last loaded\n\nLook at the newest load.\n\n", ""))
    changed, problems = parse_runbook(edited)
    assert problems == [] and [s.title for s in changed.steps][0] == "Find the job that feeds it"
    attached = runbooks.attached(incident)[0]
    assert [attached.state_for(step) for step in changed.steps] == ["skipped", "todo"], \
        "the skipped step keeps its state under its new number; nothing is handed to another step"
