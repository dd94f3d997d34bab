"""Declare, change, update, pull: the real `jira` and `slack-sdk` clients against the fakes."""

from __future__ import annotations

import pytest

from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration
from oncall.store.queue import QueueFilter, QueueReader
from oncall.store.remote_ids import RemoteIds
from oncall.sync.status import sync_status
from sync_support import clock_seconds, configure

DECLARATION = Declaration(
    title="CAC dashboard shows zero <!channel> for Monday",
    severity=Severity.SEV2,
    asset="cac-dashboard",
    source=DetectionSource.ALERT,
    impact="Leadership review uses wrong CAC",
)


def test_an_incident_reaches_jira_and_slack_once_in_order(synced, service, jira_server, slack_server, make_worker, specs):
    incident = service.declare(DECLARATION)
    service.add_note(incident.id, "Checked row counts: @here the ads export is empty")
    service.change_status(incident.id, Status.IDENTIFIED)
    service.set_eta(incident.id, "11:00 UTC")
    service.change_severity(incident.id, Severity.SEV1, "the exec review is in an hour")
    service.assign_ic(incident.id, "priya")
    service.change_status(incident.id, Status.RESOLVED)

    worker = make_worker(synced)
    report = worker.drain()

    assert report.complete, report.lines()
    [issue] = jira_server.issues.values()
    assert issue.fields["summary"] == "[SEV-1] CAC dashboard shows zero <!channel> for Monday"
    assert issue.fields["priority"] == {"name": "Highest"}
    label = RemoteIds(service.db).label_for(incident.id)
    assert set(issue.fields["labels"]) == {"data-incident", "sev-1", label}
    assert issue.fields["issuetype"] == {"name": "Incident"}
    assert issue.fields["status"]["name"] == "Resolved"
    bodies = [c["body"] for c in issue.comments]
    assert [b.split(")")[0] for b in bodies] == [
        "*Update* (maya", "*Status* (maya", "*ETA* (maya", "*Severity* (maya", "*Incident Commander* (maya",
        "*Status* (maya"]

    [parent] = slack_server.parents_in()
    assert "*SEV-1* · *resolved* · INC-1: CAC dashboard shows zero &lt;!channel&gt; for Monday" in parent.text
    assert "<@U07PRIY03>" in parent.text  # the IC, mentioned from the roster
    assert f"Jira: <{jira_server.url}/browse/{issue.key}|{issue.key}>" in parent.text
    replies = slack_server.replies_to(parent.ts)
    assert [r.text.split(" (")[0] for r in replies] == [
        "*Update*", "*Status*", "*ETA*", "*Severity*", "*Incident Commander*", "*Status*"]
    assert "@\u200bhere" in replies[0].text and "@here" not in replies[0].text
    assert [r.reply_broadcast for r in replies] == [False, False, False, True, True, True]  # SEV-1 from the escalation on

    remote = RemoteIds(service.db).incident(incident.id)
    assert (remote.jira_key, remote.slack_channel, remote.slack_ts) == (issue.key, "C0INCIDENTS", parent.ts)
    assert sync_status(service.db, synced.config).text == "all synced"

    # A second drain (a new process) has nothing to send and writes nothing.
    writes = lambda: [e for e in jira_server.exchanges + slack_server.exchanges
                      if e.method in ("POST", "PUT") and "conversations." not in e.path]
    before = len(writes())
    second = make_worker(synced).drain()
    assert second.complete
    assert sum(t.delivered for t in second.targets.values()) == 0
    assert [(e.method, e.path, e.body) for e in writes()[before:]] == []


@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_a_teammates_incident_is_pulled_into_the_queue(deployment, workspace, service, slack_server, tokens, make_worker,
                                                      specs, clock):
    from sync_fakes.jira_server import FakeJira

    with FakeJira(deployment="Cloud" if deployment == "cloud" else "Server", page_size=2,
                  now=clock_seconds(clock)) as jira_server:
        for n in range(3):  # more than one page, to exercise both paging styles
            jira_server.add_issue(f"[SEV-{n + 1}] Teammate incident {n}", ["data-incident", f"sev-{n + 1}", f"oncall-beef{n}-inc-7"],
                                  status="In Progress", description="*Affected asset:* stg-ad-spend\n")
        jira_server.add_issue("Not ours", ["other"])
        synced = configure(workspace, jira_server, slack_server, deployment=deployment)
        worker = make_worker(synced)
        report = worker.drain()
        assert report.pulled is not None and report.pulled.created == 3
        reader = QueueReader(service.db)
        titles = sorted(row.title for row in reader.window(QueueFilter(), 0, 10))
        assert titles == ["Teammate incident 0", "Teammate incident 1", "Teammate incident 2"]
        pulled = service.get(1)
        assert (pulled.severity, pulled.status, pulled.asset) == (Severity.SEV1, Status.INVESTIGATING, "stg-ad-spend")
        assert len(jira_server.issues) == 4  # nothing created in Jira for pulled incidents

        # The teammate resolves it in Jira; our next pull applies it as a timeline event.
        jira_server.set_status("DATA-1", "Resolved")
        worker._last_pull = float("-inf")
        worker.drain()
        assert service.get(1).status is Status.RESOLVED
        assert [e.actor for e in service.events(1)][-1] == "jira"

        # A local note on a pulled incident goes to its existing issue, not a new one.
        service.add_note(1, "Backfill done on our side")
        assert worker.drain().complete
        assert len(jira_server.issues) == 4
        assert "Backfill done" in jira_server.issues["DATA-1"].comments[-1]["body"]
        if deployment == "server":
            assert jira_server.calls("GET /rest/api/2/search") and not jira_server.calls("/search/jql")
        else:
            assert jira_server.calls("GET /rest/api/2/search/jql")
        from sync_fakes import contract
        assert contract.jira_problems(jira_server.exchanges) == []


def test_without_jira_or_slack_everything_is_local_and_says_offline(workspace, service, make_worker):
    service.declare(DECLARATION)
    worker = make_worker(workspace)
    assert worker.offline
    report = worker.drain()
    assert report.complete and report.targets == {}
    assert sync_status(service.db, workspace.config).text == "offline"


def test_a_local_status_change_not_yet_sent_wins_over_jira(synced, service, jira_server, make_worker):
    incident = service.declare(DECLARATION)
    worker = make_worker(synced)
    assert worker.drain().complete
    jira_server.set_status("DATA-1", "Resolved")  # someone resolves it in Jira...
    service.change_status(incident.id, Status.MONITORING)  # ...while we move on locally
    worker._last_pull = float("-inf")
    worker.run_pass()  # pull first: a local change is pending, so Jira's status is not applied
    assert service.get(incident.id).status is Status.MONITORING
    assert [e.kind.value for e in service.events(incident.id)].count("status_changed") == 1


def test_a_new_issue_is_moved_to_the_incidents_status(synced, service, jira_server, make_worker):
    incident = service.declare(DECLARATION)  # declared straight into investigating
    assert incident.status is Status.INVESTIGATING
    assert make_worker(synced).drain().complete
    assert jira_server.issues["DATA-1"].fields["status"]["name"] == "In Progress"  # via "Start Progress"
    assert jira_server.issues["DATA-1"].comments == []


def test_a_status_set_in_jira_shows_in_the_slack_message_without_a_reply(synced, service, jira_server,
                                                                          slack_server, make_worker):
    incident = service.declare(DECLARATION)
    service.add_note(incident.id, "looking")
    worker = make_worker(synced)
    assert worker.drain().complete
    jira_server.set_status("DATA-1", "Resolved")  # someone resolves it in Jira's own screens

    worker._last_pull = float("-inf")
    assert worker.drain().complete

    assert service.get(incident.id).status is Status.RESOLVED
    [parent] = slack_server.parents_in()
    assert "*resolved*" in parent.text
    assert len(slack_server.replies_to(parent.ts)) == 1  # only "looking": Jira's change is not a reply
    assert len(jira_server.issues["DATA-1"].comments) == 1  # and nothing is echoed back to Jira


def test_watch_keeps_delivering_until_stopped(synced, service, jira_server, make_worker):
    import threading

    worker = make_worker(synced)
    stop = threading.Event()
    passes = []

    def on_pass(report):
        passes.append(report)
        if len(passes) == 1:
            service.add_note(incident.id, "written while the worker watches")
        elif report.pending == 0:
            stop.set()

    incident = service.declare(DECLARATION)
    thread = threading.Thread(target=worker.watch, args=(stop, on_pass))
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert "written while the worker watches" in jira_server.issues["DATA-1"].comments[-1]["body"]


def test_a_drill_goes_to_jira_labelled_and_never_to_slack(synced, service, jira_server, slack_server, make_worker):
    drill = service.declare(Declaration(title="Fire drill: stale CAC", severity=Severity.SEV1, asset="cac-dashboard",
                                        source=DetectionSource.DRILL))
    service.add_note(drill.id, "scripted stakeholder message")
    assert make_worker(synced).drain().complete
    [issue] = jira_server.issues.values()
    assert "drill" in issue.fields["labels"]
    assert slack_server.parents_in() == [] and not slack_server.calls("chat.")


def test_a_pulled_incident_keeps_its_teammates_slack_thread(workspace, service, jira_server, slack_server, tokens,
                                                           make_worker):
    label = "oncall-beef0001-inc-3"
    jira_server.add_issue("[SEV-2] Teammate's incident", ["data-incident", "sev-2", label], status="In Progress")
    slack_server.post_as_teammate(label, "*SEV-2* teammate")
    synced = configure(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    worker.drain()
    service.add_note(1, "we can help: the ads export is back")
    assert worker.drain().complete
    [parent] = slack_server.parents_in()  # no second parent message
    assert [r.text.split(": ", 1)[1] for r in slack_server.replies_to(parent.ts)] == ["we can help: the ads export is back"]


def test_a_teammates_incident_message_is_never_rewritten_or_doubled(workspace, service, jira_server, slack_server,
                                                                     tokens, make_worker):
    label = "oncall-beef0001-inc-3"
    jira_server.add_issue("[SEV-2] Teammate's incident", ["data-incident", "sev-2", label], status="In Progress")
    original = "*SEV-2* · *investigating* · INC-3: Teammate's incident\nIC: <@U07PRIY03> · Impact: the CFO deck"
    slack_server.post_as_teammate(label, original)
    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    service.change_status(1, Status.IDENTIFIED, "found it")  # our own change on their incident
    jira_server.set_status("DATA-1", "Resolved")  # and they resolve it in Jira
    worker._last_pull = float("-inf")
    assert worker.drain().complete
    worker._last_pull = float("-inf")
    assert worker.drain().complete

    [parent] = slack_server.parents_in()  # theirs, as they wrote it; no second one
    assert parent.text == original
    assert [r.text.split(": ", 1)[1] for r in slack_server.replies_to(parent.ts)] == ["investigating → identified: found it"]


def test_a_message_this_laptop_posted_for_a_teammates_incident_is_kept_current(workspace, service, jira_server,
                                                                               slack_server, tokens, make_worker):
    jira_server.add_issue("[SEV-2] Teammate's incident", ["data-incident", "sev-2", "oncall-beef0001-inc-3"],
                          status="In Progress")  # their laptop has no Slack: no message to find
    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    service.add_note(1, "we can help")
    assert worker.drain().complete
    [parent] = slack_server.parents_in()  # posted here, for everyone
    service.change_status(1, Status.IDENTIFIED, "found it")
    assert worker.drain().complete
    assert "*identified*" in slack_server.parents_in()[0].text
