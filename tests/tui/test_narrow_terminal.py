"""The console at 80×24 and at 160×50, and resizing between them while it runs."""

from __future__ import annotations

import pytest

from oncall.tui.widgets.queue_table import QueueTable

from tui_support import settled, shown

WIDE, NARROW = (160, 50), (80, 24)


def columns_shown(app) -> list[str]:
    """The column titles over the queue, as a person reads them."""
    return shown(app.screen.query_one("#queue-header")).split()


def first_row(app) -> str:
    return app.screen.query_one(QueueTable).render_line(0).text


async def test_queue_columns_drop_as_it_narrows_and_come_back_as_it_widens(demo_app):
    app = demo_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert columns_shown(app) == ["ID", "SEV", "STATUS", "DUE", "TITLE", "ASSET", "IC", "AGE", "UPDATED"]
        assert "cac-dashboard" in first_row(app) and "22m ago" in first_row(app)

        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        # Least needed first: updated, age, asset, the update countdown (the summary line counts the
        # overdue ones); the IC stays, and the title takes the room.
        assert columns_shown(app) == ["ID", "SEV", "STATUS", "TITLE", "IC"]
        row = first_row(app)
        assert "cac-dashboard" not in row and "ago" not in row
        assert "Weekly CAC up 340% on the exec das" in row and row.rstrip().endswith("maya")
        assert len(row) == 80, "nothing runs past the right edge, nothing is cut there"

        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert columns_shown(app) == ["ID", "SEV", "STATUS", "DUE", "TITLE", "IC"]

        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert columns_shown(app) == ["ID", "SEV", "STATUS", "DUE", "TITLE", "ASSET", "IC", "AGE", "UPDATED"]
        assert "cac-dashboard" in first_row(app) and "22m ago" in first_row(app)


@pytest.mark.parametrize("keys", [[], ["enter"], ["enter", "2"]], ids=["queue", "overview", "timeline"])
async def test_after_a_resize_the_screen_is_the_one_a_fresh_start_at_that_size_shows(demo_app, keys):
    """Resizing leaves nothing behind: 160×50 → 80×24 → 160×50 paints exactly what a console
    started at each size paints."""
    pictures = {}
    for sizes in ([NARROW], [WIDE], [WIDE, NARROW], [NARROW, WIDE]):
        app = demo_app()
        async with app.run_test(size=sizes[0]) as pilot:
            await settled(pilot)
            await pilot.press(*keys)
            await settled(pilot)
            for size in sizes[1:]:
                await pilot.resize_terminal(*size)
                await settled(pilot)
            pictures[tuple(sizes)] = app.export_screenshot(title="resize")
    assert pictures[(WIDE, NARROW)] == pictures[(NARROW,)]
    assert pictures[(NARROW, WIDE)] == pictures[(WIDE,)]
