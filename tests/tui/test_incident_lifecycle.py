"""Declaring from the console and moving an incident through its lifecycle."""

from __future__ import annotations

from textual.widgets import Button, Input, OptionList, Select

from oncall.tui.screens.declare import DeclareScreen
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.triage import TriageScreen
from oncall.tui.widgets.queue_table import QueueTable

from tui_support import SIZE, shown, timeline_text, wait_for


async def test_declare_validates_as_you_type_and_selects_the_new_incident(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        form = app.screen
        assert isinstance(form, DeclareScreen)
        declare = form.query_one("#declare", Button)
        assert declare.disabled, "an empty form cannot be declared"
        await pilot.press(*"Signups flat since 06:00")
        assert declare.disabled, "severity and asset are still missing"
        form.query_one("#severity", Select).value = "SEV-1"
        form.query_one("#asset", Select).value = "crm-signups"
        await pilot.pause()
        form.query_one("#started", Input).value = "yesterday-ish"
        await pilot.pause()
        assert declare.disabled
        assert "cannot read 'yesterday-ish'" in shown(form.query_one("#started-error"))
        form.query_one("#started", Input).value = "-3h"
        await pilot.pause()
        assert not declare.disabled
        assert "2026-11-27T07:00:00Z" in shown(form.query_one("#started-error"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        assert table.total == 16
        assert table.current.title == "Signups flat since 06:00"
        assert table.current.severity == "SEV-1"
        incident = app.session.service.get(table.current.id)
        assert incident.started_at.isoformat() == "2026-11-27T07:00:00+00:00"
        kinds = [e.kind.value for e in app.session.service.events(incident.id)]
        assert kinds == ["declared", "ic_assigned"]


async def test_declare_can_be_cancelled_without_a_trace(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.press(*"oops")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(QueueTable).total == 15


async def test_status_moves_only_along_the_lifecycle(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"Brazil", "enter", "enter")  # INC-3, in triage
        screen = app.screen
        assert isinstance(screen, IncidentScreen) and screen.incident.id == 3
        await pilot.press("s")  # in triage: the IC declares it or dismisses it (screens/triage.py)
        assert isinstance(app.screen, TriageScreen)
        # Dismissing needs a reason: without one the form stays and says so.
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert "Say why it is not an incident" in shown(app.screen.query_one("#triage-error"))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s", "ctrl+s")
        await pilot.pause()
        assert screen.incident.status.value == "investigating"
        await wait_for(pilot, lambda: "triage → investigating" in timeline_text(screen))
        await pilot.press("s")  # declared: the lifecycle's next steps, not the triage form
        options = app.screen.query_one(OptionList)
        offered = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert offered == ["identified", "monitoring", "resolved"]


async def test_closing_a_sev1_before_its_post_mortem_needs_a_reason(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"INC-6", "enter", "enter")  # SEV-1 resolved
        screen = app.screen
        await pilot.press("s", "enter", "enter")
        assert "A reason is needed for closed" in shown(app.screen.query_one("#reason-error"))
        await pilot.press(*"post-mortem held in person", "enter")
        await pilot.pause()
        assert screen.incident.status.value == "closed"
        kinds = [e.kind.value for e in app.session.service.events(6)]
        assert kinds[-2:] == ["status_changed", "close_override"]


async def test_note_severity_impact_and_eta_land_on_the_timeline(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # INC-1
        screen = app.screen
        await pilot.press("n", *"checked the CRM export", "enter")
        await pilot.press("v", "enter", *"only internal dashboards", "enter")
        await pilot.press("i", "ctrl+u", *"exec dashboard wrong", "enter")
        await pilot.press("e", "ctrl+u", *"11:30 UTC", "enter")
        await pilot.pause()
        incident = screen.incident
        assert incident.severity.value == "SEV-2"
        assert incident.impact == "exec dashboard wrong"
        assert incident.eta == "11:30 UTC"
        await wait_for(pilot, lambda: "ETA: 11:30 UTC" in timeline_text(screen))
        timeline = timeline_text(screen)
        for text in ("checked the CRM export", "SEV-1 → SEV-2: only internal dashboards",
                     "impact: exec dashboard wrong", "ETA: 11:30 UTC"):
            assert text in timeline


async def test_handing_off_the_ic_role_keeps_the_note(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # INC-1, IC maya
        screen = app.screen
        await pilot.press("a", "enter", *"going off shift", "enter")
        await pilot.pause()
        assert screen.incident.ic != "maya"
        await wait_for(pilot, lambda: f"IC handed from maya to {screen.incident.ic}: going off shift"
                       in timeline_text(screen))


async def test_a_new_workspace_without_assets_can_still_declare(tmp_path):
    from oncall.domain.clock import FrozenClock
    from oncall.tui.app import OncallApp
    from oncall.workspace.loader import load_workspace
    from oncall.workspace.template import WORKSPACE_TEMPLATE
    from tui_support import NOW

    root = tmp_path / "fresh"
    root.mkdir()
    (root / "oncall.toml").write_text(WORKSPACE_TEMPLATE)  # what `oncall init` writes: no assets yet
    workspace = load_workspace(root)
    app = OncallApp(workspace, clock=FrozenClock(NOW), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        form = app.screen
        await pilot.press(*"Weekly CAC shows zero")
        form.query_one("#severity", Select).value = "SEV-2"
        await pilot.pause()
        assert form.query_one("#declare", Button).disabled
        form.query_one("#asset", Input).focus()
        await pilot.press(*"cac dashboard")
        assert not form.query_one("#declare", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        assert table.total == 1
        assert (table.current.title, table.current.asset) == ("Weekly CAC shows zero", "cac dashboard")


async def test_the_declare_form_records_who_reported_it(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        form = app.screen
        await pilot.press(*"Brazil blank on the ROI dashboard")
        form.query_one("#severity", Select).value = "SEV-3"
        form.query_one("#asset", Select).value = "marketing-roi-dashboard"
        form.query_one("#reported", Input).value = "ana at acme"
        await pilot.pause()
        declare = form.query_one("#declare", Button)
        assert declare.disabled
        assert "'ana at acme' is not on the roster" in shown(form.query_one("#reported-error"))
        form.query_one("#reported", Input).value = "ana.silva@acme.example"
        await pilot.pause()
        assert not declare.disabled and not form.query_one("#reported-error").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        incident = app.session.service.get(app.screen.query_one(QueueTable).current.id)
        assert incident.reported_by == "ana.silva@acme.example"
