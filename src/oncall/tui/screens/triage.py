"""The IC's decision on a triage item: declare it an incident (its severity, its asset) or dismiss
it (with why). Either way its reporter is told (`service/intake.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from oncall.domain.incident import Incident
from oncall.domain.detection import UNKNOWN_ASSET
from oncall.domain.severity import Severity
from oncall.tui.screens.saving import attempt
from oncall.workspace.config import Config

Declare = Callable[[Severity, str], Any]
Dismiss = Callable[[str], Any]


class TriageScreen(ModalScreen[str | None]):
    """Dismisses with "declared" or "dismissed" once saved, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "declare", "Declare", id="triage.declare"),
        # Above the reason box's own ctrl+d (delete to the right): here it dismisses, as the button says.
        Binding("ctrl+d", "dismiss_item", "Dismiss", id="triage.dismiss", priority=True),
        Binding("escape", "cancel", "Cancel", id="triage.cancel"),
    ]

    def __init__(self, incident: Incident, config: Config, declare: Declare, dismiss: Dismiss) -> None:
        super().__init__()
        self.incident = incident
        self.config = config
        self._declare = declare
        self._dismiss = dismiss
        self._done = False

    def compose(self) -> ComposeResult:
        incident = self.incident
        told = f" {incident.reported_by} is told either way." if incident.reported_by else ""
        with Vertical(id="triage-form", classes="modal-form"):
            yield Static(f"{incident.ref} is in triage: declare it, or dismiss it.{told}", classes="modal-title",
                         markup=False)
            yield Label("Severity — when unsure, pick the higher one", classes="field-label")
            yield Select([(f"{s.value}  {s.summary}", s.value) for s in Severity], value=incident.severity.value,
                         allow_blank=False, id="severity", compact=True)
            yield Label("Affected asset", classes="field-label")
            known = self.config.asset(incident.asset) is not None
            if self.config.assets:
                yield Select([(f"{a.name}  ({a.id}, {a.kind.value})", a.id) for a in self.config.assets],
                             value=incident.asset if known else Select.NULL,
                             prompt="Choose the asset that looks wrong", id="asset", compact=True)
            else:
                yield Input(value="" if incident.asset == UNKNOWN_ASSET else incident.asset, id="asset",
                            placeholder="the dashboard, table or pipeline that looks wrong", compact=True)
            yield Label("Why it is not an incident (to dismiss; the reporter reads it)", classes="field-label")
            yield Input(placeholder="e.g. the dip is the public holiday in DE", id="reason", compact=True)
            yield Static("", id="triage-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Declare (ctrl+s)", variant="error", id="declare")
                yield Button("Dismiss (ctrl+d)", id="dismiss")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#triage-error").display = False
        self.query_one("#severity").focus()

    def _say(self, problem: str) -> None:
        error = self.query_one("#triage-error", Static)
        error.update(problem)
        error.display = bool(problem)

    @on(Button.Pressed, "#declare")
    def action_declare(self) -> None:
        if self._done:
            return
        field = self.query_one("#asset")
        asset = field.value.strip() if isinstance(field, Input) else field.value
        if asset is Select.NULL or not asset or asset == UNKNOWN_ASSET:
            self._say("Choose the affected asset first")
            return
        severity = Severity(self.query_one("#severity", Select).value)
        saved = attempt(lambda _: self._declare(severity, str(asset)), None)
        if saved.problem:
            self._say(f"Not declared: {saved.problem}")
            return
        self._done = True
        self.dismiss("declared")

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#dismiss")
    def action_dismiss_item(self) -> None:
        if self._done:
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self._say("Say why it is not an incident (the reporter reads it), then ctrl+d")
            self.query_one("#reason").focus()
            return
        saved = attempt(self._dismiss, reason)
        if saved.problem:
            self._say(f"Not dismissed: {saved.problem}")
            return
        self._done = True
        self.dismiss("dismissed")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
