"""Runbooks in the console: suggestions on the incident's Runbooks tab, attaching, stepping
through with done / skip (and why) / notes, gathering evidence from the demo warehouse, resuming
after a restart, and picking up an edited runbook file without a restart."""

from __future__ import annotations

from oncall.domain.incident import EventKind
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.modals import TextScreen
from oncall.tui.screens.runbook_viewer import ConfirmEvidence, RunbookScreen

from tui_support import SIZE, painted, settled


async def open_runbooks_tab(pilot, incident_keys=("enter",)) -> IncidentScreen:
    await settled(pilot)
    await pilot.press(*incident_keys)
    await settled(pilot)
    await pilot.press("5")
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


def listed(screen) -> list[str]:
    options = screen.query_one("#runbook-list")
    return [str(options.get_option_at_index(i).prompt).strip() for i in range(options.option_count)]


def steps_shown(viewer) -> list[str]:
    options = viewer.query_one("#steps")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_tab_suggests_what_fits_and_enter_attaches_and_opens_it(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runbooks_tab(pilot)  # INC-1: the CAC dashboard
        lines = listed(screen)
        suggested = lines[lines.index("Suggested for this incident") + 1:]
        assert suggested[0].startswith("Dashboard or Metric Logic Regression  ·  fits cac-dashboard")
        assert suggested[-1].startswith("Incident Commander Checklist  ·  for every incident")
        await pilot.press("enter")
        await settled(pilot)
        viewer = app.screen
        assert isinstance(viewer, RunbookScreen) and viewer.runbook.id == "metric-logic-regression"
        assert steps_shown(viewer)[0].startswith("· 1. ")
        events = app.session.service.events(1)
        assert events[-1].kind is EventKind.RUNBOOK_ATTACHED
        await pilot.press("escape")
        await settled(pilot)
        lines = listed(screen)
        assert lines[1].startswith("Dashboard or Metric Logic Regression  ·  0/"), "now under Attached"


async def test_step_through_done_skip_with_why_and_resume_after_a_restart(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_runbooks_tab(pilot)
        await pilot.press("enter")  # attach and open the first suggestion
        await settled(pilot)
        await pilot.press("d")  # step 1 done: the cursor moves on to step 2
        await pilot.press("s")
        assert isinstance(app.screen, TextScreen)
        await pilot.press(*"no access to the BI tool yet", "enter")
        await settled(pilot)
        viewer = app.screen
        shown = steps_shown(viewer)
        assert shown[0].startswith("✓ 1.") and shown[1].startswith("↷ 2.") and shown[2].startswith("· 3.")
        assert viewer.step.number == 3, "the next step to do is in front"
        texts = [e.text for e in app.session.service.events(1)]
        assert any("step 2 skipped" in t and "(why: no access to the BI tool yet)" in t for t in texts)
    # A new console on the same database resumes where the incident is.
    again = demo_app()
    async with again.run_test(size=SIZE) as pilot:
        await open_runbooks_tab(pilot)
        await pilot.press("enter")
        await settled(pilot)
        viewer = again.screen
        assert isinstance(viewer, RunbookScreen)
        assert steps_shown(viewer)[0].startswith("✓ 1.") and steps_shown(viewer)[1].startswith("↷ 2.")
        assert viewer.step.number == 3


async def test_gathering_evidence_asks_first_then_keeps_what_the_warehouse_says(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("down", "down", "down")  # INC-2: Meta spend export missing (meta-ads-api)
        screen = await open_runbooks_tab(pilot)
        assert screen.incident.asset == "meta-ads-api"
        lines = listed(screen)
        assert lines[lines.index("Suggested for this incident") + 1].startswith("Third-Party API Failure")
        await pilot.press("enter")
        await settled(pilot)
        viewer = app.screen
        evidence = "\n".join(painted(viewer.query_one("#step-evidence")))
        assert "Query warehouse (sqlite, read-only)" in evidence and "FROM ad_spend" in evidence
        await pilot.press("g")
        confirm = app.screen
        assert isinstance(confirm, ConfirmEvidence) and "SELECT channel" in confirm.what
        await pilot.press("escape")  # nothing runs without a yes
        assert not app.session.runbook_service.evidence(2, "third-party-api-failure", 1)
        await pilot.press("g", "y")
        await settled(pilot)
        gathered = app.session.runbook_service.evidence(2, "third-party-api-failure", 1)
        assert len(gathered) == 1 and gathered[0].data["ok"]
        output = gathered[0].data["output"]
        assert "tiktok" in output and "meta" in output, output
        found = "\n".join(painted(viewer.query_one("#step-found")))
        assert "tiktok" in found
        await pilot.press("h")  # share it to Jira: an outbox entry, nothing to Slack
        await settled(pilot)
        assert app.session.service.events(2)[-1].kind is EventKind.EVIDENCE_SHARED


async def test_an_edited_runbook_file_is_picked_up_without_a_restart(demo_app, monkeypatch):
    from oncall.tui import session

    monkeypatch.setattr(session, "LIBRARY_CHECK_SECONDS", 0)  # the folder is looked at every time
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runbooks_tab(pilot)
        folder = app.session.root / "runbooks"
        (folder / "zz-exec-dashboard.md").write_text(
            "---\nid: exec-dashboard\ntitle: Exec Dashboard Wrong Before a Review\napplies_to: [metric-logic]\n"
            "assets: [cac-dashboard]\n---\n\n## Freeze the dashboard\n\nPut a banner on it.\n")
        (folder / "broken.md").write_text("---\nid: [not, a, string\n---\n")
        (folder / "zz-brackets.md").write_text(
            "---\nid: brackets\ntitle: Rows in [/tmp] [/] and [bold]markup[/]\nassets: [cac-dashboard]\n---\n\n"
            "## Stubborn [/] children\n\nx\n")
        await pilot.press("1", "5")
        await settled(pilot)
        lines = listed(screen)
        assert any(line.startswith("Exec Dashboard Wrong Before a Review") for line in lines)
        assert any(line.startswith("broken.md:") for line in lines), "a broken file is listed with why"
        assert any(line.startswith("Rows in [/tmp] [/] and [bold]markup[/]") for line in lines), "shown as written"
