"""The metrics screen (M): the last 12 months of the demo's incidents by month, regrouped with b,
a drill-down from a figure to the incidents behind it, opened in the incident screen; and `c`,
what the incidents cost the team (person-hours on roles), with its own drill-down."""

from __future__ import annotations

from textual.widgets import DataTable

from oncall.demo.history import seed_history
from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.screens.metrics_screen import MetricsScreen
from oncall.tui.screens.picker import PickScreen

from tui_support import NOW, SIZE, painted, settled


def with_history(app):
    """The demo console with its year of history (as `make run` seeds it)."""
    seed_history(app.session.database, app.session.config, NOW)
    return app


async def test_metrics_by_month_regroup_and_drill_down(demo_app):
    app = with_history(demo_app())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("M")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 13, "twelve months and the total"
        total = table.get_row_at(table.row_count - 1)
        assert total[0] == "total" and int(total[1]) == screen.report.total.incidents > 15
        drills = app.session.database.conn.execute("SELECT count(*) FROM incidents WHERE is_drill = 1").fetchone()[0]
        declared = app.session.database.conn.execute(
            "SELECT count(*) FROM incidents WHERE declared_at IS NOT NULL AND is_drill = 0").fetchone()[0]
        assert int(total[1]) == declared, f"every declared incident but the {drills} drills"
        first, last = screen.report.buckets[0], screen.report.buckets[-2]  # a year ago, and last month
        assert first.internal_share < last.internal_share, "alerts took over from user reports"
        assert first.ttd.median_s > last.ttd.median_s and first.ttr.median_s > last.ttr.median_s
        on_time = table.get_row_at(table.row_count - 1)[10]
        assert on_time == f"{screen.report.total.updates_on_time}/{screen.report.total.updates_owed}"
        assert "drills are never counted" in " ".join(" ".join(painted(screen.query_one("#metrics-definitions"))).split())
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


async def test_what_incidents_cost_the_team(demo_app):
    app = with_history(demo_app())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("M")
        await settled(pilot)
        screen = app.screen
        summary = " ".join(painted(screen.query_one("#metrics-summary")))
        assert "Hours on roles" in summary and "c: who, as what" in summary
        await pilot.press("c")
        await settled(pilot)
        table = screen.query_one(DataTable)
        people = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert people[-1] == "total" and {"maya", "tom", "priya"} <= set(people)
        assert [str(c.label) for c in table.columns.values()][:6] == ["person", "total", "IC", "SME", "Lead", "PM"]
        grace = table.get_row_at(people.index("grace"))
        assert grace[4] != "—" and grace[2] == grace[3] == "—", "Grace leads SEV-1s; she is never IC or SME"
        assert "while it was open" in " ".join(" ".join(painted(screen.query_one("#metrics-definitions"))).split())
        table.move_cursor(row=people.index("lukas"), column=3)  # lukas as SME
        await pilot.press("enter")
        await settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickScreen) and picker.shown
        assert all("lukas" in app.session.service.roles(int(value)).sme for value in picker.shown)
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("b")  # person-hours by asset
        await settled(pilot)
        assert screen.cost_by == "asset" and "cac-dashboard" in [str(c.label) for c in table.columns.values()]
        await pilot.press("c")  # back to the figures
        await settled(pilot)
        assert screen.view == "figures" and table.get_row_at(table.row_count - 1)[0] == "total"
