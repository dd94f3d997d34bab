"""Roles and the people Informed reach Jira and Slack: the parent message lists the roles, the
thread names each change, the Informed are mentioned (Slack) and listed (Jira), the Jira
assignee follows the Incident Commander, and drills tell nobody. Against the local servers."""

from __future__ import annotations

import pytest

from oncall.domain.incident import DetectionSource, EventKind, TimelineEvent
from oncall.domain.people import Person, Role
from oncall.domain.roles import RoleHolders
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.remote_ids import RemoteIds
from oncall.sync import messages
from oncall.sync.status import sync_status
from oncall.workspace.sync_config import JiraConfig
from sync_fakes import contract
from sync_fakes.jira_server import FakeJira
from sync_support import clock_seconds, configure

MAYA_ACCOUNT = "557058:maya-okafor"
PRIYA_ACCOUNT = "557058:priya-raman"
INCIDENT = Declaration(title="Weekly CAC is zero", severity=Severity.SEV2, asset="cac-dashboard", ic="maya")


def with_roster(workspace, jira, slack, *, deployment: str = "cloud", accounts: dict[str, str] | None = None):
    """The demo roster with Jira accounts for maya and priya (tom has none), Omar (the PM)
    without a Slack id, and the Lead Informed of the root cause being found (besides the PM)."""
    accounts = {"maya": MAYA_ACCOUNT, "priya": PRIYA_ACCOUNT} if accounts is None else accounts
    path = workspace.config_path
    text = path.read_text("utf-8").replace('slack_id = "U07OMAR06"', 'slack_id = ""')
    for person, account in accounts.items():
        text = text.replace(f'\nid = "{person}"\n', f'\nid = "{person}"\njira_account = "{account}"\n')
    path.write_text(text + '\n[raci.investigate]\nlead = "I"\n', "utf-8")
    return configure(workspace, jira, slack, deployment=deployment)


def comments(jira_server, key: str = "DATA-1") -> list[str]:
    return [c["body"] for c in jira_server.issues[key].comments]


def assignee_puts(jira_server) -> list:
    return [e for e in jira_server.exchanges if e.method == "PUT" and e.path.endswith("/assignee")]


# -- Slack: the parent message and the thread ---------------------------------------------------


def test_the_parent_lists_the_roles_and_the_thread_names_each_change(workspace, service, jira_server, slack_server,
                                                                    tokens, make_worker, specs):
    synced = with_roster(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    worker = make_worker(synced)
    assert worker.drain().complete
    [parent] = slack_server.parents_in()
    assert "SME:" not in parent.text and "Lead:" not in parent.text  # roles nobody holds are left out

    service.assign_role(incident.id, Role.SME, "lukas")
    service.assign_role(incident.id, Role.SME, "tom", "knows the ads export")
    service.assign_role(incident.id, Role.LEAD, "grace")
    service.assign_role(incident.id, Role.PM, "omar")
    assert worker.drain().complete
    [parent] = slack_server.parents_in()
    assert "IC: <@U07MAYA01> · Asset: cac-dashboard" in parent.text
    assert "\nSME: <@U07LUKA04>, <@U07TOMB02> · Lead: <@U07GRAC05> · PM: Omar Haddad\n" in parent.text
    replies = [r.text for r in slack_server.replies_to(parent.ts)]
    assert replies == [
        "*Role* (maya): lukas is Subject Matter Expert (<@U07LUKA04>)",
        "*Role* (maya): tom is Subject Matter Expert: knows the ads export (<@U07TOMB02>)",
        "*Role* (maya): grace is Eng/Team Lead (<@U07GRAC05>)",
        "*Role* (maya): omar is TPM/PM/PO (Omar Haddad)",
    ]

    # A new SME: the parent is brought up to date, the thread names the change and pings them.
    edits = parent.edits
    service.assign_role(incident.id, Role.SME, "priya")
    assert worker.drain().complete
    [parent] = slack_server.parents_in()
    assert parent.edits == edits + 1
    assert "SME: <@U07LUKA04>, <@U07TOMB02>, <@U07PRIY03> · Lead" in parent.text
    assert slack_server.replies_to(parent.ts)[-1].text == "*Role* (maya): priya is Subject Matter Expert (<@U07PRIY03>)"

    # A removal: gone from the parent; the thread names them without a ping.
    service.unassign_role(incident.id, Role.SME, "tom")
    assert worker.drain().complete
    [parent] = slack_server.parents_in()
    assert "SME: <@U07LUKA04>, <@U07PRIY03> · Lead" in parent.text and "U07TOMB02" not in parent.text
    last = slack_server.replies_to(parent.ts)[-1].text
    assert last == "*Role removed* (maya): tom is no longer Subject Matter Expert (Tom Brandt)"

    # Jira has each change as a comment, naming the person.
    bodies = comments(jira_server)
    assert bodies[0].startswith("*Role* (maya): lukas is Subject Matter Expert (Lukas Meyer)\n")
    assert bodies[-1].startswith("*Role removed* (maya): tom is no longer Subject Matter Expert (Tom Brandt)\n")
    assert len(bodies) == 6


def test_the_informed_are_mentioned_in_the_thread_and_listed_in_jira(workspace, database, clock, jira_server,
                                                                     slack_server, tokens, make_worker, specs):
    synced = with_roster(workspace, jira_server, slack_server)
    service = IncidentService(database, synced.config, clock, "maya")  # with the [raci] of `with_roster`
    incident = service.declare(INCIDENT)
    service.assign_role(incident.id, Role.LEAD, "grace")
    service.assign_role(incident.id, Role.PM, "omar")
    service.change_status(incident.id, Status.IDENTIFIED, "the CRM export was partial")
    [event] = [e for e in service.events(incident.id) if e.kind is EventKind.STATUS_CHANGED]
    assert event.data["informed"] == ["grace", "omar"]  # Lead and PM are Informed of the root cause

    assert make_worker(synced).drain().complete

    [parent] = slack_server.parents_in()
    reply = slack_server.replies_to(parent.ts)[-1].text
    assert reply == ("*Status* (maya): investigating → identified: the CRM export was partial\n"
                     "For: <@U07GRAC05>, Omar Haddad")  # a mention from slack_id, else the plain name
    comment = comments(jira_server)[-1]
    assert comment.startswith("*Status* (maya): investigating → identified: the CRM export was partial\n"
                              "*Informed:* Grace Lin, Omar Haddad\n")

    # An update nobody is Informed of mentions nobody.
    service.add_note(incident.id, "backfill running")
    assert make_worker(synced).drain().complete
    assert "For:" not in slack_server.replies_to(parent.ts)[-1].text
    assert "Informed" not in comments(jira_server)[-1]


def test_a_drill_mentions_nobody_and_assigns_nobody(workspace, service, jira_server, slack_server, tokens,
                                                   make_worker):
    synced = with_roster(workspace, jira_server, slack_server)
    jira_server.users = {MAYA_ACCOUNT: "Maya Okafor", PRIYA_ACCOUNT: "Priya Raman"}
    drill = service.declare(Declaration(title="Fire drill: stale CAC", severity=Severity.SEV1, asset="cac-dashboard",
                                        source=DetectionSource.DRILL, ic="maya"))
    service.assign_role(drill.id, Role.LEAD, "grace")
    service.assign_role(drill.id, Role.PM, "omar")
    service.change_status(drill.id, Status.IDENTIFIED, "scripted")
    service.assign_ic(drill.id, "priya")

    assert make_worker(synced).drain().complete

    assert not any("informed" in e.data for e in service.events(drill.id))
    assert not any("Informed" in body for body in comments(jira_server))
    assert assignee_puts(jira_server) == [] and jira_server.assignee("DATA-1") is None
    assert slack_server.parents_in() == [] and not slack_server.calls("chat.")


# -- Jira: the assignee follows the Incident Commander -----------------------------------------


@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_the_jira_assignee_follows_the_ic(deployment, workspace, service, slack_server, tokens, make_worker, clock,
                                          specs):
    cloud = deployment == "cloud"
    accounts = {"maya": MAYA_ACCOUNT, "priya": PRIYA_ACCOUNT} if cloud else {"maya": "maya.okafor",
                                                                              "priya": "priya.raman"}
    with FakeJira(deployment="Cloud" if cloud else "Server", now=clock_seconds(clock)) as jira_server:
        jira_server.users = {account: person.title() for person, account in accounts.items()}
        synced = with_roster(workspace, jira_server, slack_server, deployment=deployment, accounts=accounts)
        incident = service.declare(INCIDENT)
        worker = make_worker(synced)
        assert worker.drain().complete
        # On creation: the IC's account, as the deployment spells it.
        assert jira_server.assignee("DATA-1") == accounts["maya"]
        [put] = assignee_puts(jira_server)
        assert put.body == ({"accountId": accounts["maya"]} if cloud else {"name": accounts["maya"]})
        assert put.status == 204

        service.assign_ic(incident.id, "priya", "going off shift")  # a hand-off: the assignee follows
        assert worker.drain().complete
        assert jira_server.assignee("DATA-1") == accounts["priya"]
        assert comments(jira_server)[-1].startswith(
            "*Incident Commander* (maya): IC handed from maya to priya: going off shift (Priya Raman)\n")

        service.assign_ic(incident.id, "tom")  # no Jira account on the roster: the assignee stays
        assert worker.drain().complete
        assert jira_server.assignee("DATA-1") == accounts["priya"]
        assert jira_server.assignments == [("DATA-1", accounts["maya"]), ("DATA-1", accounts["priya"])]
        assert "IC handed from priya to tom (Tom Brandt)" in comments(jira_server)[-1]  # the comment names the IC
        assert sync_status(service.db, synced.config).text == "all synced"

        assert make_worker(synced).drain().complete  # nothing is sent twice
        assert len(assignee_puts(jira_server)) == 2
        assert contract.jira_problems(jira_server.exchanges) == []


def test_without_a_jira_account_the_assignee_is_left_alone(workspace, service, jira_server, slack_server, tokens,
                                                          make_worker):
    synced = with_roster(workspace, jira_server, slack_server, accounts={})
    incident = service.declare(INCIDENT)
    service.assign_ic(incident.id, "priya")
    assert make_worker(synced).drain().complete
    assert assignee_puts(jira_server) == [] and "assignee" not in jira_server.issues["DATA-1"].fields
    assert "IC handed from maya to priya (Priya Raman)" in comments(jira_server)[-1]


@pytest.mark.parametrize("refusal", ["unknown user", "no permission"])
def test_a_refused_assignee_is_reported_and_holds_nothing_back(refusal, workspace, service, jira_server, slack_server,
                                                              tokens, make_worker, specs):
    synced = with_roster(workspace, jira_server, slack_server)
    if refusal == "no permission":
        jira_server.users = {MAYA_ACCOUNT: "Maya Okafor"}
        jira_server.may_assign = False  # answers 403, which must not read as bad credentials
    first = service.declare(INCIDENT)  # maya's account is not one this Jira knows (or may not be assigned)
    service.add_note(first.id, "row counts checked")
    second = service.declare(Declaration(title="Ad spend stale", severity=Severity.SEV3, asset="cac-dashboard",
                                         ic="tom"))
    service.add_note(second.id, "looking")

    report = make_worker(synced).drain()

    assert report.complete, report.lines()  # nothing failed, nothing waits: every update went
    key, other = (RemoteIds(service.db).incident(i.id).jira_key for i in (first, second))
    assert comments(jira_server, key)[-1].startswith("*Update* (maya): row counts checked")
    assert comments(jira_server, other)[-1].startswith("*Update* (maya): looking")
    assert [len(slack_server.replies_to(p.ts)) for p in slack_server.parents_in()] == [1, 1]
    assert jira_server.assignee(key) is None
    [put] = assignee_puts(jira_server)
    assert put.status == (400 if refusal == "unknown user" else 403)

    summary = sync_status(service.db, synced.config)
    assert summary.state == "synced"
    assert summary.text.startswith("all synced · Jira assignee not set (INC-1: Jira refused")
    if refusal == "unknown user":
        assert f"accountId '{MAYA_ACCOUNT}' as the assignee of {key} (HTTP 400" in summary.text
        assert "check the jira_account of maya in oncall.toml" in summary.text
    else:
        assert f"Jira refused to assign {key} (HTTP 403" in summary.text
        assert "give the account the Assign Issues permission in project DATA" in summary.text
    assert summary.detail == summary.text.split(" · ", 1)[1]  # the sync screen's header says it in full
    steps = service.db.conn.execute("SELECT remote_id FROM remote_events WHERE target = 'jira' AND step = 'assignee'")
    assert [row[0].split(": ")[0] for row in steps] == ["refused"]  # recorded: never asked again

    # Not asked again on the next run; a later hand-off that goes through clears the notice.
    jira_server.users[PRIYA_ACCOUNT] = "Priya Raman"
    jira_server.may_assign = True
    service.assign_ic(first.id, "priya")
    assert make_worker(synced).drain().complete
    assert jira_server.assignee(key) == PRIYA_ACCOUNT
    assert len(assignee_puts(jira_server)) == 2
    assert sync_status(service.db, synced.config).text == "all synced"


def test_a_refusal_is_no_longer_said_once_the_incident_is_resolved(workspace, service, jira_server, slack_server,
                                                                    tokens, make_worker):
    synced = with_roster(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    worker = make_worker(synced)
    assert worker.drain().complete
    assert "Jira assignee not set" in sync_status(service.db, synced.config).text
    service.change_status(incident.id, Status.RESOLVED)
    assert worker.drain().complete
    assert sync_status(service.db, synced.config).text == "all synced"


# -- the texts (pure) ---------------------------------------------------------------------------


ROSTER = {p.id: p for p in (
    Person(id="ana", name="Ana <!channel> Díaz", slack_id=""),
    Person(id="ben", name="Ben", slack_id="U0BEN"),
)}


def event(kind: EventKind, text: str, **data) -> TimelineEvent:
    from datetime import datetime, timezone
    return TimelineEvent(id=7, incident_id=1, at=datetime(2026, 11, 27, tzinfo=timezone.utc), actor="maya",
                         kind=kind, text=text, data=data)


def test_names_are_escaped_and_people_off_the_roster_shown_by_id():
    roles = messages.slack_roles(RoleHolders(ic="ben", sme=("ana", "gone"), pm="ben"), ROSTER.get)
    assert roles == "SME: Ana &lt;!channel&gt; Díaz, gone · PM: <@U0BEN>"
    told = event(EventKind.STATUS_CHANGED, "a → b", informed=["ben", "ana", "gone"])
    assert messages.slack_reply(told, ROSTER.get).endswith("\nFor: <@U0BEN>, Ana &lt;!channel&gt; Díaz, gone")
    assert "For:" not in messages.slack_reply(told, ROSTER.get, drill=True)
    assert "Informed" not in messages.jira_comment(told, "label", ROSTER.get, drill=True)
    assert "\n*Informed:* Ben, Ana <!channel> Díaz, gone\n" in messages.jira_comment(told, "label", ROSTER.get)


def test_which_steps_roles_informed_and_hand_offs_need():
    jira = JiraConfig(server="https://acme.atlassian.net", project="DATA",
                      transitions={"investigating": "Start Progress"})
    assert messages.slack_steps(event(EventKind.ROLE_ASSIGNED, "x", role="sme", person="ben")) == ["parent", "reply"]
    assert messages.slack_steps(event(EventKind.ROLE_REMOVED, "x", role="sme", person="ben")) == ["parent", "reply"]
    assert messages.jira_steps(event(EventKind.ROLE_ASSIGNED, "x", role="sme", person="ben"), jira) == ["comment"]
    declared = event(EventKind.DECLARED, "SEV-2 declared", status="investigating", informed=["ben"])
    assert messages.slack_steps(declared) == ["reply"]  # the Informed of a declaration are told in the thread
    assert messages.jira_steps(declared, jira) == ["transition", "comment"]
    assert messages.jira_steps(declared, jira, drill=True) == ["transition"]
    first_ic = event(EventKind.IC_ASSIGNED, "ben is IC", ic="ben")
    assert messages.jira_steps(first_ic, jira) == [] and messages.jira_steps(first_ic, jira, "acc") == ["assignee"]
    hand_off = event(EventKind.IC_ASSIGNED, "handed", ic="ben", **{"from": "ana"})
    assert messages.jira_steps(hand_off, jira, "acc") == ["comment", "assignee"]
