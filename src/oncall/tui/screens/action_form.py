"""Adding an action item: what must change, who owns it, by when, how urgent. Owner and due date
may wait (the item is flagged until it has both: a SEV-1/2 cannot close without them)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from oncall.domain.action_items import Priority
from oncall.tui.screens.saving import attempt


class ActionForm(ModalScreen):
    """Dismisses with the ActionItem added, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="action.cancel"),
                Binding("ctrl+s", "save", "Add", id="action.save")]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self._done = False

    def compose(self) -> ComposeResult:
        people = [(f"{p.name} ({p.id})", p.id) for p in self.app.session.config.people]
        with Vertical(classes="modal-form"):
            yield Static(f"Add an action item to INC-{self.incident_id}", classes="modal-title")
            with VerticalScroll():
                yield Label("What must change (a system or a process, not a person)", classes="field-label")
                yield Input(placeholder="e.g. alert when the CRM export's row count drops 50%", id="action-title",
                            max_length=200, compact=True)
                yield Label("Owner", classes="field-label")
                yield Select(people, prompt="nobody yet", id="action-owner", compact=True)
                yield Label("Due (YYYY-MM-DD, or +7d / +2w from today; blank: not yet)", classes="field-label")
                yield Input(placeholder="+14d", id="action-due", compact=True)
                yield Label("Priority", classes="field-label")
                yield Select([(p.value, p.value) for p in Priority], value=Priority.MEDIUM.value, allow_blank=False,
                             id="action-priority", compact=True)
            yield Static("", id="action-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Add (ctrl+s)", variant="primary", id="add")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#action-title", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#add")
    def action_save(self) -> None:
        if self._done:
            return
        from oncall.tui.screens.incident_postmortem import due_of

        title = self.query_one("#action-title", Input).value
        owner = self.query_one("#action-owner", Select).value
        due_text = self.query_one("#action-due", Input).value.strip()
        priority = Priority(self.query_one("#action-priority", Select).value)
        service = self.app.session.postmortem_service
        today = self.app.session.clock.now().date()
        saved = attempt(lambda _: service.add_action(
            self.incident_id, title, "" if owner is Select.NULL else str(owner),
            due_of(due_text, today) if due_text else None, priority), None)
        if saved.problem:
            self.query_one("#action-error", Static).update(f"Not added: {saved.problem}")
            return
        self._done = True
        self.dismiss(saved.result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
