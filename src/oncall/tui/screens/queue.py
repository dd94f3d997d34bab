"""The incident queue: open incidents first, most severe first; filter, search, open, declare."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

if TYPE_CHECKING:
    from oncall.domain.incident import Incident

from oncall.domain.severity import Severity
from oncall.domain.status import ACTIVE, Status
from oncall.store.action_items import ActionItemRepository
from oncall.store.cadence import CadenceRepository
from oncall.store.queue import QueueFilter
from oncall.tui.messages import DataChanged, WorkspaceLoaded
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.queue_table import QueueTable, header_text
from oncall.tui.widgets.search_box import SearchBox
from oncall.tui.widgets.status_line import StatusLine
from oncall.workspace.paths import current_actor

AGE_REFRESH_SECONDS = 30

# What `s` steps through: everything, what needs work now, then each status on its own.
STATUS_FILTERS: tuple[tuple[str, frozenset[Status]], ...] = (
    ("all", frozenset()),
    ("open", ACTIVE),
    *((status.value, frozenset({status})) for status in Status),
)
SEVERITY_FILTERS: tuple[tuple[str, frozenset[Severity]], ...] = (
    ("all", frozenset()),
    *((severity.value, frozenset({severity})) for severity in Severity),
)


class QueueScreen(Screen):
    BINDINGS = [
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("d", "declare", "Declare", id="queue.declare"),
        Binding("r", "report", "Report", id="queue.report",
                tooltip="Report data that looks wrong: a triage item, and the reporter is answered (key: r)"),
        # Short words, so that every key fits in an 80-column footer; the palette says more.
        Binding("s", "cycle_status", "Status", id="queue.status_filter",
                tooltip="Filter by status: all, open, then each status in turn (key: s)"),
        Binding("v", "cycle_severity", "Severity", id="queue.severity_filter",
                tooltip="Filter by severity: all, then SEV-1, SEV-2, SEV-3 (key: v)"),
        Binding("x", "clear_filters", "Clear", id="queue.clear", tooltip="Clear the filters and the search (key: x)"),
        Binding("escape", "leave_search", "Leave search", show=False),
        Binding("q", "app.quit", "Quit", id="app.quit"),
        Binding("m", "mine", "Mine", id="queue.mine",
                tooltip="Only incidents where you ($ONCALL_USER) hold a role; again for all (key: m)"),
        Binding("P", "people", "People", id="queue.people",
                tooltip="The roster: who is on call now and next, and who holds which roles (key: P)"),
        Binding("S", "app.open_sync", "Sync", id="app.sync"),
        Binding("M", "metrics", "Metrics", id="queue.metrics",
                tooltip="The monthly review's figures: TTD, TTR, recurrence, detection, post-mortems (key: M)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._status_choice = 0
        self._severity_choice = 0
        self._text = ""
        self._mine = False
        self._header_width = -1

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="queue-summary")
        yield SearchBox(placeholder="Search title, impact, asset, IC, or an incident number", id="search")
        yield Static("", id="queue-header")
        yield QueueTable(self.session.filtered(self._filter()), self.session.clock.now, id="queue")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        # The first read happens in on_screen_resume, which follows mount.
        self.query_one("#search", SearchBox).display = False
        self.query_one(QueueTable).focus()
        self.app.refresh_status_line(self)
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)
        # Once the queue is on screen, touch the search index so the first key is as quick as the rest.
        self.call_after_refresh(self.session.queue.warm_up)

    def on_resize(self) -> None:
        self.call_after_refresh(self._update_header)

    def _update_header(self) -> None:
        """Column titles over the columns: the title column's width follows the table's."""
        width = self.query_one(QueueTable).view_size.width
        if width != self._header_width:  # only when the scrollbar comes or goes, or on resize
            self._header_width = width
            self.query_one("#queue-header", Static).update(header_text(width), layout=False)

    # -- filtering ----------------------------------------------------------------------------

    def _filter(self) -> QueueFilter:
        return QueueFilter(
            statuses=STATUS_FILTERS[self._status_choice][1],
            severities=SEVERITY_FILTERS[self._severity_choice][1],
            text=self._text,
            person=current_actor() if self._mine else "",
        )

    def _reload(self, select_id: int | None = None, keep_selection: bool = True) -> None:
        table = self.query_one(QueueTable)
        source = self.session.filtered(self._filter())
        if select_id is None and keep_selection and table.current is not None:
            select_id = table.current.id
        flt = self._filter()
        table.empty_text = (
            f"No incidents (x clears the filters): {flt.describe()}."
            if flt != QueueFilter() else "No incidents yet. Press d to declare one."
        )
        # Typing a search paints the first rows at once and counts right after.
        table.reload(source, select_id=select_id, exact=keep_selection or select_id is not None)
        self._update_summary()

    @on(QueueTable.Counted)
    def _counted(self) -> None:
        self._update_summary()

    def _update_summary(self) -> None:
        self._update_header()
        table = self.query_one(QueueTable)
        flt = self._filter()
        on_call = self.session.on_call()
        if on_call:
            person = self.session.config.person(on_call)
            on_call_text = f"on call: {person.name if person else on_call}"
        else:
            on_call_text = "no on-call rotation" if self.session.loaded else ""
        shown = "counting…" if table.counting else f"{table.total:,} shown"
        overdue = CadenceRepository(self.session.database).count_due_by(self.session.clock.now())
        owed = f"{overdue} update{'s' if overdue != 1 else ''} overdue" if overdue else ""
        late = ActionItemRepository(self.session.database).count_overdue(self.session.clock.now().date())
        items = f"{late} action item{'s' if late != 1 else ''} overdue" if late else ""
        parts = [owed, items, flt.describe(), shown, on_call_text]  # plain text: a search may hold "[" or "[/"
        self.query_one("#queue-summary", Static).update(
            Content("  ·  ").join([Content.from_markup("[b]Incident queue[/b]"), *(Content(p) for p in parts if p)]),
            layout=False,  # one fixed line: repaint it, do not lay out the screen again
        )

    def action_cycle_status(self) -> None:
        self._status_choice = (self._status_choice + 1) % len(STATUS_FILTERS)
        self._reload()

    def action_cycle_severity(self) -> None:
        self._severity_choice = (self._severity_choice + 1) % len(SEVERITY_FILTERS)
        self._reload()

    def action_mine(self) -> None:
        self._mine = not self._mine
        self._reload()

    def action_metrics(self) -> None:
        from oncall.tui.screens.metrics_screen import MetricsScreen

        self.app.push_screen(MetricsScreen())

    def action_people(self) -> None:
        from oncall.tui.screens.people import PeopleScreen

        self.app.push_screen(PeopleScreen())

    def action_clear_filters(self) -> None:
        self._forget_filters()
        self._reload()

    def _forget_filters(self) -> None:
        self._status_choice = self._severity_choice = 0
        self._text = ""
        self._mine = False
        search = self.query_one("#search", SearchBox)
        search.set_reactive(SearchBox.value, "")  # no Changed: the caller reloads once
        search.refresh()
        search.display = False
        self.query_one(QueueTable).focus()

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", SearchBox)
        search.display = True
        search.focus()

    def action_leave_search(self) -> None:
        search = self.query_one("#search", SearchBox)
        if search.has_focus and search.value:
            search.value = ""
        elif search.display:
            search.display = bool(search.value)
            self.query_one(QueueTable).focus()

    @on(SearchBox.Changed, "#search")
    def _search_changed(self, event: SearchBox.Changed) -> None:
        same_words = event.value.split() == self._text.split()
        self._text = event.value
        if not same_words:  # a space alone changes nothing to search for
            self._reload(keep_selection=False)
        event.search_box.refresh()  # the typed text and its results in the same frame

    @on(SearchBox.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(QueueTable).focus()

    def on_key(self, event) -> None:
        search = self.query_one("#search", SearchBox)
        if search.has_focus and event.key == "down":
            self.query_one(QueueTable).focus()
            event.stop()

    # -- acting -------------------------------------------------------------------------------

    @on(QueueTable.Opened)
    def _open(self, event: QueueTable.Opened) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(event.incident_id))

    def action_declare(self) -> None:
        from oncall.tui.screens.declare import DeclareScreen

        self.app.push_screen(DeclareScreen(self.session.config, self.session.clock, save=self.session.service.declare),
                             self._declared)

    def action_report(self) -> None:
        from oncall.tui.screens.report import ReportScreen

        intake = self.session.intake_service
        reporter = self.session.service.actor if self.session.config.person(self.session.service.actor) else ""
        self.app.push_screen(
            ReportScreen(self.session.config,
                         save=lambda who, text, asset: intake.report(who, text, asset).incident, reporter=reporter),
            self._reported)

    def _reported(self, incident: Incident | None) -> None:
        if incident is None:
            return
        assert incident.id is not None
        if self.session.filtered(self._filter()).position_of(incident.id) is None:
            self._forget_filters()
        self._reload(select_id=incident.id)
        self.app.read_sync_state()
        self.notify(f"{incident.ref} opened for triage; {incident.reported_by} is acknowledged", title="Reported",
                    markup=False)

    def _declared(self, incident: Incident | None) -> None:
        if incident is None:
            return
        assert incident.id is not None
        if self.session.filtered(self._filter()).position_of(incident.id) is None:
            self._forget_filters()  # the new incident must be visible and selected
        self._reload(select_id=incident.id)
        self.app.read_sync_state()  # it is waiting in the outbox
        self.notify(f"{incident.ref} declared: {incident.severity.value} {incident.title}", title="Declared",
                    markup=False)

    def on_workspace_loaded(self, message: WorkspaceLoaded) -> None:
        self._update_summary()
        self.app.refresh_status_line(self)

    def _refresh_ages(self) -> None:
        # Only where it can be seen (it is repainted when it comes back): a refresh under the
        # incident screen would make Textual repaint the whole of that screen.
        if self in self.app.screens_in_sight():
            self.query_one(QueueTable).refresh_ages()

    def on_data_changed(self, message: DataChanged) -> None:
        self._reload()

    def on_screen_resume(self) -> None:
        self._reload()
        self.app.refresh_status_line(self)
