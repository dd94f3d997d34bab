"""Roles in the console: assign with a picker that filters as you type, hand the IC off, remove,
the RACI tab with names, the queue's "mine" filter, and the people screen."""

from __future__ import annotations

from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.picker import PickScreen
from oncall.tui.widgets.queue_table import QueueTable

from tui_support import SIZE, painted, settled, timeline_text


async def open_roles(pilot) -> IncidentScreen:
    await settled(pilot)
    await pilot.press("enter", "3")  # INC-1, the Roles tab
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


def roles_text(screen) -> str:
    return "\n".join(painted(screen.query_one("#role-table")))


async def test_assign_an_sme_by_typing_part_of_a_name(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roles(pilot)
        assert "Lukas Meyer (lukas)" in roles_text(screen)
        await pilot.press("a")
        assert isinstance(app.screen, PickScreen)
        await pilot.press(*"expert", "enter")  # the role: Subject Matter Expert
        picker = app.screen
        assert isinstance(picker, PickScreen) and picker is not None
        assert picker.shown[0] in {"maya", "tom", "priya"}, "people the roster allows as SME come first"
        assert "lukas" not in picker.shown, "already an SME here"
        await pilot.press(*"tom")
        assert picker.shown == ["tom"]
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is screen
        assert "Tom Brandt (tom)" in roles_text(screen)
        assert "tom is Subject Matter Expert" in timeline_text(screen)


async def test_hand_off_the_ic_from_the_roles_tab_and_remove_an_sme(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roles(pilot)
        await pilot.press("a", *"incident", "enter", *"priya", "tab", *"end of shift", "enter")
        await settled(pilot)
        assert screen.incident.ic == "priya"
        assert "IC handed from maya to priya: end of shift" in timeline_text(screen)
        header = "\n".join(painted(screen.query_one("#incident-header")))
        assert "IC Priya" in header
        await pilot.press("x")
        picker = app.screen
        assert isinstance(picker, PickScreen)
        assert picker.shown == ["sme:lukas", "lead:grace", "pm:omar"], "the IC is handed off, never removed"
        await pilot.press("enter")
        await settled(pilot)
        assert "lukas is no longer Subject Matter Expert" in timeline_text(screen)
        assert "Lukas" not in roles_text(screen)


async def test_a_filter_that_matches_nobody_says_so_and_applies_nothing(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roles(pilot)
        before = len(screen.events)
        await pilot.press("a", "enter", *"zzz", "enter", "enter")
        picker = app.screen
        assert isinstance(picker, PickScreen) and picker.shown == []
        assert "Nobody matches 'zzz'" in "\n".join(painted(picker.query_one("#pick-error")))
        await pilot.press("escape")
        await settled(pilot)
        assert len(screen.events) == before


async def test_the_raci_tab_names_people_and_marks_what_is_yours(demo_app):
    app = demo_app()  # ONCALL_USER=maya, the IC of INC-1
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("enter", "4")
        await settled(pilot)
        chart = painted(app.screen.query_one("#raci-chart"))
        assert chart[0].split() == ["Activity", "IC", "Maya", "SME", "Lukas", "Lead", "Grace", "PM", "Omar"]
        assert chart[1].split() == ["Declare", "Incident", "[R]", "A", "C", "I"]
        assert chart[3].split() == ["Investigate", "Root", "Cause", "C", "R", "A", "I"]
        yours = "\n".join(painted(app.screen.query_one("#raci-yours")))
        assert "Responsible for Declare Incident, Communicate Status" in yours


async def test_mine_shows_only_incidents_where_you_hold_a_role(demo_app):
    app = demo_app()  # maya: IC of INC-1, INC-4, INC-8, INC-12
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        table = app.screen.query_one(QueueTable)
        everyone = table.total
        await pilot.press("m")
        await settled(pilot)
        mine = [table.row_at(i) for i in range(table.total)]
        assert 0 < len(mine) < everyone
        holders = app.session.service
        assert all(row.ic == "maya" or "maya" in holders.roles(row.id).people for row in mine)
        assert "mine (maya)" in "\n".join(painted(app.screen.query_one("#queue-summary")))
        await pilot.press("m")
        await settled(pilot)
        assert table.total == everyone


async def test_the_people_screen_shows_who_carries_what(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("P")
        await settled(pilot)
        lines = painted(app.screen.query_one("#people-table"))
        lukas = next(line for line in lines if "(lukas)" in line)
        assert "SME INC-1" in lukas
        sofia = next(line for line in lines if "(sofia)" in line)
        assert sofia.rstrip().endswith("free")
        await pilot.press("escape")
        assert app.screen.query_one(QueueTable)
