"""`oncall sync` and `oncall doctor` against the fakes: exit codes that mean something, and fixes named."""

from __future__ import annotations

import json

from oncall.cli import main
from sync_fakes.jira_server import FakeJira
from sync_support import clock_seconds, configure
from test_faults import declare_with_notes


def test_sync_exits_0_when_everything_is_delivered(synced, service, jira_server, slack_server, capsys):
    declare_with_notes(service)
    assert main(["sync", "--workspace", str(synced.root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] and report["summary"] == "all synced"
    assert report["targets"]["jira"]["delivered"] == report["targets"]["slack"]["delivered"] == 5
    assert len(jira_server.issues) == 1 and len(slack_server.parents_in()) == 1


def test_sync_exits_1_with_a_summary_when_something_is_left(workspace, service, jira_server, slack_server, tokens,
                                                             capsys):
    synced = configure(workspace, jira_server, slack_server, channel="#gone")
    declare_with_notes(service)
    assert main(["sync", "--workspace", str(synced.root)]) == 1
    out = capsys.readouterr().out
    assert "failing: Slack — Slack has no channel named #gone" in out
    assert "jira: 5 delivered" in out


def test_doctor_checks_credentials_project_priorities_transitions_and_channel(synced, service, capsys):
    declare_with_notes(service)
    main(["sync", "--workspace", str(synced.root)])  # so there is an incident issue to read the workflow from
    capsys.readouterr()
    assert main(["doctor", "--workspace", str(synced.root)]) == 0
    out = capsys.readouterr().out
    for line in ("OK    Jira at http://127.0.0.1", "signed in as oncall bot on Jira Cloud",
                 "OK    Jira project and issue type: project DATA takes issues of type 'Incident'",
                 "OK    Jira priorities: SEV-1 → Highest", "OK    Jira transitions: closed → Close",
                 "OK    Slack channel: #data-incidents (C0INCIDENTS); the bot is a member"):
        assert line in out, out


def test_doctor_says_what_is_wrong_and_how_to_fix_it(workspace, slack_server, tokens, monkeypatch, capsys, clock):
    with FakeJira(deployment="Server", issue_types=("Task", "Bug"), now=clock_seconds(clock)) as jira_server:
        monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
        slack_server.channels["C0INCIDENTS"].bot_is_member = False
        synced = configure(workspace, jira_server, slack_server, extra='[jira.priorities]\n"SEV-1" = "Blocker"\n')
        assert main(["doctor", "--workspace", str(synced.root)]) == 1
    out = capsys.readouterr().out
    assert 'FAIL  Jira at' in out and 'set it to "server"' in out
    monkeypatch.delenv("ONCALL_SLACK_TOKEN")
    assert main(["doctor", "--workspace", str(synced.root)]) == 1
    assert "FAIL  Slack token: Slack sync needs a token: set the environment variable ONCALL_SLACK_TOKEN" in \
        capsys.readouterr().out


def test_doctor_falls_back_to_the_configured_issue_type_and_says_so(workspace, slack_server, tokens, monkeypatch,
                                                                    capsys, clock):
    with FakeJira(issue_types=("Task", "Bug"), now=clock_seconds(clock)) as jira_server:
        monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
        slack_server.channels["C0INCIDENTS"].bot_is_member = False
        synced = configure(workspace, jira_server, slack_server, extra='[jira.priorities]\n"SEV-1" = "Blocker"\n')
        assert main(["doctor", "--workspace", str(synced.root)]) == 1
    out = capsys.readouterr().out
    assert "has no issue type 'Incident'; using [jira] fallback_issue_type 'Task'" in out
    assert "FAIL  Jira priorities: no priority named Blocker; set [jira.priorities] to names from:" in out
    assert "FAIL  Slack channel: the bot is not a member of #data-incidents: invite it with /invite @your-bot" in out
