"""The metrics screen (M): the last 12 months of the demo's incidents by month, regrouped with b,
and a drill-down from a figure to the incidents behind it, opened in the incident screen."""

from __future__ import annotations

from textual.widgets import DataTable

from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.metrics_screen import MetricsScreen
from oncall.tui.screens.picker import PickScreen

from tui_support import SIZE, painted, settled


async def test_metrics_by_month_regroup_and_drill_down(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("M")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 13, "twelve months and the total"
        total = table.get_row_at(table.row_count - 1)
        drills = sum(1 for i in range(1, 17) if _is_drill(app, i))
        assert total[0] == "total" and int(total[1]) == screen.report.total.incidents > 0
        assert drills == 0 or int(total[1]) < 16, "drills are never counted"
        assert "drills are never counted" in " ".join(painted(screen.query_one("#metrics-definitions")))
        await pilot.press("b")
        await settled(pilot)
        assert screen.by == "severity"
        assert [table.get_row_at(i)[0] for i in range(table.row_count)][:3] == ["SEV-1", "SEV-2", "SEV-3"]
        table.move_cursor(row=0, column=1)  # SEV-1 incidents
        await pilot.press("enter")
        await settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickScreen) and picker.shown
        assert all(app.session.service.get(int(value)).severity.value == "SEV-1" for value in picker.shown)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, IncidentScreen)


def _is_drill(app, incident_id: int) -> bool:
    try:
        return app.session.service.get(incident_id).is_drill
    except LookupError:
        return False
