"""Report data that looks wrong: who noticed, what looks wrong, and (if they know) which asset.
It opens a triage item and acknowledges the reporter (`IntakeService.report`); the form closes
with the new item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from oncall.domain.reporter import parse_reporter
from oncall.domain.rules import RuleViolation
from oncall.tui.screens.saving import attempt
from oncall.workspace.config import Config

Report = Callable[[str, str, str], Any]  # (reporter, text, asset) → the result the form closes with


class ReportScreen(ModalScreen[Any]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Report", id="report.submit"),
        Binding("escape", "cancel", "Cancel", id="report.cancel"),
    ]

    def __init__(self, config: Config, save: Report, reporter: str = "") -> None:
        super().__init__()
        self.config = config
        self._save = save
        self._reporter = reporter
        self._done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="report-form", classes="modal-form"):
            yield Static("Report data that looks wrong — it opens a triage item for the on-call engineer",
                         classes="modal-title")
            yield Label("What looks wrong?", classes="field-label")
            yield Input(placeholder="e.g. the CAC dashboard shows 0 for EMEA since this morning", id="text",
                        max_length=2000, compact=True)
            yield Label("Who noticed it (roster id, Slack id U04… or email): they are answered",
                        classes="field-label")
            yield Input(value=self._reporter, placeholder="sofia, U04ABCDEF or sofia@example.com", id="reporter",
                        max_length=254, compact=True)
            yield Label("Which asset (leave it blank if unsure: the IC chooses)", classes="field-label")
            if self.config.assets:
                yield Select([(f"{a.name}  ({a.id}, {a.kind.value})", a.id) for a in self.config.assets],
                             prompt="Not sure", id="asset", compact=True)
            else:
                yield Input(placeholder="not sure", id="asset", max_length=120, compact=True)
            yield Static("", id="report-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Report (ctrl+s)", variant="primary", id="report")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#report-error").display = False
        self.query_one("#text").focus()

    def _say(self, problem: str) -> None:
        error = self.query_one("#report-error", Static)
        error.update(problem[:1].upper() + problem[1:])
        error.display = bool(problem)

    @on(Input.Submitted)
    @on(Button.Pressed, "#report")
    def action_submit(self) -> None:
        if self._done:
            return
        text = self.query_one("#text", Input).value.strip()
        reporter = self.query_one("#reporter", Input).value.strip()
        field = self.query_one("#asset")
        asset = field.value.strip() if isinstance(field, Input) else field.value
        asset = "" if asset is Select.NULL else str(asset)
        if not text:
            self._say("Say what looks wrong")
            self.query_one("#text").focus()
            return
        try:
            if parse_reporter(reporter, lambda person: self.config.person(person) is not None) is None:
                raise RuleViolation("reported-by: say who noticed it, so they can be answered")
        except RuleViolation as problem:
            self._say(str(problem).removeprefix("reported-by: "))
            self.query_one("#reporter").focus()
            return
        saved = attempt(lambda _: self._save(reporter, text, asset), None)
        if saved.problem:
            self._say(f"Not reported: {saved.problem}")
            return
        self._done = True
        self.dismiss(saved.result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
