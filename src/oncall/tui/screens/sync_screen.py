"""The sync screen: what has not reached Jira or Slack yet, and why; retry now or discard.

Self-contained: it is given a `SyncDesk` (plain Python, no Textual) and reads through it in a
worker thread, so the console never waits on the database here, and never on the network.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Static

from oncall.store.outbox import OutboxEntry
from oncall.sync.desk import SyncDesk
from oncall.sync.status import SyncSummary
from oncall.tui.thread_work import releasing
from oncall.tui.widgets.footer import KeyFooter

TARGET_NAMES = {"jira": "Jira", "slack": "Slack", "email": "Email"}


class ConfirmDiscard(ModalScreen[bool]):
    """Discarding loses an update for good: say what, and ask."""

    BINDINGS = [Binding("escape", "cancel", "Keep it", id="sync.discard.cancel"),
                Binding("y", "confirm", "Discard", id="sync.discard.confirm")]

    def __init__(self, entry: OutboxEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(classes="modal-form modal-small"):
            yield Static("Discard this update?", classes="modal-title")
            yield Static(f"INC-{entry.incident_id} {entry.kind.value if entry.kind else ''}: {entry.text}\n"
                         f"It will never be sent to {TARGET_NAMES[entry.target]}. This is logged.", id="discard-what",
                         markup=False)  # what people typed, shown as typed
            with Horizontal(classes="modal-buttons"):
                yield Button("Discard (y)", variant="error", id="confirm")
                yield Button("Keep it (esc)", id="cancel")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class SyncScreen(Screen[None]):
    """Pending and failed deliveries, failed first. `r` retries one now, `R` all, `d` discards one."""

    BINDINGS = [
        Binding("r", "retry", "Retry now", id="sync.retry"),
        Binding("R", "retry_all", "Retry all", id="sync.retry_all"),
        Binding("d", "discard", "Discard", id="sync.discard"),
        Binding("f5", "reload", "Refresh", id="sync.reload"),
        Binding("escape", "close", "Back", id="sync.close"),
    ]

    DEFAULT_CSS = """
    SyncScreen #sync-summary { padding: 0 1; height: auto; }
    SyncScreen #sync-detail { padding: 0 1; height: auto; color: $text-muted; }
    SyncScreen DataTable { height: 1fr; }
    """

    def __init__(self, desk: SyncDesk) -> None:
        super().__init__()
        self.desk = desk
        self.entries: list[OutboxEntry] = []

    def compose(self) -> ComposeResult:
        yield Static("Sync: reading…", id="sync-summary", markup=False)  # messages name [jira], [slack]
        yield Static("", id="sync-detail", markup=False)
        yield DataTable(id="sync-entries", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("State", "To", "Incident", "What", "Tries", "Why")
        table.focus()
        self.action_reload()

    # -- reading (in a worker thread) --------------------------------------------------------

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="sync-screen")
    @releasing
    def _load(self) -> None:
        summary = self.desk.summary()
        entries = self.desk.entries()
        self.app.call_from_thread(self._show, summary, entries)

    def _show(self, summary: SyncSummary, entries: list[OutboxEntry]) -> None:
        self.entries = entries
        self.query_one("#sync-summary", Static).update(f"Sync: {summary.text}")
        self.query_one("#sync-detail", Static).update(summary.detail)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for entry in entries:
            what = f"{entry.kind.value if entry.kind else ''}: {entry.text}"
            table.add_row(entry.state, TARGET_NAMES[entry.target], f"INC-{entry.incident_id}", Text(what[:60]),
                          str(entry.attempts), Text(entry.last_error[:80]),  # as typed, as the service said
                          key=f"{entry.target}:{entry.outbox_id}")
        if entries:
            table.move_cursor(row=min(row, len(entries) - 1))

    # -- acting ------------------------------------------------------------------------------

    def _selected(self) -> OutboxEntry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row < 0:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def action_retry(self) -> None:
        entry = self._selected()
        if entry is not None:
            self._act(lambda: self.desk.retry(entry), f"INC-{entry.incident_id} will be sent again now")

    def action_retry_all(self) -> None:
        maybe_sent = sum(e.target == "email" and e.state == "failed" and e.uncertain for e in self.entries)
        said = "every failed update will be sent again now"
        if maybe_sent:  # each of those is a person's decision: r on the line, once checked
            said += f"; {maybe_sent} email{'s' if maybe_sent > 1 else ''} that may have been sent wait for r, one by one"
        self._act(self.desk.retry_all, said)

    def action_discard(self) -> None:
        entry = self._selected()
        if entry is None:
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self._act(lambda: self.desk.discard(entry), f"discarded; INC-{entry.incident_id} moves on")

        self.app.push_screen(ConfirmDiscard(entry), decided)

    @work(thread=True, group="sync-screen-act")
    @releasing
    def _act(self, action, message: str) -> None:
        action()
        self.app.call_from_thread(self.notify, message)
        self.app.call_from_thread(self.action_reload)

    def action_close(self) -> None:
        self.app.pop_screen()
