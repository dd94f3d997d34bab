"""Whatever a teammate or a person in Jira puts in an issue, the pull imports it as well as it
can or skips it with a reason, and our own incidents still go out."""

from __future__ import annotations

import pytest

from oncall.domain.status import Status
from oncall.store.queue import QueueFilter, QueueReader
from oncall.store.remote_ids import RemoteIds
from oncall.sync.status import sync_status
from sync_support import configure
from test_end_to_end import DECLARATION

LABELS = ["data-incident", "sev-2"]

# (what is odd, the fields as Jira would return them, the title expected in the queue)
ODD_ISSUES = [
    ("summary of 255 characters, Jira's limit", {"summary": "W" * 255}, "W" * 199 + "…"),
    ("summary of 201 characters", {"summary": "[SEV-2] " + "x" * 201}, "x" * 199 + "…"),
    ("summary of exactly 200", {"summary": "y" * 200}, "y" * 200),
    ("empty summary", {"summary": ""}, "{key}"),
    ("summary of spaces", {"summary": "   \t "}, "{key}"),
    ("no summary field", {}, "{key}"),
    ("summary that is a number", {"summary": 12345}, "12345"),
    ("status we do not map", {"summary": "Unknown status", "status": {"name": "Waiting for customer"}},
     "Unknown status"),
    ("status as a bare string", {"summary": "Bare status", "status": "Done"}, "Bare status"),
    ("priority we do not map", {"summary": "Odd priority", "priority": {"name": "Blocker"}}, "Odd priority"),
    ("no priority, no status", {"summary": "Nothing else"}, "Nothing else"),
    ("a description of a megabyte", {"summary": "Huge description", "description": "*Affected asset:* " + "a" * 1_000_000},
     "Huge description"),
    ("a description that is a document (v3 rich text)", {"summary": "Rich text", "description": {"type": "doc"}},
     "Rich text"),
    ("a created time in another format", {"summary": "Odd created", "created": "yesterday"}, "Odd created"),
    ("labels that are not text", {"summary": "Odd labels", "labels": [*LABELS, 7, None]}, "Odd labels"),
]


def test_odd_issues_are_imported_among_good_ones_and_our_incidents_still_go_out(workspace, service, jira_server,
                                                                                 slack_server, tokens, make_worker):
    expected = {}
    jira_server.add_issue("[SEV-1] A good one before", [*LABELS, "oncall-beef0001-inc-1"], status="In Progress")
    for _, fields, title in ODD_ISSUES:
        issue = jira_server.add_raw_issue({"labels": LABELS, **fields})
        expected[issue.key] = title.format(key=issue.key)
    jira_server.add_issue("[SEV-3] A good one after", [*LABELS, "oncall-beef0001-inc-2"], status="Open")
    ours = service.declare(DECLARATION)

    worker = make_worker(configure(workspace, jira_server, slack_server))
    report = worker.drain()

    assert report.complete, report.lines()
    assert report.pulled is not None and report.pulled.skipped == []
    titles = {row.title for row in QueueReader(service.db).window(QueueFilter(), 0, 100)}
    assert set(expected.values()) | {"A good one before", "A good one after", DECLARATION.title} == titles
    assert RemoteIds(service.db).incident(ours.id).jira_key  # our incident reached Jira
    assert len(slack_server.parents_in()) == 1  # and Slack


def test_an_issue_that_cannot_be_imported_is_skipped_with_a_reason_and_the_rest_goes_on(
        workspace, service, jira_server, slack_server, tokens, make_worker, monkeypatch):
    from oncall.sync import pull

    jira_server.add_issue("[SEV-2] Fine", [*LABELS, "oncall-beef0001-inc-1"])
    broken = jira_server.add_issue("[SEV-2] Breaks our import", [*LABELS, "oncall-beef0001-inc-2"])
    real_import = pull._import

    def import_that_fails_for_one(database, config, ids, issue, label, now):
        if issue.key == broken.key:
            raise ValueError("something in this issue we did not foresee")
        return real_import(database, config, ids, issue, label, now)

    monkeypatch.setattr(pull, "_import", import_that_fails_for_one)
    ours = service.declare(DECLARATION)
    synced = configure(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    report = worker.drain()

    assert report.complete, report.lines()
    assert report.pulled.skipped == [f"{broken.key}: ValueError: something in this issue we did not foresee"]
    assert any("not imported" in line for line in report.lines())
    assert RemoteIds(service.db).incident(ours.id).jira_key
    summary = sync_status(service.db, synced.config)
    assert summary.state == "synced"
    assert f"1 Jira issue not imported ({broken.key}: ValueError" in summary.text

    # Fixed in Jira (it changes), it imports on the next pull and the notice goes away.
    monkeypatch.setattr(pull, "_import", real_import)
    jira_server.set_status(broken.key, "In Progress")
    worker._last_pull = float("-inf")
    assert worker.drain().complete
    assert sync_status(service.db, synced.config).text == "all synced"


def test_a_fault_in_the_pull_itself_never_stops_the_push(workspace, service, jira_server, slack_server, tokens,
                                                         make_worker, monkeypatch):
    from oncall.sync import pull

    def broken_pull(*args, **kwargs):
        raise KeyError("a bug of ours")

    monkeypatch.setattr("oncall.sync.worker.pull_from_jira", broken_pull)
    ours = service.declare(DECLARATION)
    service.change_status(ours.id, Status.IDENTIFIED, "found it")
    report = make_worker(configure(workspace, jira_server, slack_server)).drain()
    assert report.complete, report.lines()
    [issue] = jira_server.issues.values()
    assert issue.fields["status"]["name"] == "In Progress"
    assert pull is not None


def test_a_teammates_incident_keeps_how_it_was_found_and_who_reported_it(workspace, service, jira_server,
                                                                        slack_server, tokens, make_worker):
    from dataclasses import replace

    description = "*Impact:* x\n*Affected asset:* cac-dashboard\n*Detected by:* alert\n*Reported by:* sofia"
    jira_server.add_issue("[SEV-2] From a teammate", [*LABELS, "oncall-beef0001-inc-1"], description=description)
    jira_server.add_issue("[SEV-3] Odd reporter", [*LABELS, "oncall-beef0001-inc-2"],
                          description="*Detected by:* pager\n*Reported by:* not a person at all")
    ours = service.declare(replace(DECLARATION, reported_by="sofia@example.com"))

    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    pulled = {i.title: i for i in (service.get(r.id) for r in QueueReader(service.db).window(QueueFilter(), 0, 10))}
    teammate = pulled["From a teammate"]
    assert (teammate.source.value, teammate.reported_by, teammate.asset) == ("alert", "sofia", "cac-dashboard")
    odd = pulled["Odd reporter"]
    assert (odd.source.value, odd.reported_by) == ("user_report", "")
    sent = jira_server.issues[RemoteIds(service.db).incident(ours.id).jira_key].fields["description"]
    assert "*Reported by:* sofia@example.com" in sent
