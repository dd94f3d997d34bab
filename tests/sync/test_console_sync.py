"""The console syncs while it runs: a change made in it reaches Slack and Jira without a command,
and the line above the footer says so."""

from __future__ import annotations

import time

from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.tui.app import OncallApp
from oncall.tui.screens.sync_screen import SyncScreen
from oncall.tui.widgets.status_line import StatusLine


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the console did not get there in time"
        await pilot.pause(0.05)


def footer(app) -> str:
    return str(app.screen.query_one(StatusLine).content)


async def test_a_declared_incident_reaches_slack_and_jira_and_the_footer_says_synced(
        synced, clock, jira_server, slack_server):
    app = OncallApp(synced, clock=clock, poll=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: "all synced" in footer(app) or "offline" in footer(app).lower())
        assert "Sync: all synced" in footer(app)
        incident = app.session.service.declare(Declaration(
            title="Exec dashboard blank", severity=Severity.SEV1, asset="cac-dashboard"))
        await wait_for(pilot, lambda: len(slack_server.parents_in()) == 1 and len(jira_server.issues) == 1)
        parent = slack_server.parents_in()[0]
        assert "Exec dashboard blank" in parent.text
        await wait_for(pilot, lambda: "all synced" in footer(app))
        await pilot.press("S")
        assert isinstance(app.screen, SyncScreen)
    assert incident.id is not None


async def test_without_sync_settings_the_console_says_offline(workspace, clock):
    app = OncallApp(workspace, clock=clock, poll=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: "Offline" in footer(app))
        assert app.sync is not None and app.sync.worker is None


async def test_the_sync_uses_the_database_the_console_opened(synced, clock, jira_server, slack_server, tmp_path):
    from oncall.store.db import open_database

    elsewhere = open_database(tmp_path / "elsewhere.db")  # not the workspace's own database file
    app = OncallApp(synced, clock=clock, database=elsewhere, poll=True)
    async with app.run_test(size=(140, 40)) as pilot:
        app.session.service.declare(Declaration(title="Exec dashboard blank", severity=Severity.SEV1,
                                                asset="cac-dashboard"))
        await wait_for(pilot, lambda: len(jira_server.issues) == 1)
        assert app.sync.desk.database_path == tmp_path / "elsewhere.db"


async def test_quitting_while_a_pass_runs_is_prompt_and_loses_nothing(synced, clock, jira_server, slack_server,
                                                                     make_worker):
    app = OncallApp(synced, clock=clock, poll=True)
    async with app.run_test(size=(140, 40)) as pilot:
        incident = app.session.service.declare(Declaration(title="Exec dashboard blank", severity=Severity.SEV3,
                                                           asset="cac-dashboard"))
        for n in range(20):
            app.session.service.add_note(incident.id, f"note {n}")
        jira_server.latency = slack_server.latency = 0.2
        await wait_for(pilot, lambda: bool(jira_server.issues))
        started = time.monotonic()
    assert time.monotonic() - started < 1.0  # only what was already on its way is waited for
    assert app.sync.finished.wait(5)  # the sync thread finishes what was on its way, then stops
    jira_server.latency = slack_server.latency = 0.0
    assert make_worker(synced).drain().complete  # the rest goes next time, once
    [issue] = jira_server.issues.values()
    assert [c["body"].split(": ", 1)[1].split("\n")[0] for c in issue.comments] == [f"note {n}" for n in range(20)]
