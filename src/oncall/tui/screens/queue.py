"""The incident queue: open incidents first, most severe first; filter, search, open, declare."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import ACTIVE, Status
from oncall.service.incidents import Declaration
from oncall.store.queue import QueueFilter
from oncall.tui.messages import DataChanged, IncidentChanged
from oncall.tui.widgets.queue_table import QueueTable, header_text
from oncall.tui.widgets.status_line import StatusLine

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
        Binding("s", "cycle_status", "Status filter", id="queue.status_filter"),
        Binding("v", "cycle_severity", "Severity filter", id="queue.severity_filter"),
        Binding("x", "clear_filters", "Clear filters", id="queue.clear"),
        Binding("escape", "leave_search", "Leave search", show=False),
        Binding("q", "app.quit", "Quit", id="app.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._status_choice = 0
        self._severity_choice = 0
        self._text = ""

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="queue-summary")
        yield Input(placeholder="Search title, impact, asset, IC, or an incident number", id="search")
        yield Static("", id="queue-header")
        yield QueueTable(self.session.filtered(self._filter()), self.session.clock.now, id="queue")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self._reload()
        self.query_one(QueueTable).focus()
        self.app.refresh_status_line(self)

    def on_resize(self) -> None:
        self.query_one("#queue-header", Static).update(header_text(self.query_one(QueueTable).size.width))

    # -- filtering ----------------------------------------------------------------------------

    def _filter(self) -> QueueFilter:
        return QueueFilter(
            statuses=STATUS_FILTERS[self._status_choice][1],
            severities=SEVERITY_FILTERS[self._severity_choice][1],
            text=self._text,
        )

    def _reload(self, select_id: int | None = None, keep_selection: bool = True) -> None:
        table = self.query_one(QueueTable)
        source = self.session.filtered(self._filter())
        if select_id is None and keep_selection and table.current is not None:
            select_id = table.current.id
        table.reload(source, select_index=0)
        if select_id is not None:
            position = source.position_of(select_id)
            if position is not None:
                table.reload(select_index=position)
        self._update_summary()

    def _update_summary(self) -> None:
        table = self.query_one(QueueTable)
        flt = self._filter()
        on_call = self.session.service.on_call()
        person = self.session.config.person(on_call)
        on_call_text = f"on call: {person.name if person else on_call}" if on_call else "no on-call rotation"
        shown = f"{table.total:,} shown" if table.total != 1 else "1 shown"
        self.query_one("#queue-summary", Static).update(
            f"[b]Incident queue[/b]  ·  {flt.describe()}  ·  {shown}  ·  {on_call_text}"
        )

    def action_cycle_status(self) -> None:
        self._status_choice = (self._status_choice + 1) % len(STATUS_FILTERS)
        self._reload()

    def action_cycle_severity(self) -> None:
        self._severity_choice = (self._severity_choice + 1) % len(SEVERITY_FILTERS)
        self._reload()

    def action_clear_filters(self) -> None:
        self._status_choice = self._severity_choice = 0
        self._text = ""
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self._reload()
        self.query_one(QueueTable).focus()

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_leave_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus and search.value:
            search.value = ""
        elif search.display:
            search.display = bool(search.value)
            self.query_one(QueueTable).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._text = event.value
        self._reload(keep_selection=False)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(QueueTable).focus()

    def on_key(self, event) -> None:
        search = self.query_one("#search", Input)
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

        self.app.push_screen(DeclareScreen(self.session.config, self.session.clock), self._declared)

    def _declared(self, declaration: Declaration | None) -> None:
        if declaration is None:
            return
        try:
            incident = self.session.service.declare(declaration)
        except RuleViolation as error:
            self.notify(str(error), title="Not declared", severity="error")
            return
        assert incident.id is not None
        if self.session.filtered(self._filter()).position_of(incident.id) is None:
            self.action_clear_filters()  # the new incident must be visible and selected
        self._reload(select_id=incident.id)
        self.notify(f"{incident.ref} declared: {incident.severity.value} {incident.title}", title="Declared")

    def on_data_changed(self, message: DataChanged) -> None:
        self._reload()

    def on_incident_changed(self, message: IncidentChanged) -> None:
        self._reload()

    def on_screen_resume(self) -> None:
        self._reload()
        self.app.refresh_status_line(self)
