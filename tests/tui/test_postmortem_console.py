"""The Post-mortem tab and editor: a draft from the timeline, sections saved as you type, a
teammate's save never silently lost, action items with their overdue flag, the root cause and
a repeat of an earlier incident."""

from __future__ import annotations

from textual.widgets import TextArea

from oncall.domain.postmortem import Section
from oncall.service.postmortems import PostmortemService
from oncall.store.db import open_database
from oncall.domain.clock import FrozenClock
from oncall.tui.screens import postmortem_editor
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.postmortem_editor import PostmortemEditor

from tui_support import SIZE, painted, settled, wait_for

CRM, GOOGLE_ADS, TIME_ZONE, REPEAT = 12, 6, 7, 14  # the demo's incidents (see demo/samples.py)


async def open_tab(pilot, incident_id: int) -> IncidentScreen:
    await settled(pilot)
    await pilot.app.push_screen(IncidentScreen(incident_id))
    await settled(pilot)
    await pilot.press("6")
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


def tab_text(screen) -> str:
    return "\n".join(painted(screen.query_one("#postmortem-status")) + painted(screen.query_one("#postmortem-list")))


async def test_a_complete_post_mortem_shows_its_status_items_and_the_overdue_one(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, CRM)
        text = tab_text(screen)
        assert "Post-mortem complete · by Grace Lin" in text
        assert "Root cause  The vendor's CRM API began returning" in text
        assert "OVERDUE   A-4" in text.replace("  OVERDUE ", "OVERDUE   ") or "OVERDUE A-4" in text
        assert "A-3  [high] Alert when the CRM export's row count drops" in text and "done" in text
        assert "vendor-api-pagination" in text


async def test_a_repeat_of_an_earlier_incident_says_so_and_how_its_items_went(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, REPEAT)
        assert "RECURRING: same asset and cause as INC-8" in tab_text(screen)
        assert "its action items: 1 of 1 done" in tab_text(screen)


async def test_draft_write_and_autosave_a_section(demo_app, monkeypatch):
    monkeypatch.setattr(postmortem_editor, "AUTOSAVE_SECONDS", 0.01)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, TIME_ZONE)
        assert "No post-mortem yet: enter drafts one from the timeline" in tab_text(screen)
        await pilot.press("enter")
        await settled(pilot)
        editor = app.screen
        assert isinstance(editor, PostmortemEditor) and editor.section is Section.SUMMARY
        assert "New-customer counts off by one day" in editor.query_one(TextArea).text, "drafted from the timeline"
        await pilot.press("ctrl+n")  # to Impact
        await pilot.pause()
        assert editor.section is Section.IMPACT
        editor.query_one(TextArea).move_cursor((0, 0))
        await pilot.press(*"EU signups were a day late in every daily report. ")
        service = app.session.postmortem_service
        await wait_for(pilot, lambda: service.get(TIME_ZONE).text(Section.IMPACT).startswith("EU signups"))
        # Saved while the editor is still open: a terminal closed now loses nothing typed before.
        assert "by Maya Okafor" in " ".join(painted(editor.query_one("#pm-saved")))


async def test_a_teammates_save_meanwhile_is_told_and_neither_text_is_lost(demo_app, monkeypatch):
    monkeypatch.setattr(postmortem_editor, "AUTOSAVE_SECONDS", 0.01)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, GOOGLE_ADS)  # drafted in the demo
        await pilot.press("enter")  # the Summary
        await settled(pilot)
        editor = app.screen
        assert isinstance(editor, PostmortemEditor)
        # Tom saves the same section from his own laptop's copy of the database.
        database = open_database(app.session.database.path)
        tom = PostmortemService(database, app.session.config, FrozenClock(app.session.clock.now()), "tom")
        base = tom.get(GOOGLE_ADS).sections[Section.SUMMARY].revision
        assert not tom.save_section(GOOGLE_ADS, Section.SUMMARY, "Tom's summary.", base).conflict
        await pilot.press(*"Mine: ")
        await wait_for(pilot, lambda: editor.theirs is not None)
        banner = " ".join(painted(editor.query_one("#pm-conflict")))
        assert "Tom Brandt saved this section" in banner and "ctrl+o keeps yours" in banner
        assert tom.get(GOOGLE_ADS).text(Section.SUMMARY) == "Tom's summary.", "his save stands until I choose"
        await pilot.press("ctrl+o")  # keep mine
        await pilot.pause()
        mine = tom.get(GOOGLE_ADS).text(Section.SUMMARY)
        assert mine.startswith("Mine: ")
        kept = [text for _, text, _, _, _ in tom.store.revisions(GOOGLE_ADS, Section.SUMMARY)]
        assert "Tom's summary." in kept, "his text stays in the history"
        database.close()


async def test_add_an_action_item_and_mark_it_done(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, TIME_ZONE)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"Store timestamps in UTC at the CRM boundary")
        form = app.screen
        form.query_one("#action-owner").value = "priya"
        form.query_one("#action-due").value = "+7d"
        await pilot.press("ctrl+s")
        await settled(pilot)
        [item] = app.session.postmortem_service.actions_of(TIME_ZONE)
        assert item.owner == "priya" and item.due.isoformat() == "2026-12-04"
        assert f"{item.ref}  [medium] Store timestamps in UTC" in tab_text(screen)


async def test_the_queue_counts_overdue_action_items(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        summary = " ".join(painted(app.screen.query_one("#queue-summary")))
        assert "1 action item overdue" in summary, summary
