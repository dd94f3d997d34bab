"""Intake in the console: a report from the queue (r), the IC's decision on a triage item (s), and
the Lineage tab (7) with an open incident upstream one enter away."""

from __future__ import annotations

from textual.widgets import Input, Select, Tree

from oncall.domain.incident import EventKind
from oncall.domain.status import Status
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.queue import QueueScreen
from oncall.tui.screens.report import ReportScreen
from oncall.tui.screens.triage import TriageScreen
from oncall.tui.tabs.lineage_tab import LineageTab

from tui_support import SIZE, painted, settled


def _sent(app, incident_id: int) -> list[str]:
    return [e.data["template"] for e in app.session.service.events(incident_id) if e.kind is EventKind.UPDATE_SENT]


async def test_a_report_from_the_queue_opens_a_triage_item_once(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("r")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, ReportScreen)
        assert form.query_one("#reporter", Input).value == "maya", "the person at the console, on the roster"
        await pilot.press(*"EMEA spend is zero")
        await pilot.press("ctrl+s", "ctrl+s")  # fast hands: one report, one screen closed
        await settled(pilot)
        assert isinstance(app.screen, QueueScreen)
        newest = max(row[0] for row in app.session.database.conn.execute("SELECT id FROM incidents"))
        incident = app.session.service.get(newest)
        assert incident.title == "EMEA spend is zero" and incident.status is Status.TRIAGE
        assert incident.reported_by == "maya" and _sent(app, newest) == ["reporter-acknowledged.md.j2"]
        count = app.session.database.conn.execute("SELECT count(*) FROM incidents WHERE title = ?",
                                                  ("EMEA spend is zero",)).fetchone()[0]
        assert count == 1


async def test_a_report_without_text_or_reporter_stays_open_saying_why(demo_app, monkeypatch):
    monkeypatch.setenv("ONCALL_USER", "nobody-here")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("r")
        await settled(pilot)
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert "Say what looks wrong" in " ".join(painted(app.screen.query_one("#report-error")))
        await pilot.press(*"numbers odd", "ctrl+s")
        await settled(pilot)
        assert "Say who noticed it" in " ".join(painted(app.screen.query_one("#report-error")))
        assert app.screen.query_one("#text", Input).value == "numbers odd", "nothing typed is lost"


async def _open_new_report(app, pilot, reporter: str = "sofia") -> int:
    reported = app.session.intake_service.report(reporter, "CAC doubled on the board")
    incident_id = reported.incident.id
    app.push_screen(IncidentScreen(incident_id))
    await settled(pilot)
    return incident_id


async def test_triage_declare_asks_for_the_asset_then_tells_the_reporter(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        incident_id = await _open_new_report(app, pilot)
        await pilot.press("s")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, TriageScreen)
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "Choose the affected asset first" in " ".join(painted(form.query_one("#triage-error")))
        form.query_one("#asset", Select).value = "cac-dashboard"
        form.query_one("#severity", Select).value = "SEV-2"
        await pilot.press("ctrl+s", "ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen) and app.screen.incident_id == incident_id
        incident = app.session.service.get(incident_id)
        assert (incident.status, incident.severity.value, incident.asset) == (
            Status.INVESTIGATING, "SEV-2", "cac-dashboard")
        assert _sent(app, incident_id) == ["reporter-acknowledged.md.j2", "reporter-declared.md.j2"]


async def test_triage_dismiss_needs_a_reason_the_reporter_reads(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        incident_id = await _open_new_report(app, pilot)
        await pilot.press("s")
        await settled(pilot)
        await pilot.press("ctrl+d")
        await settled(pilot)
        assert isinstance(app.screen, TriageScreen)
        assert app.screen.focused is app.screen.query_one("#reason")
        await pilot.press(*"holiday in DE", "enter", "enter")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert app.session.service.get(incident_id).status is Status.DISMISSED
        assert _sent(app, incident_id)[-1] == "reporter-dismissed.md.j2"


async def test_lineage_tab_marks_open_incidents_and_opens_one(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        app.push_screen(IncidentScreen(1))  # the demo's SEV-1 on the CAC dashboard
        await settled(pilot)
        await pilot.press("7")
        await settled(pilot)
        tab = app.screen.query_one(LineageTab)
        text = "\n".join(painted(tab))
        assert "Upstream" in text and "Downstream" in text
        assert "Meta Marketing API" in text and "● INC-2 SEV-2 investigating" in text
        tree = app.screen.query_one(Tree)
        target = next(node for node in _nodes(tree.root) if node.data == "INC-2")
        tree.move_cursor(target)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen) and app.screen.incident_id == 2


def _nodes(node):
    for child in node.children:
        yield child
        yield from _nodes(child)


async def test_ctrl_d_in_the_reason_box_dismisses_and_keeps_every_letter(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        incident_id = await _open_new_report(app, pilot)
        await pilot.press("s")
        await settled(pilot)
        app.screen.query_one("#reason").focus()
        await pilot.press(*"a real campaign", "home", "ctrl+d")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen)
        events = app.session.service.events(incident_id)
        status = next(e for e in reversed(events) if e.kind is EventKind.STATUS_CHANGED)
        assert status.data["reason"] == "a real campaign"


async def test_enter_on_an_asset_with_two_incidents_asks_which(demo_app):
    from oncall.tui.screens.picker import PickScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        app.push_screen(IncidentScreen(1))
        await settled(pilot)
        await pilot.press("7")
        await settled(pilot)
        tree = app.screen.query_one(Tree)
        target = next(node for node in _nodes(tree.root) if node.data and "," in node.data)
        refs = target.data.split(",")
        tree.move_cursor(target)
        await pilot.press("enter")
        await settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickScreen)
        assert target.is_expanded or not target.children, "enter does not fold the tree"
        await pilot.press("down", "enter")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen) and f"INC-{app.screen.incident_id}" in refs
