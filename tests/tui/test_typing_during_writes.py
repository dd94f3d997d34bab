"""Another process writes to the incident while a person types: no key is lost, nothing is laid out
again, and the new events are appended where the reader can see them (issue 18)."""

from __future__ import annotations

from textual import events

from oncall.domain.clock import FrozenClock
from oncall.service.incidents import IncidentService
from oncall.store.db import open_database
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.modals import TextScreen
from oncall.tui.widgets.timeline import TimelineView

from tui_support import NOW, SIZE, open_timeline, settled, timeline_text, wait_for

NOTE = "Vendor re-sent the 06:00 file; CAC back to 41.20 (was 4,120.00) - checking Q3 too!"


def add_notes(service: IncidentService, count: int, text: str) -> int:
    """Add `count` notes to INC-1; return how many events it has then."""
    with service.db.write():
        for n in range(count):
            service.add_note(1, text.format(n=n))
    return len(service.events(1))


def other_process(app) -> IncidentService:
    """A second connection to the console's database file, as the command line would open."""
    database = open_database(app.session.database.path)
    return IncidentService(database, app.session.config, FrozenClock(NOW), "teammate")


async def test_a_fast_typist_loses_no_key_while_another_process_writes(demo_app):
    app = demo_app()
    total = add_notes(app.session.service, 600, "checked partition {n} of stg_ad_spend against the vendor export")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen) and len(screen.events) == total
        teammate = other_process(app)
        await pilot.press("n")
        assert isinstance(app.screen, TextScreen)
        # The keys arrive as fast as a terminal delivers a burst of typing, without waiting for
        # the console; every few keys the other process commits and the console notices.
        for index, char in enumerate(NOTE):
            key = events.Key(char if char.isalnum() else _key_name(char), char)
            app._driver.send_message(key)
            if index % 6 == 0:
                teammate.add_note(1, f"outside note {index}")
                app.check_for_changes()
        await pilot.pause()
        await wait_for(pilot, lambda: app.screen.query_one("#text").value == NOTE)
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is screen
        texts = [event.text for event in app.session.service.events(1)]
        assert texts[-1] == NOTE, "the note was saved as typed"
        outside = [f"outside note {index}" for index in range(0, len(NOTE), 6)]
        assert [text for text in texts if text.startswith("outside note")] == outside
        shown = timeline_text(screen).splitlines()
        for text in outside:  # each outside note once, in order, on the Timeline tab
            assert sum(line.endswith(text) for line in shown) == 1, text
        assert shown[-1].endswith(NOTE)
        teammate.db.close()


def _key_name(char: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(char)


async def test_an_outside_change_appends_without_laying_out_the_timeline_again(demo_app, monkeypatch):
    app = demo_app()
    total = add_notes(app.session.service, 600, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter", "2")
        await settled(pilot)
        screen = app.screen
        view = screen.query_one("#timeline", TimelineView)
        assert len(view.events) == total
        wrapped: list[str] = []
        from oncall.tui.widgets import timeline

        real_wrap = timeline.wrap
        monkeypatch.setattr(timeline, "wrap", lambda text, width: wrapped.append(text) or real_wrap(text, width))
        teammate = other_process(app)
        teammate.add_note(1, "rows for 11-26 landed after the retry")
        app.check_for_changes()
        await wait_for(pilot, lambda: view.text_lines()[-1].endswith("rows for 11-26 landed after the retry"))
        await pilot.pause()
        assert len(view.events) == total + 1
        # Only the new event is laid out on the Timeline tab (the Overview re-lays its last few).
        assert wrapped.count("rows for 11-26 landed after the retry") <= 2
        assert len(wrapped) <= 2 + 40, f"{len(wrapped)} events laid out again for one new one"
        assert view.scroll_y == view.max_scroll_y, "the reader at the newest line follows it"
        teammate.db.close()


async def test_a_reader_scrolled_up_stays_on_the_same_lines_when_events_arrive(demo_app):
    app = demo_app()
    total = add_notes(app.session.service, 300, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter", "2")
        await settled(pilot)
        view = app.screen.query_one("#timeline", TimelineView)
        await pilot.press("home")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("pagedown")
        await pilot.pause()
        before = view.scroll_y
        first_line = [strip.text for strip in view.render_lines(view.region.reset_offset)][0]
        teammate = other_process(app)
        teammate.add_note(1, "a new finding")
        app.check_for_changes()
        await wait_for(pilot, lambda: len(view.events) == total + 1)
        await pilot.pause()
        assert view.scroll_y == before
        assert [strip.text for strip in view.render_lines(view.region.reset_offset)][0] == first_line
        await pilot.press("end")
        await pilot.pause()
        assert "a new finding" in view.text_lines()[-1]
        teammate.db.close()


async def test_older_events_arriving_above_keep_the_reader_on_the_same_event(demo_app):
    """The tab shows the newest events at once; the older ones, read after, arrive above them."""
    app = demo_app()
    total = add_notes(app.session.service, 2_000, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        screen = app.screen
        assert screen.whole and len(screen.events) == total
        assert f"2: all {total:,} events" in str(screen.query_one("#latest-title").render())
        await pilot.press("2")
        view = screen.query_one("#timeline", TimelineView)
        view.show(screen.events[-60:])  # as it is before the older events are read
        await pilot.pause()
        view.scroll_to(y=view.max_scroll_y - 5, animate=False)
        await pilot.pause()
        top = view.render_lines(view.region.reset_offset)[0].text
        assert "note 19" in top and "declared" not in top, top  # among the newest, scrolled up
        view.show(list(screen.events))
        await pilot.pause()
        assert view.render_lines(view.region.reset_offset)[0].text == top
        assert "SEV-1 declared on cac-dashboard" in view.text_lines()[0]


async def test_the_queue_under_an_open_incident_shows_outside_changes_when_it_comes_back(demo_app):
    from oncall.domain.severity import Severity
    from oncall.service.incidents import Declaration
    from oncall.tui.widgets.queue_table import QueueTable

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        queue = app.screen
        await pilot.press("enter")
        await settled(pilot)
        teammate = other_process(app)
        teammate.declare(Declaration(title="Exec dashboard blank", severity=Severity.SEV1, asset="cac-dashboard"))
        app.check_for_changes()
        await pilot.pause()
        assert app.screen is not queue
        await pilot.press("escape")
        await settled(pilot)
        table = queue.query_one(QueueTable)
        assert table.total == 16
        assert "Exec dashboard blank" in [table.row_at(i).title for i in range(table.total)]
        teammate.db.close()


async def test_the_incident_under_a_form_catches_up_when_the_form_closes(demo_app):
    """While a person types into a form, an outside change leaves the dimmed incident behind it as
    it is (repainting it would blend the whole screen again under each key); closing the form shows
    the change, and what was typed is saved."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_timeline(pilot)
        screen = app.screen
        shown = len(view.events)
        await pilot.press("n")
        assert isinstance(app.screen, TextScreen)
        await pilot.press(*"rows back")
        teammate = other_process(app)
        for n in range(3):
            teammate.add_note(1, f"teammate's finding {n}")
            app.check_for_changes()
            await pilot.pause()
        assert len(view.events) == shown, "the incident behind the form was read again"
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is screen
        texts = view.text_lines()
        assert [line.split("  ")[-1] for line in texts[-4:]] == [
            "teammate's finding 0", "teammate's finding 1", "teammate's finding 2", "rows back"]
        teammate.db.close()


async def test_home_pressed_with_the_timeline_tab_still_being_laid_out_reaches_the_oldest(demo_app):
    from textual.actions import SkipAction

    app = demo_app()
    total = add_notes(app.session.service, 300, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        screen = app.screen
        screen.action_show_tab("timeline")  # `2` and `home` typed at once: no frame in between
        view = screen.query_one("#timeline", TimelineView)
        try:
            view.action_scroll_home()
        except SkipAction:  # nothing to scroll yet; the key still counts
            pass
        await pilot.pause()
        assert view.scroll_y == 0
        assert "declared" in view.render_lines(view.region.reset_offset)[0].text


async def test_an_id_that_now_names_another_incident_shows_that_incidents_timeline(tmp_path, monkeypatch):
    from oncall.demo.generate import generate_incidents, remove_synthetic
    from oncall.demo.install import copy_demo_config
    from oncall.domain.clock import FrozenClock
    from oncall.store.db import open_database
    from oncall.tui.app import OncallApp
    from oncall.workspace.loader import load_workspace

    monkeypatch.setenv("ONCALL_USER", "maya")
    root = tmp_path / "synthetic"
    copy_demo_config(root)
    workspace = load_workspace(root)
    database = open_database(root / "oncall.db")
    generate_incidents(database, workspace.config, 5, NOW, seed=1)  # only synthetic history
    app = OncallApp(workspace, clock=FrozenClock(NOW), database=database, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        screen = IncidentScreen(1)
        await app.push_screen(screen)
        await settled(pilot)
        before = [e.text for e in screen.events]
        teammate = other_process(app)
        remove_synthetic(teammate.db)  # `oncall demo remove`, then `demo generate --seed 2`: ids reused
        generate_incidents(teammate.db, app.session.config, 5, NOW, seed=2)
        expected = [e.text for e in teammate.events(1)]
        assert expected and expected != before
        app.check_for_changes()
        await settled(pilot)
        assert [e.text for e in screen.events] == expected
        assert timeline_text(screen).splitlines()[-1].endswith(expected[-1])
        teammate.db.close()
