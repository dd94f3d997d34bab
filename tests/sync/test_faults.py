"""Every fault the issue names, and a process killed between sending and recording: the end
state is always one Jira issue, one Slack parent message, and every update exactly once, in order."""

from __future__ import annotations

import pytest

from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.store.remote_ids import RemoteIds
from oncall.sync.status import sync_status
from sync_support import configure

NOTES = ["first look: ads export empty", "vendor confirms outage", "backfill started"]


def declare_with_notes(service) -> int:
    incident = service.declare(Declaration(title="Weekly CAC is zero", severity=Severity.SEV2, asset="cac-dashboard"))
    for note in NOTES:
        service.add_note(incident.id, note)
    return incident.id


def assert_exactly_once(jira_server, slack_server) -> None:
    [issue] = jira_server.issues.values()
    assert [c["body"].split(": ", 1)[1].split("\n")[0] for c in issue.comments] == NOTES
    [parent] = slack_server.parents_in()
    assert [r.text.split(": ", 1)[1] for r in slack_server.replies_to(parent.ts)] == NOTES


@pytest.mark.parametrize("fault", ["429", "503", "slow", "drop"])
@pytest.mark.parametrize("where", ["create", "update"])
def test_transient_faults_never_duplicate_or_drop(fault, where, synced, service, jira_server, slack_server,
                                                  make_worker, timer):
    declare_with_notes(service)
    options = {"retry_after": 7, "delay": 0.8}
    if where == "create":  # the issue, the parent message
        jira_server.fail(fault, match="POST /rest/api/2/issue", **options)
        slack_server.fail(fault, match="chat.postMessage", **options)
    else:  # the second comment, the second thread reply
        jira_server.fail(fault, match="/comment", skip=1, **options)
        slack_server.fail(fault, match="chat.postMessage", skip=2, **options)

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    assert_exactly_once(jira_server, slack_server)
    if fault == "429":
        assert 7 in timer.sleeps  # Retry-After honoured, through the fake timer: no real sleep
        assert jira_server.refused >= 1 and slack_server.refused >= 1
    if fault in ("slow", "drop"):
        # The lost answer led to a look-up: JQL on the label, or the issue's comments; the
        # channel's history or the thread, by message metadata.
        assert jira_server.calls("/search" if where == "create" else "GET /rest/api/2/issue/DATA-1/comment")
        assert slack_server.calls("conversations.history" if where == "create" else "conversations.replies")
    assert sync_status(service.db, synced.config).text == "all synced"


def test_a_lost_create_waits_for_jiras_search_to_catch_up_instead_of_creating_twice(
        synced, service, jira_server, slack_server, make_worker, timer):
    declare_with_notes(service)
    jira_server.fail("drop", match="POST /rest/api/2/issue")  # created, but the answer is lost
    jira_server.search_lag = 1  # and the first search after it does not list the new issue yet

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    assert_exactly_once(jira_server, slack_server)
    look_ups = [e for e in jira_server.calls("/search") if 'labels = "oncall-' in e.query.get("jql", "")]
    assert len(look_ups) == 2  # looked, waited, looked again: found
    assert any(25 <= seconds <= 30 for seconds in timer.sleeps)


def test_bad_jira_credentials_stop_jira_plainly_and_slack_carries_on(synced, service, jira_server, slack_server,
                                                                     make_worker, monkeypatch):
    declare_with_notes(service)
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", "wrong-token")
    worker = make_worker(configure_again(synced))
    report = worker.drain()

    assert not report.complete
    assert "Jira refused the credentials (HTTP 401)" in report.targets["jira"].problem
    assert "ONCALL_JIRA_TOKEN" in report.targets["jira"].problem
    assert jira_server.issues == {}
    [parent] = slack_server.parents_in()
    assert len(slack_server.replies_to(parent.ts)) == 3
    summary = sync_status(service.db, synced.config)
    assert summary.state == "failing" and summary.text.startswith("failing: Jira — Jira refused the credentials")

    # The token is fixed; a new run delivers everything, once.
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
    from oncall.store.outbox import OutboxStore
    OutboxStore(service.db).retry_all_failed("jira", 0)
    assert make_worker(synced).drain().complete
    assert_exactly_once(jira_server, slack_server)


def configure_again(workspace):
    from oncall.workspace.loader import load_workspace
    return load_workspace(workspace.root, strict=True)


def test_an_unknown_channel_is_said_plainly(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = configure(workspace, jira_server, slack_server, channel="#no-such-channel")
    declare_with_notes(service)
    report = make_worker(synced).drain()
    assert "Slack has no channel named #no-such-channel" in report.targets["slack"].problem
    assert "[slack] channel" in report.targets["slack"].problem
    [issue] = jira_server.issues.values()
    assert len(issue.comments) == 3  # Jira is not held back by Slack
    assert sync_status(service.db, synced.config).state == "failing"


def test_a_channel_id_that_does_not_exist(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = configure(workspace, None, slack_server, channel="C0NOPE")
    declare_with_notes(service)
    report = make_worker(synced).drain()
    assert "channel_not_found" in report.targets["slack"].problem
    assert slack_server.parents_in() == []


class Killed(BaseException):
    """The process dies: nothing after this point runs (not even `except Exception`)."""


@pytest.mark.parametrize("moment", ["jira issue", "jira comment", "slack parent", "slack reply"])
def test_killed_between_sending_and_recording(moment, synced, service, jira_server, slack_server, make_worker,
                                              monkeypatch):
    declare_with_notes(service)
    real_update, real_record = RemoteIds.update_incident, RemoteIds.record_steps
    armed = {"on": True}

    def update_incident(self, incident_id, **values):
        wanted = {"jira issue": "jira_key", "slack parent": "slack_ts"}.get(moment)
        if armed["on"] and wanted and values.get(wanted):
            armed["on"] = False
            raise Killed()
        return real_update(self, incident_id, **values)

    def record_steps(self, steps):
        steps = list(steps)
        wanted = {"jira comment": ("jira", "comment"), "slack reply": ("slack", "reply")}.get(moment)
        if armed["on"] and any((target, step) == wanted for _, target, step, _ in steps):
            armed["on"] = False
            raise Killed()
        return real_record(self, steps)

    monkeypatch.setattr(RemoteIds, "update_incident", update_incident)
    monkeypatch.setattr(RemoteIds, "record_steps", record_steps)
    with pytest.raises(Killed):
        make_worker(synced).drain()
    assert not armed["on"]

    # A new process picks up where the dead one stopped.
    report = make_worker(synced).drain()
    assert report.complete, report.lines()
    assert_exactly_once(jira_server, slack_server)
