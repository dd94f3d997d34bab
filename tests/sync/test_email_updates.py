"""Stakeholder updates by email, through the outbox, to a real SMTP server on 127.0.0.1: the
severity's list gets each update once, an incident's emails are one conversation, a drill emails
nobody, an unreachable server is retried, and a message whose outcome is unknown is never sent
again without a person's say."""

from __future__ import annotations

import pytest
import trustme

from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.service.comms import CommsService, render_update
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.outbox import OutboxStore
from oncall.sync.desk import SyncDesk
from oncall.workspace.loader import load_workspace
from smtp_server import PASSWORD, USERNAME, CutAfter354, SmtpServer, closed_port

LEADERS = ["grace@acme.example", "cfo-office@acme.example"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mail_server(ca):
    with SmtpServer(ca) as server:
        yield server


def with_email(workspace, tmp_path, ca, port: int, *, tls: bool = True, login: bool = True):
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    section = (f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nsender = "oncall@acme.example"\n'
               f'timeout = 2\nca_file = "{ca_file}"\n' + (f'username = "{USERNAME}"\n' if login else "")
               + ("" if tls else "starttls = false\n")
               + '[email.stakeholders]\n"SEV-1" = ["grace@acme.example", "cfo-office@acme.example"]\n')
    path = workspace.config_path
    path.write_text(path.read_text("utf-8") + section, "utf-8")
    loaded = load_workspace(workspace.root, strict=True)
    assert loaded.problems == [], loaded.problems
    return loaded


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("ONCALL_SMTP_PASSWORD", PASSWORD)


def send(service: IncidentService, root, incident_id: int, name: str, **extra) -> None:
    slack_text, text = render_update(service, root, incident_id, name, extra=extra)
    CommsService(service.db, service.config, service.clock, "maya").send(
        incident_id, name, name.split("-", 1)[0], text, slack_text)


def declare(service, synced, **changes) -> tuple[IncidentService, int]:
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    values = dict(title="Weekly CAC up 340% <!channel>", severity=Severity.SEV1, asset="cac-dashboard", ic="maya")
    values.update(changes)
    return service, service.declare(Declaration(**values)).id


def test_each_stakeholder_update_reaches_the_severitys_list_once_in_one_conversation(
        workspace, service, tmp_path, ca, mail_server, password, make_worker):
    synced = with_email(workspace, tmp_path, ca, mail_server.port)
    service, incident = declare(service, synced)
    send(service, synced.root, incident, "stakeholders-initial.md.j2", workaround="Use last week's CAC — Müller 日本")
    send(service, synced.root, incident, "stakeholders-update.md.j2", doing="Reloading the CRM export")
    send(service, synced.root, incident, "technical-update.md.j2", doing="not for email")

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    first, second = mail_server.received
    assert sorted(first.rcpt_tos) == sorted(LEADERS) and sorted(second.rcpt_tos) == sorted(LEADERS)
    assert first.message["Subject"] == "[SEV-1] INC-1 Weekly CAC up 340% <!channel> — incident notice"
    assert "Use last week's CAC — Müller 日本" in first.message.get_content(), "plain text, as typed (not Slack-escaped)"
    assert "&lt;" not in first.message.get_content()
    assert second.message["In-Reply-To"] == first.message["Message-ID"], "mail clients keep one conversation"
    assert "Reloading the CRM export" in second.message.get_content()
    [technical] = [e for e in service.events(incident) if e.data.get("template") == "technical-update.md.j2"]
    assert "email_to" not in technical.data
    stakeholder_event = [e for e in service.events(incident) if e.data.get("audience") == "stakeholders"][0]
    assert stakeholder_event.data["email_to"] == LEADERS, "the timeline says who was emailed"


def test_a_reporter_known_by_email_is_answered_by_email_not_in_slack(
        workspace, service, tmp_path, ca, mail_server, password, make_worker):
    synced = with_email(workspace, tmp_path, ca, mail_server.port)
    service, incident = declare(service, synced, severity=Severity.SEV3, reported_by="ana.silva@acme.example")
    send(service, synced.root, incident, "reporter-acknowledged.md.j2")
    assert make_worker(synced).drain().complete
    [answer] = mail_server.received
    assert answer.rcpt_tos == ["ana.silva@acme.example"]
    assert "we are looking into your report" in answer.message["Subject"]


def test_a_drill_emails_nobody(workspace, service, tmp_path, ca, mail_server, password, make_worker):
    synced = with_email(workspace, tmp_path, ca, mail_server.port)
    service, drill = declare(service, synced, source=DetectionSource.DRILL)
    send(service, synced.root, drill, "stakeholders-initial.md.j2")
    assert make_worker(synced).drain().complete
    assert mail_server.received == []


def test_an_unreachable_server_is_retried_and_the_update_goes_once_it_answers(
        workspace, service, tmp_path, ca, password, make_worker, timer):
    port = closed_port()
    synced = with_email(workspace, tmp_path, ca, port)
    service, incident = declare(service, synced)
    send(service, synced.root, incident, "stakeholders-initial.md.j2")
    worker = make_worker(synced)

    report = worker.run_pass()

    assert report.targets["email"].retrying == 1 and report.targets["email"].failed == 0
    [entry] = OutboxStore(service.db).open_entries(("email",))
    assert "nothing answers" in entry.last_error and not entry.uncertain
    # The relay comes back on the same port; the worker's backoff brings the update to it.
    with SmtpServer(ca) as server:
        worker.config.email = worker.config.email.model_copy(update={"port": server.port})
        worker.adapters["email"].config = worker.config.email
        timer.advance(3600)
        assert worker.drain().complete
        assert len(server.received) == 1


def test_a_message_whose_outcome_is_unknown_is_never_sent_again_without_a_person(
        workspace, service, tmp_path, ca, password, make_worker, timer):
    with SmtpServer(ca) as server:
        server.behaviour.after_data = "drop"  # took the message, closed without a word
        synced = with_email(workspace, tmp_path, ca, server.port)
        service, incident = declare(service, synced)
        send(service, synced.root, incident, "stakeholders-initial.md.j2")
        worker = make_worker(synced)

        report = worker.drain()

        assert report.targets["email"].failed == 1
        [entry] = OutboxStore(service.db).open_entries(("email",))
        assert entry.state == "failed" and entry.uncertain
        assert entry.last_error.startswith("may have been sent")
        server.behaviour.after_data = ""
        timer.advance(24 * 3600)
        worker.drain()
        assert len(server.received) == 1, "not sent again by itself"
        # The IC checked with a recipient: it did not arrive. Retry on the sync screen sends it.
        desk = SyncDesk(synced.database_path, synced.config, "maya", worker=worker, timer=timer)
        desk.retry(entry)
        assert worker.drain().complete
        assert len(server.received) == 2


def test_a_bulk_retry_does_not_resend_a_message_that_may_have_been_sent(
        workspace, service, tmp_path, ca, password, make_worker, timer):
    with CutAfter354() as cut:
        synced = with_email(workspace, tmp_path, ca, cut.port, tls=False, login=False)
        service, incident = declare(service, synced)
        send(service, synced.root, incident, "stakeholders-initial.md.j2", workaround="x" * 8_000_000)
        worker = make_worker(synced)
        assert worker.drain().targets["email"].failed == 1
    desk = SyncDesk(synced.database_path, synced.config, "maya", worker=worker, timer=timer)
    desk.retry_all()
    worker.drain()
    [entry] = OutboxStore(service.db).open_entries(("email",))
    assert entry.state == "failed" and entry.last_error.startswith("may have been sent")


def test_doctor_checks_the_relay_and_an_email_only_workspace_is_not_offline(
        workspace, service, tmp_path, ca, mail_server, password):
    from oncall.sync.doctor import run_doctor
    from oncall.tui.sync_link import SyncLink

    synced = with_email(workspace, tmp_path, ca, mail_server.port)
    checks = {check.what: check for check in run_doctor(synced.config)}
    assert checks["Email"].level == "ok" and "STARTTLS, logged in as oncall-bot" in checks["Email"].detail
    assert checks["Email stakeholder lists"].detail == "SEV-1: 2 addresses"
    assert mail_server.received == [], "the check sends nothing"
    link = SyncLink(synced, "maya")
    assert link.configured and link.worker is not None, "the console sends email with no Jira or Slack"
    link.close()
    link.worker.close()


def test_an_email_reporter_the_relay_would_refuse_is_refused_when_declaring(workspace, service, tmp_path, ca,
                                                                            mail_server, password):
    from oncall.domain.rules import RuleViolation

    synced = with_email(workspace, tmp_path, ca, mail_server.port)
    for address in ("a..b@x.com", ".a@x.com", "a.@x.com", "x@-y-.com"):
        with pytest.raises(RuleViolation, match="is not an email address"):
            declare(service, synced, reported_by=address)


def test_a_bad_email_setting_points_at_its_own_line(workspace):
    path = workspace.config_path
    path.write_text(path.read_text("utf-8") + '\n[email]\nhost = "smtp.acme.example"\nsender = "oncall@acme.example"\n'
                    'port = 99999\n', "utf-8")
    loaded = load_workspace(workspace.root)
    [problem] = [p for p in loaded.problems if p.key.startswith("email")]
    lines = path.read_text("utf-8").splitlines()
    assert lines[problem.line - 1] == "port = 99999", problem
