"""The incident screen: a steady header, tabs switched with number keys, each with its own keys."""

from __future__ import annotations

from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.tui.messages import DataChanged
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.modals import TextScreen
from oncall.tui.tabs.overview import OverviewTab
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.timeline import TimelineView

from tui_support import painted, settled, shown, timeline_text, wait_for

NARROW, WIDE = (80, 24), (160, 50)


def header(screen) -> list[str]:
    return [line.strip() for line in painted(screen.query_one("#incident-header"))]


def footer(screen) -> str:
    return painted(screen.query_one(KeyFooter))[0]


def tab_in_front(screen) -> str:
    """The tab a person sees: the one shown, and the one the tab strip marks."""
    shown_tabs = [tab.id for tab in screen.tabs if tab.display]
    assert len(shown_tabs) == 1 and screen.query_one("#tab-strip").active == shown_tabs[0]
    return shown_tabs[0]


def visible_lines(view: TimelineView) -> list[str]:
    return [line.strip() for line in painted(view)]


async def open_first_incident(pilot) -> object:
    await settled(pilot)
    await pilot.press("enter")  # INC-1
    await settled(pilot)
    return pilot.app.screen


async def test_number_keys_and_tab_switch_tabs_and_the_footer_follows(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        assert tab_in_front(screen) == "overview"
        assert "i Impact" in footer(screen) and "a Hand off" in footer(screen)
        assert "Newest" not in footer(screen)

        await pilot.press("2")
        assert tab_in_front(screen) == "timeline"
        assert "end Newest" in footer(screen)
        assert "Impact" not in footer(screen), "the Overview's keys go with it"
        # Keys for the whole incident stay on every tab.
        for key in ("esc Queue", "s Status", "v Severity", "n Note", "^p palette"):
            assert key in footer(screen)

        await pilot.press("1")
        assert tab_in_front(screen) == "overview"
        await pilot.press("tab")
        assert tab_in_front(screen) == "timeline"
        await pilot.press("tab", "tab", "tab")
        assert tab_in_front(screen) == "runbooks"
        await pilot.press("tab")
        assert tab_in_front(screen) == "postmortem"
        await pilot.press("tab")
        assert tab_in_front(screen) == "lineage"
        await pilot.press("tab")
        assert tab_in_front(screen) == "overview", "tab goes round"
        await pilot.press("shift+tab")
        assert tab_in_front(screen) == "lineage"
        await pilot.press("3")
        assert tab_in_front(screen) == "roles"
        assert "a Assign" in footer(screen) and "x Remove" in footer(screen)


async def test_a_click_on_a_tab_name_brings_it_up(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        await pilot.click("#tab-strip", offset=(16, 0))  # on "2 Timeline"
        assert tab_in_front(screen) == "timeline"
        assert "end Newest" in footer(screen)


async def test_the_footer_shows_the_tab_keys_where_there_is_room(demo_app):
    app = demo_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_incident(pilot)
        assert "1 2 3 4 5 6 7 Tabs" in footer(screen)
        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        # At 80 columns the tab keys are the first to go: the tabs themselves show them.
        assert "Tabs" not in footer(screen) and "n Note" in footer(screen)
        assert painted(screen.query_one("#tab-strip"))[0].split() == ["1", "Overview", "2", "Timeline", "3", "Roles", "4", "RACI", "5", "Runbooks", "6", "Post-mortem",
                                                                   "7", "Lineage"]


async def test_every_key_of_every_tab_is_in_the_palette_and_brings_its_tab_up(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        await pilot.press("2")
        commands = {command.title: command for command in app.get_system_commands(screen)}
        # The footer's keys, and the Overview's too though it is behind.
        assert {"Queue", "Overview", "Timeline", "Status", "Severity", "Note", "Oldest", "Newest",
                "Impact", "ETA", "Hand off"} <= set(commands)
        await commands["Impact"].callback()
        await pilot.pause()
        assert tab_in_front(screen) == "overview"
        assert isinstance(app.screen, TextScreen) and "Impact" in shown(app.screen.query_one(".modal-title"))


async def test_the_header_stays_the_same_on_every_tab(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        top, second = header(screen)
        for word in ("SEV-1", "INC-1", "IDENTIFIED", "Weekly CAC up 340% on the exec dashboard"):
            assert word in top
        assert "IC Maya Okafor (maya)" in second
        assert screen.query_one("#incident-header").size.height == 2
        await pilot.press("2")
        assert header(screen) == [top, second]


async def test_a_drill_says_so_in_the_header(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        await settled(pilot)
        drill = app.session.service.declare(Declaration(
            title="Rehearsal: CAC dashboard blank", severity=Severity.SEV2, asset="cac-dashboard",
            source=DetectionSource.DRILL))
        await app.push_screen(IncidentScreen(drill.id))
        await settled(pilot)
        top, second = header(app.screen)
        assert top.startswith("DRILL") and "SEV-2" in top
        assert second.startswith("drill: not counted in metrics, nothing sent to stakeholders")


async def test_the_overview_at_80x24_shows_each_field_on_its_line_and_the_latest_entries(demo_app):
    app = demo_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        facts = screen.query_one("#facts")
        lines = [" ".join(line.split()) for line in shown(facts, width=facts.content_region.width).splitlines()]
        for line in ("asset Weekly CAC dashboard (dashboard, critical, owner sofia)",
                     "check upstream fct-weekly-cac",
                     "IC Maya Okafor (maya)",
                     "ETA Backfill running; right numbers within the hour",
                     "next investigating, monitoring, resolved (s)"):
            assert line in lines, lines
        assert any(line.startswith("impact CAC for week 47 shows $412") for line in lines)
        latest = visible_lines(screen.query_one(OverviewTab).latest)
        assert len(latest) >= 3, "room is left for the timeline"
        assert any("ETA: Backfill running" in line for line in latest[-2:]), "the newest entry is at the bottom"


async def test_the_timeline_tab_opens_at_the_newest_entry_of_a_long_timeline(demo_app):
    app = demo_app()
    service = app.session.service
    with service.db.write():
        for n in range(300):
            service.add_note(1, f"note {n}: checked partition {n} of stg_ad_spend against the vendor export")
    total = len(service.events(1))
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_first_incident(pilot)
        assert f"2: all {total} events" in shown(screen.query_one("#latest-title"))
        await pilot.press("2")
        await pilot.pause()
        lines = visible_lines(screen.query_one("#timeline", TimelineView))
        assert "note 299:" in lines[-2] or "note 299:" in lines[-1], lines
        await pilot.press("home")
        await pilot.pause()
        assert "SEV-1 declared on cac-dashboard" in visible_lines(screen.query_one("#timeline", TimelineView))[0]
        assert "note 299:" in timeline_text(screen)


async def test_the_headers_age_moves_on_while_the_incident_is_open(demo_app, monkeypatch):
    from datetime import timedelta

    from oncall.tui import app as console
    from oncall.tui.widgets.incident_header import IncidentHeader

    monkeypatch.setattr(console, "AGE_REFRESH_SECONDS", 0.05)
    app = demo_app(poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.incident)
        header = app.screen.query_one(IncidentHeader)
        before = " ".join(painted(header))
        assert "declared 48m ago" in before
        app.clock.advance(timedelta(hours=3))
        await wait_for(pilot, lambda: "declared 3h ago" in " ".join(painted(header)))


async def test_a_long_unbroken_word_is_readable_whole_on_the_timeline(demo_app):
    from oncall.tui.widgets.timeline import TimelineView

    url = "https://lookerstudio.example.com/reporting/" + "a1b2c3d4e5" * 19  # 233 characters, no space
    app = demo_app(poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.incident)
        app.session.service.add_note(app.screen.incident_id, "see " + url)
        app.screen.post_message(DataChanged())
        await pilot.press("2")
        view = app.screen.query_one("#timeline", TimelineView)
        on_screen = lambda: "".join(line.strip() for line in painted(view)).replace(" ", "")  # noqa: E731
        await wait_for(pilot, lambda: url in on_screen())
        assert all(len(line) <= 80 for line in painted(view))
