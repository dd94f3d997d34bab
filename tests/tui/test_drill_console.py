"""A fire drill in the console: started from the drill screen, its DRILL banner on every screen,
injects arriving as notifications and in the drill channel, played end to end at high speed with
the normal incident screens, and its scorecard at the end."""

from __future__ import annotations

from datetime import timedelta

from oncall.domain.people import Role
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.tui.screens.drill_screen import DrillScreen
from oncall.tui.screens.incident import IncidentScreen

from tui_support import SIZE, painted, settled


def status_line(app) -> str:
    return " ".join(painted(app.screen.query_one("#status-line")))


async def start_cac_drill(pilot) -> DrillScreen:
    app = pilot.app
    await settled(pilot)
    await pilot.press("D")
    await settled(pilot)
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    assert "No drill is running" in " ".join(painted(screen.query_one("#drill-title")))
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*"cac", "tab", *"60", "enter")  # the CAC drill, 60 times faster
    await settled(pilot)
    return screen


async def test_play_the_cac_drill_end_to_end_at_high_speed(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        drill_screen = await start_cac_drill(pilot)
        run = app.session.drill_service.running()
        assert run is not None and run.scenario == "cac-sev2" and run.speed == 60
        assert "DRILL 1 · 0 min in · D: the drill channel · Weekly CAC up 340% before the 11 AM review" in status_line(app)
        channel = " ".join(painted(drill_screen.query_one("#drill-channel")))
        assert "Sofia Castro: Can someone from the data team confirm" in channel

        clock = app.session.clock
        clock.advance(timedelta(seconds=7))  # seven scenario minutes
        app.tick_drill()
        await settled(pilot)
        assert any("DRILL · " in str(n.title) for n in app._notifications), "injects arrive as notifications"

        await pilot.press("enter")  # the drill incident, on the normal incident screen
        await settled(pilot)
        incident_screen = app.screen
        assert isinstance(incident_screen, IncidentScreen)
        assert "DRILL" in status_line(app), "the banner stays on every screen"
        service = app.session.service
        service.change_severity(run.incident_id, Severity.SEV2, "the exec review uses it")
        service.change_status(run.incident_id, Status.INVESTIGATING)
        service.assign_role(run.incident_id, Role.SME, "lukas")
        clock.advance(timedelta(seconds=20))
        service.change_status(run.incident_id, Status.RESOLVED, "reloaded the missing day")
        app.tick_drill()
        await settled(pilot)
        assert app.session.drill_service.running() is None
        assert "DRILL" not in status_line(app)

        await pilot.press("D")
        await settled(pilot)
        card = app.screen.query_one("#drill-card")
        text = card.source if hasattr(card, "source") else ""
        assert "# Drill scorecard: Weekly CAC up 340% before the 11 AM review" in text
        assert "| Severity | SEV-2 (target SEV-2) | met |" in text


async def test_pause_and_end_from_the_drill_screen(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_cac_drill(pilot)
        await pilot.press("p")
        await settled(pilot)
        assert app.session.drill_service.running().paused
        assert "PAUSED" in " ".join(painted(screen.query_one("#drill-title")))
        await pilot.press("p")
        await settled(pilot)
        assert not app.session.drill_service.running().paused
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("enter")
        await settled(pilot)
        assert app.session.drill_service.running() is None
        [run] = app.session.drill_service.history()
        assert run.ended_early


async def test_a_drill_starts_from_the_command_palette(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        start = commands["Start drill: Meta Ads API renamed a field: link clicks are empty"]
        start.callback()
        await settled(pilot)
        assert isinstance(app.screen, DrillScreen)
        assert app.session.drill_service.running().scenario == "api-rename-sev3"
        assert not any(title.startswith("Start drill") for title in
                       (command.title for command in app.get_system_commands(app.screen))), "one drill at a time"


async def test_injects_another_process_delivered_are_shown_here_too(demo_app):
    from oncall.service.drills import DrillService
    from oncall.store.db import open_database

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        session = app.session
        # `oncall drill run --watch` in another terminal starts the drill and delivers its injects.
        other = DrillService(open_database(session.database.path), session.config, session.clock, "lukas",
                             session.root)
        other.start("cac-sev2", speed=60)
        session.clock.advance(timedelta(seconds=7))
        assert other.tick(), "the other process delivered them"
        app.tick_drill()
        await settled(pilot)
        titles = [str(n.title) for n in app._notifications]
        assert any("Sofia Castro" in title for title in titles) and any("Airflow" in title for title in titles)
        other.db.close()
