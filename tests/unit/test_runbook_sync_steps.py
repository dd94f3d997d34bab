"""What runbook work sends: attaching, finishing and shared evidence become Jira comments; step
progress and evidence not shared stay on the timeline; none of it reaches Slack."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from oncall.domain.incident import EventKind, TimelineEvent
from oncall.sync.messages import jira_comment, jira_steps, slack_steps
from oncall.workspace.sync_config import JiraConfig

AT = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def event(kind: EventKind, text: str = "x", **data) -> TimelineEvent:
    return TimelineEvent(id=7, incident_id=1, at=AT, actor="maya", kind=kind, text=text, data=data)


@pytest.mark.parametrize("kind, to_jira", [
    (EventKind.RUNBOOK_ATTACHED, ["comment"]), (EventKind.RUNBOOK_FINISHED, ["comment"]),
    (EventKind.EVIDENCE_SHARED, ["comment"]), (EventKind.RUNBOOK_STEP, []),
    (EventKind.EVIDENCE_GATHERED, []), (EventKind.TAGS_CHANGED, []),
])
def test_runbook_work_goes_to_jira_only_when_meant_to_and_never_to_slack(kind, to_jira):
    config = JiraConfig(server="https://jira.example", project="DATA", email="bot@example.com")
    assert jira_steps(event(kind), config) == to_jira
    assert slack_steps(event(kind)) == []


def test_shared_evidence_is_a_comment_with_what_ran_and_what_it_said():
    shared = event(EventKind.EVIDENCE_SHARED, "evidence for step 1 (Measure) shared to Jira",
                   ran="warehouse: SELECT 1", output="a  b\n1  {noformat}\n" + "x" * 30_000)
    comment = jira_comment(shared, "oncall-demo-inc-1")
    assert "{noformat}warehouse: SELECT 1{noformat}" in comment
    assert "{ noformat}" in comment, "the output cannot close the block early"
    assert "cut for Jira" in comment and len(comment) < 32_767
