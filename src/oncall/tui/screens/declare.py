"""Declare an incident: a form validated as you type; it declares through its `save` callback
and closes with the new incident (or, without one, with the `Declaration`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from oncall.domain.clock import Clock, parse_moment, to_text
from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.reporter import parse_reporter
from oncall.domain.rules import RuleViolation
from oncall.service.incidents import Declaration
from oncall.tui.screens.saving import attempt
from oncall.workspace.config import Config

SOURCE_LABELS = {
    DetectionSource.USER_REPORT: "user report (someone told us)",
    DetectionSource.ALERT: "alert (our monitoring caught it)",
    DetectionSource.DBT: "dbt (a test or source freshness failed)",
    DetectionSource.DRILL: "drill (a rehearsal, never counted)",
}


class DeclareScreen(ModalScreen[Any]):
    """The declare form. Dismisses with what `save` returned, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Declare", id="declare.submit"),
        Binding("escape", "cancel", "Cancel", id="declare.cancel"),
    ]

    def __init__(self, config: Config, clock: Clock, save: Callable[[Declaration], Any] | None = None) -> None:
        """`save` declares (`saving.py`); the form closes with what it returns."""
        super().__init__()
        self.config = config
        self.clock = clock
        self._save = save
        self._done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="declare-form", classes="modal-form"):
            yield Static("Declare an incident", classes="modal-title")
            with VerticalScroll():
                yield Label("Title", classes="field-label")
                yield Input(placeholder="What is wrong, in a few words", id="title", max_length=200, compact=True)
                yield Static("", id="title-error", classes="field-error", markup=False)
                yield Label("Severity — when unsure, pick the higher one", classes="field-label")
                yield Select(
                    [(f"{s.value}  {s.summary}", s.value) for s in Severity],
                    prompt="Choose a severity", id="severity", compact=True,
                )
                yield Static("", id="severity-error", classes="field-error", markup=False)
                yield Label("Affected asset", classes="field-label")
                if self.config.assets:
                    yield Select(
                        [(f"{a.name}  ({a.id}, {a.kind.value})", a.id) for a in self.config.assets],
                        prompt="Choose the asset that looks wrong", id="asset", compact=True,
                    )
                else:  # a new workspace lists no assets yet: that must not stop a declaration
                    yield Input(placeholder="the dashboard, table or pipeline that looks wrong", id="asset",
                                max_length=120, compact=True)
                yield Static("", id="asset-error", classes="field-error", markup=False)
                yield Label("Detected by", classes="field-label")
                yield Select(
                    [(label, source.value) for source, label in SOURCE_LABELS.items()],
                    value=DetectionSource.USER_REPORT.value, allow_blank=False, id="source", compact=True,
                )
                yield Label("Reported by (optional: a roster id, a Slack id U04…, or an email)", classes="field-label")
                yield Input(placeholder="nobody in particular", id="reported", max_length=254, compact=True)
                yield Static("", id="reported-error", classes="field-error", markup=False)
                yield Label("Impact (who is affected, how)", classes="field-label")
                yield Input(placeholder="e.g. CAC on the exec dashboard is 4× too high", id="impact", compact=True)
                yield Label("Data went bad at, UTC (optional: 09:30, -2h, 2026-11-27T09:30Z)", classes="field-label")
                yield Input(placeholder="unknown", id="started", compact=True)
                yield Static("", id="started-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Declare (ctrl+s)", variant="error", id="declare", disabled=True)
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        for line in self.query(".field-error"):
            line.display = False
        self.query_one("#title", Input).focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _revalidate(self) -> None:
        self._validate(show_missing=False)

    def _validate(self, show_missing: bool) -> Declaration | None:
        errors: dict[str, str] = {}
        title = self.query_one("#title", Input).value.strip()
        if not title:
            errors["title"] = "A title is needed"
        severity = self.query_one("#severity", Select).value
        if severity is Select.NULL:
            errors["severity"] = "Pick a severity"
        asset_field = self.query_one("#asset")
        asset = asset_field.value.strip() if isinstance(asset_field, Input) else asset_field.value
        if asset is Select.NULL or not asset:
            errors["asset"] = "Pick the affected asset" if self.config.assets else (
                "Name the affected asset (add [[assets]] to oncall.toml to pick from a list)")
        started_text = self.query_one("#started", Input).value.strip()
        started = None
        started_hint = ""
        if started_text:
            try:
                started = parse_moment(started_text, self.clock)
            except ValueError as error:
                errors["started"] = str(error)
            else:
                if started > self.clock.now():
                    errors["started"] = f"{to_text(started)} is in the future"
                else:
                    started_hint = f"= {to_text(started)}"
        reported = self.query_one("#reported", Input).value
        try:
            parse_reporter(reported, lambda person: self.config.person(person) is not None)
        except RuleViolation as error:
            errors["reported"] = str(error).removeprefix("reported-by: ")
        for field in ("title", "severity", "asset", "reported"):
            message = errors.get(field, "")
            shown = message if (show_missing or self._touched(field)) else ""
            error_line = self.query_one(f"#{field}-error", Static)
            error_line.update(shown)
            error_line.display = bool(shown)
        started_error = self.query_one("#started-error", Static)
        started_error.update(errors.get("started", started_hint))
        started_error.display = bool(errors.get("started", started_hint))
        started_error.set_class("started" in errors, "is-error")
        self.query_one("#declare", Button).disabled = bool(errors)
        if errors:
            return None
        source = DetectionSource(self.query_one("#source", Select).value)
        return Declaration(
            title=title,
            severity=Severity(severity),
            asset=str(asset),
            source=source,
            impact=self.query_one("#impact", Input).value.strip(),
            started_at=started,
            reported_by=reported.strip(),
        )

    def _touched(self, field: str) -> bool:
        widget = self.query_one(f"#{field}")
        if isinstance(widget, Select):
            return widget.value is not Select.NULL
        return widget.value != ""

    @on(Input.Submitted)
    @on(Button.Pressed, "#declare")
    def action_submit(self) -> None:
        if self._done:  # a second enter while the first one declares: ignored
            return
        declaration = self._validate(show_missing=True)
        if declaration is None:
            return
        result: object = declaration
        if self._save is not None:
            saved = attempt(self._save, declaration)
            if saved.problem:  # everything typed stays: try again, or esc
                self.query_one("#title-error", Static).update(f"Not declared: {saved.problem}")
                return
            result = saved.result
        self._done = True
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
