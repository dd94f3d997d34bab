"""The metrics screen (`M` from the queue): the monthly review's figures for the last 12 months,
with sparklines of the trend, grouped by month (or `b`: severity, asset, source of detection,
root cause). `enter` on a figure lists the incidents behind it; `enter` on one opens it.

Drills are never counted. The definitions are on the screen (and in docs/metrics.md).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static

from oncall.domain.metrics import format_duration
from oncall.tui.screens.picker import PickScreen
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.status_line import StatusLine

GROUPINGS = ("month", "severity", "asset", "source", "cause")
# (column label, figure asked of `incidents_behind` when a cell of it is chosen)
COLUMNS = (("", ""), ("incidents", "incidents"), ("TTD median", "ttd"), ("TTD p90", "ttd"), ("TTR median", "ttr"),
           ("TTR p90", "ttr"), ("recurring", "recurring"), ("found by alerts", "internal"),
           ("user reports", "user_reported"), ("post-mortems", "incidents"), ("overrides", "overrides"))
DEFINITIONS = ("TTD = declared − the data went bad; TTR = resolved − declared (a reopened incident: to its last "
               "resolution); recurring = same asset and root cause within 90 days; a missing time is counted as "
               "missing, never as zero; drills are never counted")


class MetricsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Queue", id="metrics.back"),
        Binding("b", "regroup", "Group by", id="metrics.by"),
        Binding("enter", "drill_down", "Incidents behind it", id="metrics.drill"),
    ]
    DEFAULT_CSS = """
    MetricsScreen #metrics-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    MetricsScreen #metrics-trends { height: 4; }
    MetricsScreen .trend { width: 1fr; height: 4; padding: 0 1; }
    MetricsScreen .trend Static { height: 1; }
    MetricsScreen .trend Sparkline { height: 2; }
    MetricsScreen DataTable { height: 1fr; }
    MetricsScreen #metrics-summary, MetricsScreen #metrics-definitions { height: auto; padding: 0 1; }
    MetricsScreen #metrics-definitions { color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.by = "month"
        self.report = None

    @property
    def service(self):
        from oncall.service.metrics import MetricsService

        session = self.app.session
        return MetricsService(session.database, session.config, session.clock)

    def compose(self) -> ComposeResult:
        yield Static("", id="metrics-title", markup=False)
        with Horizontal(id="metrics-trends"):
            for key, label in (("incidents", "incidents a month"), ("ttd", "TTD median"), ("ttr", "TTR median"),
                               ("internal", "share found by alerts")):
                with Vertical(classes="trend"):
                    yield Static(label, markup=False)
                    yield Sparkline([], id=f"trend-{key}")
        yield DataTable(id="metrics-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="metrics-summary", markup=False)
        yield Static(DEFINITIONS, id="metrics-definitions", markup=False)
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show()
        self.app.refresh_status_line(self)

    def show(self) -> None:
        report = self.report = self.service.report(by=self.by)
        self.query_one("#metrics-title", Static).update(
            f"Metrics · {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} ({report.time_zone}) · by {self.by} · "
            "b groups otherwise · enter lists the incidents behind a figure")
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(label or self.by for label, _ in COLUMNS))
        for bucket in (*report.buckets, report.total):
            table.add_row(*self._row(bucket), key=bucket.key)
        if self.by == "month":
            months = report.buckets
            self.query_one("#trend-incidents", Sparkline).data = [b.incidents for b in months]
            self.query_one("#trend-ttd", Sparkline).data = [(b.ttd.median_s or 0) / 3600 for b in months]
            self.query_one("#trend-ttr", Sparkline).data = [(b.ttr.median_s or 0) / 3600 for b in months]
            self.query_one("#trend-internal", Sparkline).data = [
                b.internal_share or 0 for b in months]
        self.query_one("#metrics-trends").display = self.by == "month"
        self.query_one("#metrics-summary", Static).update(
            f"Action items: {report.action_items_closed} closed, {report.action_items_overdue} overdue  ·  "
            f"post-mortems of SEV-1/2: {report.total.postmortems_complete} of {report.total.postmortems_due} complete")

    def _row(self, bucket) -> tuple[str, ...]:
        share = "–" if bucket.internal_share is None else f"{100 * bucket.internal_share:.0f}%"
        missing_ttd = f" ({bucket.ttd.missing} missing)" if bucket.ttd.missing else ""
        return (bucket.key, str(bucket.incidents), format_duration(bucket.ttd.median_s) + missing_ttd,
                format_duration(bucket.ttd.p90_s), format_duration(bucket.ttr.median_s), format_duration(bucket.ttr.p90_s),
                str(bucket.recurring), share, str(bucket.user_reported),
                f"{bucket.postmortems_complete}/{bucket.postmortems_due}", str(bucket.overrides))

    def action_regroup(self) -> None:
        self.by = GROUPINGS[(GROUPINGS.index(self.by) + 1) % len(GROUPINGS)]
        self.show()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()  # enter on a figure (the table takes enter before the screen's binding)
        self.action_drill_down()

    def action_drill_down(self) -> None:
        table = self.query_one(DataTable)
        if self.report is None or table.row_count == 0:
            return
        row, column = table.cursor_coordinate
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        figure = COLUMNS[column][1] or "incidents"
        ids = self.service.incidents_behind(key if key != self.report.total.key else None, self.by, figure,
                                            self.report.start, self.report.end)
        if not ids:
            self.notify("No incidents behind that figure", markup=False)
            return
        service = self.app.session.service
        choices = []
        for incident_id in ids[:500]:
            incident = service.get(incident_id)
            choices.append((str(incident_id), f"{incident.ref}  {incident.severity.value}  {incident.status.value}  "
                                              f"{incident.title}"))
        label = COLUMNS[column][0] or "incidents"
        self.app.push_screen(PickScreen(f"{label} · {key}: {len(ids)} incident{'s' if len(ids) != 1 else ''}"
                                        + (" (the first 500)" if len(ids) > 500 else ""), choices, note_hint=None),
                             self._open)

    def _open(self, chosen) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        if chosen:
            self.app.push_screen(IncidentScreen(int(chosen[0])))
