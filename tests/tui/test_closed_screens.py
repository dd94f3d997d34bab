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


async def test_a_closed_incident_screen_is_freed_soon_after_it_closes(demo_app):
    """What the screen leaves in reference cycles (its widgets, their caches) is collected by the
    console a moment after it closes, one screen at a time, not in one long pass over dozens."""
    import weakref

    from tui_support import wait_for

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        closed = []
        gc.disable()  # only the console's own collections run
        try:
            for _ in range(2):
                await pilot.press("enter")
                await settled(pilot)
                await pilot.press("n")  # a form opened and closed over it changes nothing,
                await pilot.press("escape")
                await settled(pilot)
                await pilot.press("S")  # nor a page (the sync screen) closed over it
                await settled(pilot)
                assert not isinstance(app.screen, IncidentScreen)
                await pilot.press("escape")
                await settled(pilot)
                assert isinstance(app.screen, IncidentScreen)
                closed.append(weakref.ref(app.screen))
                await pilot.press("escape")
                await wait_for(pilot, lambda: all(screen() is None for screen in closed), seconds=3)
        finally:
            gc.enable()
