"""The queue as a person uses it: order, filters, search as you type, opening an incident."""

from __future__ import annotations

from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.queue import QueueScreen
from oncall.tui.widgets.queue_table import QueueTable

from tui_support import SIZE, shown


def visible_ids(table: QueueTable) -> list[int]:
    return [table.row_at(i).id for i in range(table.total)]


async def test_queue_lists_open_incidents_first_most_severe_first(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        rows = [table.row_at(i) for i in range(table.total)]
        assert table.total == 15
        open_rows = [r for r in rows if r.status in ("triage", "investigating", "identified", "monitoring")]
        assert rows[: len(open_rows)] == open_rows, "open incidents must come first"
        assert [r.severity for r in open_rows] == sorted(r.severity for r in open_rows)
        assert rows[0].title == "Weekly CAC up 340% on the exec dashboard"


async def test_search_filters_as_you_type(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.press(*"micr")
        table = app.screen.query_one(QueueTable)
        assert table.total == 1
        assert table.current.title == "Google Ads currency field changed to micros"
        await pilot.press("escape")  # clears the text
        assert table.total == 15
        await pilot.press(*"INC-12")
        assert table.current.id == 12


async def test_search_with_punctuation_never_breaks(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.press(*'"(AND*')
        table = app.screen.query_one(QueueTable)
        assert table.total == 0
        assert "matching" in shown(app.screen.query_one("#queue-summary"))
        assert "No incidents (x clears the filters): matching" in table.render_line(1).text


async def test_status_and_severity_filters_cycle(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        await pilot.press("s")  # open
        assert {table.row_at(i).status for i in range(table.total)} <= {"triage", "investigating", "identified", "monitoring"}
        assert table.total == 7
        await pilot.press("v")  # SEV-1
        assert [table.row_at(i).id for i in range(table.total)] == [1]
        await pilot.press("x")
        assert table.total == 15


async def test_enter_opens_the_incident_and_escape_returns(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        assert isinstance(app.screen, IncidentScreen)
        second = app.screen.incident
        assert second is not None and second.id == 4
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueTable).current.id == 4


async def test_every_footer_key_is_in_the_command_palette(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {command.title: command.help for command in app.get_system_commands(app.screen)}
        footer = {binding.description for _, binding, _, _ in app.screen.active_bindings.values() if binding.show}
        assert footer == {"Open", "Search", "Declare", "Report", "Status", "Severity", "Mine", "Clear", "People", "Quit",
                          "Sync", "Metrics"}
        assert footer <= set(commands)
        # The footer's words are short; the palette says what they do.
        assert commands["Status"].startswith("Filter by status")


async def test_end_reaches_the_last_incident_and_nothing_hides_under_a_scrollbar(demo_app):
    app = demo_app(synthetic=200)  # 215 incidents: more than a screenful
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        assert table.total == 215
        assert not table.show_horizontal_scrollbar, "the columns fit: no horizontal scrollbar"
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == 214
        visible = range(table.scroll_offset.y, table.scroll_offset.y + table.view_size.height)
        assert 214 in visible, "the last incident is on screen, not under a scrollbar"
        await pilot.press("home", *["down"] * table.view_size.height)
        assert table.cursor in range(table.scroll_offset.y, table.scroll_offset.y + table.view_size.height)


async def test_a_shorter_list_never_leaves_blank_rows_at_the_bottom(demo_app):
    app = demo_app(synthetic=200)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        await pilot.press("end")
        await pilot.pause()
        await pilot.press("slash", *"stale")  # far fewer rows
        await pilot.pause()
        assert table.scroll_offset.y <= table.max_scroll_y
        assert table.render_line(0).text.startswith("INC-")


async def test_messages_that_name_config_sections_show_them(demo_app):
    from oncall.tui.screens.sync_screen import SyncScreen
    from oncall.tui.widgets.status_line import StatusLine

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("S")
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, SyncScreen) and "oncall.toml" in shown(app.screen.query_one("#sync-detail")):
                break
        assert "no [jira] or [slack] in oncall.toml" in shown(app.screen.query_one("#sync-detail"))
        await pilot.press("escape")
        line = app.screen.query_one(StatusLine)
        line.show("failing: Jira — check [jira] email in oncall.toml", "failing")
        assert "check [jira] email" in shown(line)


async def test_typed_brackets_are_shown_as_typed(demo_app):
    from textual.widgets import Input

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"[SEV-1] [/x")
        await pilot.pause()
        assert "“[SEV-1] [/x”" in shown(app.screen.query_one("#queue-summary"))
        await app.screen.run_action("declare")
        await pilot.pause()
        form = app.screen
        form.query_one("#started", Input).value = "[/x]"
        await pilot.pause()
        assert "cannot read '[/x]'" in shown(form.query_one("#started-error"))


async def test_wide_characters_and_the_largest_id_keep_the_columns_in_place(demo_app):
    from rich.cells import cell_len

    from oncall.domain.severity import Severity
    from oncall.service.incidents import Declaration

    app = demo_app()
    service = app.session.service
    titles = ["日本語のタイトル", "CAC 📉 dropped 🔥", "Zalgo t\u0351e\u0360xt"]
    for title in titles:
        service.declare(Declaration(title=title, severity=Severity.SEV1, asset="cac-dashboard"))
    with service.db.write() as conn:  # the largest id the store allows
        conn.execute("INSERT INTO incidents (id, title, severity, severity_rank, status, queue_group, asset, source, "
                     "detected_at, updated_at) VALUES (16777215, 'The largest id', 'SEV-1', 1, 'investigating', 0, "
                     "'cac-dashboard', 'alert', '2026-11-27T09:00:00Z', '2026-11-27T09:59:00Z')")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        lines = [table.render_line(y).text for y in range(1, 6)]
        assert any("INC-16777215 " in line for line in lines)  # in full
        starts = {cell_len(line[:line.index("cac-dashboard")]) for line in lines if "cac-dashboard" in line}
        assert len(starts) == 1, lines  # the asset column starts in the same cell on every row
