"""Stakeholder updates in the stakeholder channel (one post per incident, later updates in its
thread), and the reporter's answer (a reply in the incident's thread that mentions them)."""

from __future__ import annotations

import pytest

from oncall.domain.incident import DetectionSource
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.service.comms import CommsService, render_update
from oncall.service.incidents import Declaration, IncidentService
from sync_support import configure

STAKEHOLDERS = "C0STAKEHOLD"


def with_stakeholder_channel(workspace, jira_server, slack_server, channel="#data-stakeholders"):
    slack_server.add_channel(STAKEHOLDERS, "data-stakeholders")
    synced = configure(workspace, jira_server, slack_server)
    text = synced.config_path.read_text("utf-8").replace(
        '[slack]\n', f'[slack]\nstakeholder_channel = "{channel}"\n', 1)
    synced.config_path.write_text(text, "utf-8")
    from oncall.workspace.loader import load_workspace

    loaded = load_workspace(synced.root, strict=True)
    assert loaded.problems == []
    return loaded


def send(service: IncidentService, root, incident_id: int, name: str, **extra) -> None:
    slack_text, text = render_update(service, root, incident_id, name, extra=extra)
    CommsService(service.db, service.config, service.clock, "maya").send(
        incident_id, name, name.split("-", 1)[0], text, slack_text)


def services(synced, service) -> IncidentService:
    return IncidentService(service.db, synced.config, service.clock, "maya")


def test_the_first_stakeholder_update_is_a_post_and_later_ones_reply_in_its_thread(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = with_stakeholder_channel(workspace, jira_server, slack_server)
    service = services(synced, service)
    incident = service.declare(Declaration(title="CAC <!channel> up 340%", severity=Severity.SEV1,
                                           asset="cac-dashboard", ic="maya"))
    worker = make_worker(synced)
    send(service, synced.root, incident.id, "stakeholders-initial.md.j2", workaround="Use last week's CAC")
    send(service, synced.root, incident.id, "stakeholders-update.md.j2", doing="Reloading the CRM export")
    assert worker.drain().complete

    [post] = slack_server.parents_in(STAKEHOLDERS)
    [reply] = slack_server.replies_to(post.ts, STAKEHOLDERS)
    assert "Use last week's CAC" in post.text and "Reloading the CRM export" in reply.text
    assert "<!channel>" not in post.text, "a title cannot ping the stakeholder channel"
    [parent] = slack_server.parents_in()
    assert all("Use last week's CAC" not in m.text for m in slack_server.replies_to(parent.ts)), \
        "stakeholder wording stays out of the technical thread"
    comments = jira_server.issues["DATA-1"].comments
    assert sum("Reloading the CRM export" in c["body"] for c in comments) == 1, "and is on the Jira issue"


def test_a_stakeholder_post_whose_answer_was_lost_is_found_not_posted_twice(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = with_stakeholder_channel(workspace, jira_server, slack_server)
    service = services(synced, service)
    incident = service.declare(Declaration(title="Finance table stale", severity=Severity.SEV2,
                                           asset="cac-dashboard", ic="maya"))
    worker = make_worker(synced)
    assert worker.drain().complete
    slack_server.fail("drop", match="chat.postMessage")  # posted, but the answer never comes back
    send(service, synced.root, incident.id, "stakeholders-initial.md.j2")
    send(service, synced.root, incident.id, "stakeholders-update.md.j2", doing="Re-running the load")

    assert worker.drain().complete

    [post] = slack_server.parents_in(STAKEHOLDERS)
    assert [m.text for m in slack_server.replies_to(post.ts, STAKEHOLDERS)][-1].count("Re-running the load") == 1
    assert len(slack_server.replies_to(post.ts, STAKEHOLDERS)) == 1
    assert slack_server.calls("conversations.history"), "it looked for the post before posting again"


def test_without_a_stakeholder_channel_a_stakeholder_update_stays_off_slack(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = configure(workspace, jira_server, slack_server)
    service = services(synced, service)
    incident = service.declare(Declaration(title="CAC wrong", severity=Severity.SEV2, asset="cac-dashboard",
                                           ic="maya"))
    send(service, synced.root, incident.id, "stakeholders-initial.md.j2", workaround="Use last week's CAC")
    assert make_worker(synced).drain().complete
    [parent] = slack_server.parents_in()
    assert slack_server.replies_to(parent.ts) == []
    assert any("Use last week's CAC" in c["body"] for c in jira_server.issues["DATA-1"].comments)


def test_an_unknown_stakeholder_channel_fails_that_update_only(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = with_stakeholder_channel(workspace, jira_server, slack_server, channel="#no-such-channel")
    service = services(synced, service)
    first = service.declare(Declaration(title="CAC wrong", severity=Severity.SEV2, asset="cac-dashboard", ic="maya"))
    send(service, synced.root, first.id, "stakeholders-initial.md.j2")
    second = service.declare(Declaration(title="Spend missing", severity=Severity.SEV2, asset="cac-dashboard",
                                         ic="maya"))
    service.add_note(second.id, "the vendor confirmed the outage")

    report = make_worker(synced).drain()

    assert report.targets["slack"].failed == 1 and not report.targets["slack"].problem
    assert "stakeholder channel" in service.db.conn.execute(
        "SELECT last_error FROM sync_delivery WHERE state = 'failed'").fetchone()[0]
    parents = slack_server.parents_in()
    assert len(parents) == 2, "the incident channel goes on"
    assert any("the vendor confirmed the outage" in r.text for p in parents for r in slack_server.replies_to(p.ts))


def test_the_reporter_is_mentioned_in_the_incident_thread(workspace, service, jira_server, slack_server, tokens,
                                                          make_worker):
    synced = configure(workspace, jira_server, slack_server)
    service = services(synced, service)
    incident = service.declare(Declaration(title="CAC looks wrong", severity=Severity.SEV2, asset="cac-dashboard",
                                           ic="maya", reported_by="sofia"))
    due_before = service.cadence.get(incident.id)
    send(service, synced.root, incident.id, "reporter-acknowledged.md.j2", workaround="Use last week's CAC")
    assert service.cadence.get(incident.id) == due_before, "answering the reporter does not reset the cadence"
    assert make_worker(synced).drain().complete
    [parent] = slack_server.parents_in()
    [reply] = slack_server.replies_to(parent.ts)
    assert reply.text.startswith("<@U07SOFI07> ") and "Use last week's CAC" in reply.text


def test_a_slack_id_reporter_is_mentioned_and_a_reporter_is_needed(workspace, service, jira_server, slack_server,
                                                                   tokens, make_worker):
    synced = configure(workspace, jira_server, slack_server)
    service = services(synced, service)
    reported = service.declare(Declaration(title="Brazil blank", severity=Severity.SEV3,
                                           asset="marketing-roi-dashboard", ic="maya", reported_by="U0ANALYST9"))
    send(service, synced.root, reported.id, "reporter-acknowledged.md.j2")
    nobody = service.declare(Declaration(title="Spend low", severity=Severity.SEV3, asset="cac-dashboard", ic="maya"))
    with pytest.raises(RuleViolation, match="no reporter on record"):
        send(service, synced.root, nobody.id, "reporter-acknowledged.md.j2")
    assert make_worker(synced).drain().complete
    parent = next(p for p in slack_server.parents_in() if "Brazil blank" in p.text)
    [reply] = slack_server.replies_to(parent.ts)
    assert reply.text.startswith("<@U0ANALYST9> ")


def test_a_drill_never_reaches_the_stakeholder_channel(workspace, service, jira_server, slack_server, tokens,
                                                       make_worker):
    synced = with_stakeholder_channel(workspace, jira_server, slack_server)
    service = services(synced, service)
    drill = service.declare(Declaration(title="Drill: stale finance table", severity=Severity.SEV1,
                                        asset="cac-dashboard", source=DetectionSource.DRILL))
    send(service, synced.root, drill.id, "stakeholders-initial.md.j2")
    assert make_worker(synced).drain().complete
    assert slack_server.parents_in(STAKEHOLDERS) == []
