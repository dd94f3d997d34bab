"""A form never loses what was typed: when the database is held by another process (or the
save fails for any reason a person can act on) it stays open with the text and says why; enter
tries again. A quick double enter saves once and closes one screen."""

from __future__ import annotations

import sqlite3

from textual.widgets import Input, Select

from oncall.tui.screens.declare import DeclareScreen
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.modals import TextScreen
from oncall.tui.widgets.queue_table import QueueTable

from tui_support import SIZE, shown, wait_for


def hold_the_database(app) -> sqlite3.Connection:
    """Another process in the middle of a long write (a big `oncall demo generate`, say)."""
    other = sqlite3.connect(app.session.database.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def open_first_incident(pilot):
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen) and pilot.app.screen.incident)


async def test_a_note_typed_while_the_database_is_busy_stays_on_screen_until_it_is_saved(demo_app):
    app = demo_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_incident(pilot)
        incident_id = app.screen.incident_id
        before = len(app.session.service.events(incident_id))
        await pilot.press("n", *"row counts back to normal")
        other = hold_the_database(app)
        try:
            await pilot.press("enter")
            form = app.screen
            assert isinstance(form, TextScreen), "the form must stay open"
            assert form.query_one("#text", Input).value == "row counts back to normal"
            assert "is busy" in shown(form.query_one("#text-error"))
        finally:
            other.execute("ROLLBACK")
            other.close()
        await pilot.press("enter")  # try again, now that it is free
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen))
        events = app.session.service.events(incident_id)
        assert len(events) == before + 1 and events[-1].text == "row counts back to normal"


async def test_a_double_enter_saves_one_note_and_stays_on_the_incident(demo_app):
    app = demo_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_incident(pilot)
        incident_id = app.screen.incident_id
        before = len(app.session.service.events(incident_id))
        await pilot.press("n", *"checked the export", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, IncidentScreen)
        assert len(app.session.service.events(incident_id)) == before + 1


async def test_a_refused_change_keeps_the_choice_and_the_reason(demo_app):
    app = demo_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_incident(pilot)
        await pilot.press("v")  # severity: choose one, give a reason, then the database is busy
        await pilot.press("enter", *"exec review in an hour")
        other = hold_the_database(app)
        try:
            await pilot.press("enter")
            form = app.screen
            assert "is busy" in shown(form.query_one("#reason-error"))
            assert form.query_one("#reason", Input).value == "exec review in an hour"
        finally:
            other.execute("ROLLBACK")
            other.close()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen))
        assert app.session.service.events(app.screen.incident_id)[-1].text.endswith("exec review in an hour")


async def test_declare_keeps_the_form_when_busy_and_declares_once_on_a_double_enter(demo_app):
    app = demo_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", *"Signups flat since 06:00")
        form = app.screen
        form.query_one("#severity", Select).value = "SEV-2"
        form.query_one("#asset", Select).value = "crm-signups"
        await pilot.pause()
        other = hold_the_database(app)
        try:
            await pilot.press("ctrl+s")
            assert app.screen is form and form.query_one("#title", Input).value == "Signups flat since 06:00"
            assert "is busy" in shown(form.query_one("#title-error"))
        finally:
            other.execute("ROLLBACK")
            other.close()
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, DeclareScreen)
        table = app.screen.query_one(QueueTable)
        assert table.total == 16 and table.current.title == "Signups flat since 06:00"
