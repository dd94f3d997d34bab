"""Closing an incident lets go of its timeline at once: thousands of rows are not left for a
garbage-collector pass that would meet every closed screen's rows together (issue 18)."""

from __future__ import annotations

import gc

from oncall.store.timeline import TimelineRow
from oncall.tui.screens.incident import IncidentScreen

from tui_support import SIZE, settled
from test_typing_during_writes import add_notes


def rows_alive() -> int:
    return sum(isinstance(thing, TimelineRow) for thing in gc.get_objects())


async def test_closing_an_incident_lets_go_of_its_timeline_at_once(demo_app):
    app = demo_app()
    total = add_notes(app.session.service, 2_000, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        gc.collect()
        before = rows_alive()
        gc.disable()  # what is freed now is freed without the collector
        try:
            for _ in range(3):
                await pilot.press("enter", "2")
                await settled(pilot)
                assert isinstance(app.screen, IncidentScreen) and len(app.screen.events) == total
                await pilot.press("escape")
                await settled(pilot)
            assert rows_alive() - before < total, "closed incidents still hold their timelines"
        finally:
            gc.enable()
