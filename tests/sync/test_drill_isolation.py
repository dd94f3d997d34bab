"""A fire drill never reaches a real person: with Slack (and a stakeholder channel), email and Jira
all configured, a drill doing everything an incident can do puts nothing in the incident channel,
the stakeholder channel or anyone's mailbox, and every Jira issue it makes is labelled `drill`
(or none is made, with `[drills] jira = "skip"`). With `[drills] slack_channel` its messages go to
that channel only, naming people without mentioning them and broadcasting nothing. A real incident
alongside reaches its channels as always. Against the local servers and a real SMTP server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
import trustme

from oncall.domain.incident import DetectionSource
from oncall.domain.people import Role
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.comms import CommsService, render_update
from oncall.service.incidents import Declaration, IncidentService
from oncall.service.postmortems import PostmortemService
from oncall.store.action_items import ActionItemRepository
from oncall.sync.thread_link import global_id
from oncall.workspace.loader import load_workspace
from smtp_server import PASSWORD, USERNAME, SmtpServer
from sync_support import configure

INCIDENTS, STAKEHOLDERS, DRILLS = "C0INCIDENTS", "C0STAKEHOLD", "C0DRILLS"
LEADERS = ["grace@acme.example", "cfo-office@acme.example"]
MENTION = re.compile(r"<[@!]")
DRILL_TITLE = "Drill: finance table stale before the exec review"
REAL_TITLE = "Weekly CAC up 340%"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mail_server(ca):
    with SmtpServer(ca) as server:
        yield server


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("ONCALL_SMTP_PASSWORD", PASSWORD)


def everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server, drills: str = ""):
    """Jira, Slack with a stakeholder channel, email to the leaders at every severity, and a
    `[drills]` section of `drills` (its keys); the roster gives maya and tom Jira accounts, so
    a real incident would assign them."""
    slack_server.add_channel(STAKEHOLDERS, "data-stakeholders")
    slack_server.add_channel(DRILLS, "data-drills")
    path = workspace.config_path
    text = path.read_text("utf-8")
    for person, account in (("maya", "557058:maya"), ("tom", "557058:tom"), ("priya", "557058:priya")):
        text = text.replace(f'\nid = "{person}"\n', f'\nid = "{person}"\njira_account = "{account}"\n')
    path.write_text(text, "utf-8")
    jira_server.users = {"557058:maya": "Maya Okafor", "557058:tom": "Tom Brandt", "557058:priya": "Priya Raman"}
    synced = configure(workspace, jira_server, slack_server)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    lists = "\n".join(f'"SEV-{n}" = ["grace@acme.example", "cfo-office@acme.example"]' for n in (1, 2, 3))
    text = synced.config_path.read_text("utf-8").replace(
        "[slack]\n", '[slack]\nstakeholder_channel = "#data-stakeholders"\n', 1)
    text += (f'\n[email]\nhost = "127.0.0.1"\nport = {mail_server.port}\nsender = "oncall@acme.example"\n'
             f'timeout = 2\nca_file = "{ca_file}"\nusername = "{USERNAME}"\n[email.stakeholders]\n{lists}\n')
    text += f"\n[drills]\n{drills}\n"
    synced.config_path.write_text(text, "utf-8")
    loaded = load_workspace(synced.root, strict=True)
    assert loaded.problems == [], loaded.problems
    return loaded


def send(service: IncidentService, root, incident_id: int, name: str, slack_text: str = "", **extra) -> None:
    rendered, text = render_update(service, root, incident_id, name, extra=extra)
    CommsService(service.db, service.config, service.clock, "maya").send(
        incident_id, name, name.split("-", 1)[0], text, slack_text or rendered)


@dataclass
class Played:
    drills: list[int]  # the drill incidents (reported by email, by a Slack id, by a roster person)
    real: int
    item: int  # the first drill's action item


def play(synced, service) -> Played:
    """Three drills doing what an incident can do, and a real incident alongside."""
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    pm = PostmortemService(service.db, synced.config, service.clock, "maya")
    root = synced.root
    drills = [service.declare(Declaration(title=DRILL_TITLE, severity=Severity.SEV1, asset="cac-dashboard",
                                          source=DetectionSource.DRILL, ic="maya", reported_by=reporter)).id
              for reporter in ("ana.silva@acme.example", "U0ANALYST9", "sofia")]
    real = service.declare(Declaration(title=REAL_TITLE, severity=Severity.SEV1, asset="cac-dashboard", ic="maya",
                                       reported_by="sofia")).id
    first = drills[0]
    service.assign_role(first, Role.SME, "lukas")
    service.assign_role(first, Role.LEAD, "grace")
    service.assign_role(first, Role.PM, "omar")
    service.add_note(first, "scripted: the finance table stopped loading at 06:00")
    service.change_status(first, Status.IDENTIFIED, "the load job is stuck")
    service.change_severity(first, Severity.SEV2, "only one dashboard reads it")
    service.assign_ic(first, "priya")
    service.unassign_role(first, Role.SME, "lukas")
    # A workspace's own template may mention people: a drill still pings nobody.
    send(service, root, first, "technical-initial.md.j2", slack_text="<!here> <@U07MAYA01> drill technical notice")
    send(service, root, first, "stakeholders-initial.md.j2", workaround="Use yesterday's numbers")
    send(service, root, first, "stakeholders-update.md.j2", doing="Re-running the load")
    for drill in drills:
        send(service, root, drill, "reporter-acknowledged.md.j2")
    item = pm.add_action(first, "Alert when the finance load is late", owner="tom", due=date(2026, 12, 15))
    service.change_status(first, Status.RESOLVED, "the load re-ran")
    send(service, root, first, "technical-resolved.md.j2")
    send(service, root, first, "stakeholders-resolved.md.j2")
    pm.finish_action(item.id)
    pm.draft(first)
    postmortem = pm.get(first)
    assert postmortem is not None
    for section, saved in postmortem.sections.items():
        if section is not Section.ACTION_ITEMS:
            pm.save_section(first, section, f"What the drill taught us for {section.title}.", saved.revision)
    pm.set_status(first, PostmortemStatus.IN_REVIEW)
    pm.set_status(first, PostmortemStatus.COMPLETE)

    service.add_note(real, "the CRM export is partial")
    send(service, root, real, "stakeholders-initial.md.j2", workaround="Use last week's CAC")
    send(service, root, real, "reporter-acknowledged.md.j2")
    return Played(drills, real, item.id)


def assert_the_real_channels_hear_only_the_real_incident(slack_server, mail_server) -> None:
    [parent] = slack_server.parents_in(INCIDENTS)
    assert REAL_TITLE in parent.text and "[DRILL]" not in parent.text
    replies = slack_server.replies_to(parent.ts, INCIDENTS)
    assert any("the CRM export is partial" in r.text for r in replies), "the real incident still reaches its thread"
    assert any(r.text.startswith("<@U07SOFI07> ") for r in replies), "and still mentions its reporter"
    everything_said = [parent.text, *(r.text for r in replies)]
    assert not any("drill" in text.lower() for text in everything_said)
    [post] = slack_server.parents_in(STAKEHOLDERS)
    assert "Use last week's CAC" in post.text and slack_server.replies_to(post.ts, STAKEHOLDERS) == []
    assert mail_server.received, "the real incident's stakeholders are emailed"
    for mail in mail_server.received:
        assert sorted(mail.rcpt_tos) == sorted(LEADERS), "no drill reporter is ever emailed"
        assert REAL_TITLE in mail.message["Subject"] and "drill" not in mail.message.get_content().lower()


def assert_every_drill_issue_is_labelled(jira_server, service, played: Played) -> None:
    real_issue = service.db.conn.execute("SELECT jira_key FROM remote_incidents WHERE incident_id = ?",
                                         (played.real,)).fetchone()[0]
    drill_issues = {key: issue for key, issue in jira_server.issues.items() if key != real_issue}
    # One per drill and the action item: nothing a drill made is missing its label.
    assert len(drill_issues) == len(played.drills) + 1
    assert all("drill" in issue.fields["labels"] for issue in drill_issues.values())
    assert "drill" not in jira_server.issues[real_issue].fields["labels"]
    item_key = ActionItemRepository(service.db).get(played.item).jira_key
    assert item_key in drill_issues and jira_server.assignee(item_key) is None, "assigning notifies the owner"


def test_without_a_drill_channel_a_drill_reaches_no_slack_no_mailbox_and_only_labelled_issues(
        workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens, make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server)
    played = play(synced, service)

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    assert_the_real_channels_hear_only_the_real_incident(slack_server, mail_server)
    assert slack_server.parents_in(DRILLS) == []
    assert_every_drill_issue_is_labelled(jira_server, service, played)
    posted = [e.body.get("channel") for e in slack_server.calls("chat.postMessage") if isinstance(e.body, dict)]
    assert posted and set(posted) <= {"C0INCIDENTS", "C0STAKEHOLD"}, "no drill message went anywhere"
    assert sum(1 for e in slack_server.calls("chat.postMessage")) == 1 + 2 + 1  # parent, note, reporter; the post


def test_with_a_drill_channel_every_drill_message_goes_there_naming_people_never_mentioning_them(
        workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens, make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server,
                        drills='slack_channel = "#data-drills"')
    played = play(synced, service)

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    assert_the_real_channels_hear_only_the_real_incident(slack_server, mail_server)
    assert_every_drill_issue_is_labelled(jira_server, service, played)
    parents = slack_server.parents_in(DRILLS)
    assert len(parents) == len(played.drills)
    channel = slack_server.channels[DRILLS]
    assert not any(MENTION.search(m.text) for m in channel.messages), [m.text for m in channel.messages]
    assert not any(m.reply_broadcast for m in channel.messages), "a drill is never broadcast to the channel"

    first = next(p for p in parents if p.metadata["event_payload"]["label"].endswith(f"-inc-{played.drills[0]}"))
    assert first.text.startswith("[DRILL] *SEV-2* · *resolved*")
    assert "IC: Priya Raman" in first.text and "Lead: Grace Lin · PM: Omar Haddad" in first.text
    thread = [reply.text for reply in slack_server.replies_to(first.ts, DRILLS)]
    said = "\n".join(thread)
    for expected in ("scripted: the finance table stopped loading", "Lukas Meyer", "Priya Raman",
                     "owner Tom Brandt", "Use yesterday's numbers", "Re-running the load", "Post-mortem complete",
                     "drill technical notice", "&lt;!here&gt; &lt;@U07MAYA01&gt;"):
        assert expected in said, expected
    assert sum(text.startswith("*Stakeholder update*") for text in thread) == 3, \
        "stakeholder updates reply in the drill's thread, never in the stakeholder channel"
    # The reporters: by email, answered in no thread (a real one would be emailed); by Slack id and
    # from the roster, named.
    by_slack_id, by_roster = (next(p for p in parents if p.metadata["event_payload"]["label"].endswith(f"-inc-{d}"))
                              for d in played.drills[1:])
    assert slack_server.replies_to(by_slack_id.ts, DRILLS)[-1].text.startswith("U0ANALYST9 ")
    assert slack_server.replies_to(by_roster.ts, DRILLS)[-1].text.startswith("Sofia Castro ")
    remote = service.db.conn.execute("SELECT slack_channel, slack_ts FROM remote_incidents WHERE incident_id = ?",
                                     (played.drills[0],)).fetchone()
    assert tuple(remote) == (DRILLS, first.ts), "the drill's parent is kept like a real one"


def test_a_drill_parent_whose_answer_was_lost_is_found_in_the_drill_channel(
        workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens, make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server,
                        drills='slack_channel = "C0DRILLS"')
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    drill = service.declare(Declaration(title=DRILL_TITLE, severity=Severity.SEV1, asset="cac-dashboard",
                                        source=DetectionSource.DRILL, ic="maya"))
    service.add_note(drill.id, "first clue")
    slack_server.fail("drop", match="chat.postMessage")  # the parent is posted, its answer never comes

    assert make_worker(synced).drain().complete

    [parent] = slack_server.parents_in(DRILLS)
    assert [r.text for r in slack_server.replies_to(parent.ts, DRILLS)] == ["*Update* (maya): first clue"]
    assert [e.query.get("channel") or e.body.get("channel") for e in slack_server.calls("conversations.history")] \
        == [DRILLS], "looked for it in the drill channel"
    assert slack_server.parents_in(INCIDENTS) == []


@pytest.mark.parametrize("linked", [True, False])
def test_a_teammates_drill_is_answered_in_their_drill_thread(
        linked, workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens,
        make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server,
                        drills='slack_channel = "#data-drills"')
    label = "oncall-beef0001-inc-3"
    theirs = slack_server.post_as_teammate(label, "[DRILL] *SEV-2* · their drill", channel_id=DRILLS)
    issue = jira_server.add_issue("[SEV-2] Their drill", ["data-incident", "sev-2", "drill", label],
                                  status="In Progress")
    if linked:
        jira_server.add_remote_link(issue.key, global_id(label), slack_server.permalink(theirs.ts, DRILLS))
    worker = make_worker(synced)
    assert worker.drain().complete
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    [pulled] = [row[0] for row in service.db.conn.execute("SELECT id FROM incidents WHERE is_drill")]
    service.add_note(pulled, "we can help: the ads export is back")
    assert worker.drain().complete

    assert [m.ts for m in slack_server.parents_in(DRILLS)] == [theirs.ts], "no second drill message"
    assert [r.text for r in slack_server.replies_to(theirs.ts, DRILLS)] == [
        "*Update* (maya): we can help: the ads export is back"]
    assert slack_server.parents_in(INCIDENTS) == [] and slack_server.parents_in(STAKEHOLDERS) == []
    assert bool(slack_server.calls("conversations.history")) is not linked


def test_with_jira_skip_a_drill_makes_nothing_in_jira_and_its_entries_are_settled(
        workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens, make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server,
                        drills='slack_channel = "#data-drills"\njira = "skip"')
    played = play(synced, service)

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    [real_issue] = jira_server.issues.values()
    assert REAL_TITLE in real_issue.fields["summary"]
    creates = [e for e in jira_server.exchanges if e.method == "POST" and e.path.endswith("/issue")]
    assert len(creates) == 1, "only the real incident's issue was created"
    writes = [e.path for e in jira_server.exchanges if e.method in ("POST", "PUT")]
    assert all(real_issue.key in path or path.endswith("/issue") or "search" in path for path in writes), writes
    notes = service.db.conn.execute(
        "SELECT DISTINCT d.state, d.last_error FROM sync_delivery d JOIN outbox o ON o.id = d.outbox_id "
        f"WHERE d.target = 'jira' AND o.incident_id IN ({','.join('?' * len(played.drills))})", played.drills,
    ).fetchall()
    assert [tuple(row) for row in notes] == [("done", "a drill: not sent to Jira")]
    assert ActionItemRepository(service.db).get(played.item).jira_key is None
    parents = slack_server.parents_in(DRILLS)
    assert len(parents) == len(played.drills) and not any("Jira:" in p.text for p in parents)
    assert_the_real_channels_hear_only_the_real_incident(slack_server, mail_server)


def test_a_drill_channel_that_is_the_incident_channel_is_refused_and_real_incidents_go_on(
        workspace, service, tmp_path, ca, mail_server, password, jira_server, slack_server, tokens, make_worker):
    synced = everything(workspace, tmp_path, ca, mail_server, jira_server, slack_server,
                        drills='slack_channel = "C0INCIDENTS"')
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    service.declare(Declaration(title=DRILL_TITLE, severity=Severity.SEV1, asset="cac-dashboard",
                                source=DetectionSource.DRILL, ic="maya"))
    service.add_note(service.declare(Declaration(title=REAL_TITLE, severity=Severity.SEV2, asset="cac-dashboard",
                                                 ic="maya")).id, "the CRM export is partial")

    report = make_worker(synced).drain()

    assert report.targets["slack"].failed == 1 and not report.targets["slack"].problem
    error = service.db.conn.execute("SELECT last_error FROM sync_delivery WHERE state = 'failed'").fetchone()[0]
    assert "[drills] slack_channel is the same channel as [slack] channel" in error
    [parent] = slack_server.parents_in(INCIDENTS)
    assert REAL_TITLE in parent.text and len(slack_server.replies_to(parent.ts, INCIDENTS)) == 1


def test_the_drills_section_is_checked_when_the_file_loads(workspace):
    path = workspace.config_path
    path.write_text(path.read_text("utf-8") + '\n[drills]\njira = "none"\nspeed = 0\ncolour = "red"\n', "utf-8")
    loaded = load_workspace(workspace.root)
    said = {problem.key: str(problem) for problem in loaded.problems}
    assert set(said) == {"drills.jira", "drills.speed", "drills.colour"}, said
    assert ":" in said["drills.jira"] and "unknown key" in said["drills.colour"]
    assert loaded.config.drills.jira == "label" and loaded.config.drills.speed == 1.0
