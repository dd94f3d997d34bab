"""A stakeholder update sent from a template reaches the incident's Slack thread (the technical
one, as rendered, with what people typed escaped) and the Jira issue; a drill's reaches neither."""

from __future__ import annotations

from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.service.comms import CommsService, render_update
from oncall.service.incidents import Declaration
from sync_support import configure


def test_a_technical_update_is_a_reply_in_the_thread_and_a_jira_comment(workspace, service, jira_server,
                                                                       slack_server, tokens, make_worker, specs):
    synced = configure(workspace, jira_server, slack_server)
    incident = service.declare(Declaration(title="CAC <!channel> up 340% @here", severity=Severity.SEV1,
                                           asset="cac-dashboard", ic="maya"))
    worker = make_worker(synced)
    assert worker.drain().complete
    slack_text, text = render_update(service, workspace.root, incident.id, "technical-update.md.j2",
                                     extra={"doing": "reloading the CRM export <http://evil|here>"})
    comms = CommsService(service.db, service.config, service.clock, "maya")
    comms.send(incident.id, "technical-update.md.j2", "technical", text, slack_text)
    assert worker.drain().complete
    [parent] = slack_server.parents_in()
    [reply] = slack_server.replies_to(parent.ts)
    assert reply.text == slack_text
    assert "reloading the CRM export" in reply.text
    assert "<!channel>" not in reply.text and "<http://evil|here>" not in reply.text, "typed text cannot ping or link"
    assert any("reloading the CRM export" in c["body"] for c in jira_server.issues["DATA-1"].comments)
    due, last = service.cadence.get(incident.id)
    assert last == service.clock.now() and due is not None and due > last


def test_a_drill_update_reaches_nobody(workspace, service, jira_server, slack_server, tokens, make_worker, specs):
    synced = configure(workspace, jira_server, slack_server)
    drill = service.declare(Declaration(title="Drill: stale finance table", severity=Severity.SEV1,
                                        asset="cac-dashboard", source=DetectionSource.DRILL))
    slack_text, text = render_update(service, workspace.root, drill.id, "technical-update.md.j2")
    CommsService(service.db, service.config, service.clock, "maya").send(drill.id, "technical-update.md.j2",
                                                                         "technical", text, slack_text)
    assert make_worker(synced).drain().complete
    assert slack_server.parents_in() == []
