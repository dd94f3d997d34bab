"""The metrics screen (`M` from the queue): the monthly review's figures for the last 12 months,
with sparklines of the trend, grouped by month (or `b`: severity, asset, source of detection,
root cause). `c` shows what the incidents cost the team instead: the hours each person held a role
on them while they were open (by month, asset or cause). `enter` on a figure lists the incidents
behind it; `enter` on one opens it.

Drills are never counted. The definitions are on the screen (and in docs/metrics.md). Months are
drawn in the workspace's `[metrics] time_zone` (UTC unless it says otherwise).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static
from textual.worker import Worker, WorkerState, get_current_worker

from oncall.domain.metrics import COST_GROUPINGS, GROUPINGS, ROLE_ORDER, format_duration, format_hours
from oncall.tui.screens.picker import PickScreen
from oncall.tui.thread_work import releasing
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.status_line import StatusLine

# (column label, figure asked of `incidents_behind` when a cell of it is chosen)
COLUMNS = (("", ""), ("incidents", "incidents"), ("TTD median", "ttd"), ("TTD p90", "ttd"), ("TTR median", "ttr"),
           ("TTR p90", "ttr"), ("recurring", "recurring"), ("by alerts", "internal"),
           ("by users", "user_reported"), ("post-mortems", "incidents"), ("updates on time", "late_updates"),
           ("overrides", "overrides"))
ROLE_LABELS = {"ic": "IC", "sme": "SME", "lead": "Lead", "pm": "PM"}
DEFINITIONS = ("TTD = declared − the data went bad · TTR = resolved − declared (to the last resolution) · recurring = "
               "same asset and cause within 90 days · updates on time = SEV-1/2 updates sent by when the cadence "
               "wanted them · a missing time is missing, never zero · drills are never counted")
COST_DEFINITION = ("Hours each person held a role (IC, SME, Lead, PM) on an incident while it was open: from the role "
                   "given to the role ended or handed on, or the incident resolved (now, if still open); by the month "
                   "the incident was detected, its asset or its cause. Drills are never counted.")


class MetricsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Queue", id="metrics.back"),
        Binding("b", "regroup", "Group by", id="metrics.by"),
        Binding("c", "cost", "Cost", id="metrics.cost",
                tooltip="What incidents cost the team: person-hours on roles (key: c; again for the figures)"),
        Binding("enter", "drill_down", "Incidents behind it", id="metrics.drill"),
    ]
    DEFAULT_CSS = """
    MetricsScreen #metrics-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    MetricsScreen #metrics-trends { height: 4; }
    MetricsScreen .trend { width: 1fr; height: 3; margin: 0 1; border-top: blank; border-title-align: left;
                           border-title-color: $text; border-title-style: none; }
    MetricsScreen DataTable { height: 1fr; }
    /* A tall terminal has room for every row: the table is as tall as they are, the summary under it. */
    MetricsScreen.-tall DataTable { height: auto; max-height: 30; }
    MetricsScreen.-tall #metrics-summary { margin-top: 1; }
    MetricsScreen.-tall #metrics-definitions { height: 1fr; }
    MetricsScreen #metrics-summary, MetricsScreen #metrics-definitions { height: auto; padding: 0 1; }
    MetricsScreen #metrics-definitions { color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.by = "month"
        self.cost_by = "month"
        self.view = "figures"  # or "cost"
        self.report = None
        self.cost = None
        self._cost_buckets: list[str] = []

    @property
    def service(self):
        from oncall.service.metrics import MetricsService

        session = self.app.session
        return MetricsService(session.database, session.config, session.clock)

    def compose(self) -> ComposeResult:
        yield Static("Metrics · reading…", id="metrics-title", markup=False)
        with Horizontal(id="metrics-trends"):
            for key, label in (("incidents", "incidents a month"), ("ttd", "TTD median"), ("ttr", "TTR median"),
                               ("internal", "found by alerts")):
                trend = Sparkline([], id=f"trend-{key}", classes="trend")
                trend.border_title = label  # the label on the sparkline's blank top border: one widget, not three
                yield trend
        yield DataTable(id="metrics-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="metrics-summary", markup=False)
        yield Static(DEFINITIONS, id="metrics-definitions", markup=False)
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.refresh_status_line(self)
        self.show()

    @work(thread=True, exclusive=True, group="metrics", exit_on_error=False)
    @releasing
    def show(self) -> None:
        """Read in a worker and show what was read (after `b` and `c` too): the figures, or the hours
        on roles with `c`."""
        service, worker = self.service, get_current_worker()
        if self.view == "figures":
            report, cost = service.report(by=self.by), None
        else:
            cost = service.cost(by=self.cost_by)
            report = self.report or service.report(by=self.by)  # for the summary under the hours
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, report, cost)

    def _show(self, report, cost) -> None:
        self.report, self.cost = report, cost
        self._update_texts()
        if self.view == "figures" and self.by == "month":
            months = report.buckets
            self.query_one("#trend-incidents", Sparkline).data = [b.incidents for b in months]
            self.query_one("#trend-ttd", Sparkline).data = [(b.ttd.median_s or 0) / 3600 for b in months]
            self.query_one("#trend-ttr", Sparkline).data = [(b.ttr.median_s or 0) / 3600 for b in months]
            self.query_one("#trend-internal", Sparkline).data = [b.internal_share or 0 for b in months]
        self._fill_table()
        if cost is None:  # the summary's line of hours once the figures are on screen
            self.call_after_refresh(self._read_hours)

    @work(thread=True, exclusive=True, group="metrics-hours", exit_on_error=False)
    @releasing
    def _read_hours(self) -> None:
        cost = self.service.cost(by="month")
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_hours, cost)

    def _show_hours(self, cost) -> None:
        if self.view == "figures":
            self.cost = cost
            self._update_texts()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group in ("metrics", "metrics-hours"):
            self.notify(f"The metrics could not be read: {event.worker.error}", severity="error", markup=False)

    def _update_texts(self) -> None:
        title, summary, definitions = self._texts()
        self.query_one("#metrics-title", Static).update(title, layout=False)  # one line, always
        self.query_one("#metrics-summary", Static).update(summary)
        shown = self.query_one("#metrics-definitions", Static)
        if shown.content != definitions:
            shown.update(definitions)

    def _fill_table(self) -> None:
        self.query_one("#metrics-trends").display = self.view == "figures" and self.by == "month"
        if self.view == "cost":
            self._show_cost()
        else:
            self._show_figures()

    def _texts(self) -> tuple[str, str, str]:
        """The title, the summary under the table, and the definitions."""
        report, cost = self.report, self.cost
        if self.view == "cost":
            title = (f"What incidents cost the team · hours on roles while open · {cost.start:%Y-%m-%d} to "
                     f"{cost.end:%Y-%m-%d} ({cost.time_zone}) · by {self.cost_by} · b groups otherwise · enter lists "
                     "a person's incidents")
        else:
            title = (f"Metrics · {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} ({report.time_zone}) · by {self.by} "
                     "· b groups otherwise · enter lists the incidents behind a figure")
        total = report.total
        on_time = "" if total.updates_on_time_share is None else f" ({100 * total.updates_on_time_share:.0f}%)"
        hours = "Hours on roles …"
        if cost is not None:
            people = cost.people()
            names = ", ".join(f"{person} {format_hours(seconds)}" for person, seconds in people[:3])
            hours = f"Hours on roles {format_hours(cost.total_seconds)}" + (
                f": {names}{', …' if len(people) > 3 else ''}" if names else "")
        summary = (f"Action items {report.action_items_closed} closed, {report.action_items_overdue} overdue · "
                   f"post-mortems {total.postmortems_complete}/{total.postmortems_due} · updates on time "
                   f"{total.updates_on_time}/{total.updates_owed}{on_time}\n"
                   + hours + (" · c: who, as what" if self.view == "figures" else " · c: the figures"))
        return title, summary, COST_DEFINITION if self.view == "cost" else DEFINITIONS

    def _show_figures(self) -> None:
        report = self.report
        _fill(self.query_one(DataTable), [label or self.by for label, _ in COLUMNS],
              [(bucket.key, self._row(bucket)) for bucket in (*report.buckets, report.total)])

    def _show_cost(self) -> None:
        cost = self.cost
        buckets = [b for b in cost.buckets if any(h.bucket == b for h in cost.hours)]
        self._cost_buckets = buckets
        rows = [(person, (person, format_hours(seconds),
                          *(format_hours(cost.seconds(person, role=role)) for role in ROLE_ORDER),
                          *(format_hours(cost.seconds(person, bucket)) for bucket in buckets)))
                for person, seconds in cost.people()]
        if cost.hours:
            rows.append(("total", ("total", format_hours(cost.total_seconds),
                                   *(format_hours(sum(h.seconds for h in cost.hours if h.role == role))
                                     for role in ROLE_ORDER),
                                   *(format_hours(sum(h.seconds for h in cost.hours if h.bucket == b)) for b in buckets))))
        _fill(self.query_one(DataTable), ["person", "total", *(ROLE_LABELS[role] for role in ROLE_ORDER), *buckets], rows)

    def _row(self, bucket) -> tuple[str, ...]:
        share = "–" if bucket.internal_share is None else f"{100 * bucket.internal_share:.0f}%"
        missing_ttd = f" ({bucket.ttd.missing} missing)" if bucket.ttd.missing else ""
        return (bucket.key, str(bucket.incidents), format_duration(bucket.ttd.median_s) + missing_ttd,
                format_duration(bucket.ttd.p90_s), format_duration(bucket.ttr.median_s), format_duration(bucket.ttr.p90_s),
                str(bucket.recurring), share, str(bucket.user_reported),
                f"{bucket.postmortems_complete}/{bucket.postmortems_due}",
                f"{bucket.updates_on_time}/{bucket.updates_owed}", str(bucket.overrides))

    def action_regroup(self) -> None:
        if self.view == "cost":
            self.cost_by = COST_GROUPINGS[(COST_GROUPINGS.index(self.cost_by) + 1) % len(COST_GROUPINGS)]
        else:
            self.by = GROUPINGS[(GROUPINGS.index(self.by) + 1) % len(GROUPINGS)]
        self.show()

    def action_cost(self) -> None:
        self.view = "figures" if self.view == "cost" else "cost"
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
        if self.view == "cost":
            person = None if key == "total" else key
            bucket = self._cost_buckets[column - 2 - len(ROLE_ORDER)] if column >= 2 + len(ROLE_ORDER) else None
            role = ROLE_ORDER[column - 2] if 2 <= column < 2 + len(ROLE_ORDER) else None
            ids = self.service.incidents_held(person, role, bucket, self.cost_by, self.cost.start, self.cost.end)
            label = " · ".join(part for part in (person or "everyone", ROLE_LABELS.get(role or "", ""), bucket) if part)
        else:
            figure = COLUMNS[column][1] or "incidents"
            ids = self.service.incidents_behind(key if key != self.report.total.key else None, self.by, figure,
                                                self.report.start, self.report.end)
            label = f"{COLUMNS[column][0] or 'incidents'} · {key}"
        if not ids:
            self.notify("No incidents behind that figure", markup=False)
            return
        service = self.app.session.service
        choices = []
        for incident_id in ids[:500]:
            incident = service.get(incident_id)
            choices.append((str(incident_id), f"{incident.ref}  {incident.severity.value}  {incident.status.value}  "
                                              f"{incident.title}"))
        self.app.push_screen(PickScreen(f"{label}: {len(ids)} incident{'s' if len(ids) != 1 else ''}"
                                        + (" (the first 500)" if len(ids) > 500 else ""), choices, note_hint=None),
                             self._open)

    def _open(self, chosen) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        if chosen:
            self.app.push_screen(IncidentScreen(int(chosen[0])))


def _fill(table: DataTable, labels: list[str], rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """Replace the table's columns and rows. Each column is as wide as its widest cell, set here
    rather than measured by the table later, so the screen looks the same however soon it is painted."""
    table.clear(columns=True)
    for n, label in enumerate(labels):
        table.add_column(label, width=max([len(label), *(len(cells[n]) for _, cells in rows)]))
    for key, cells in rows:
        table.add_row(*cells, key=key)
