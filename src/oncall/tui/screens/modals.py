"""Small modals for changing an incident: pick a status or severity, or type a line of text.

Each takes a `save` callback and runs it before closing (`saving.py`): when the save fails the
modal stays open with what was typed and says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static

from oncall.tui.widgets.plain_option import Option
from oncall.tui.screens.saving import attempt


class TextScreen(ModalScreen[str | None]):
    """One line of text: a note, the impact, the ETA, a reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="text.cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", required: bool = True,
                 save: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        self._title = title
        self._value = value
        self._placeholder = placeholder
        self._required = required
        self._save = save
        self._done = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-form modal-small"):
            yield Static(self._title, classes="modal-title")
            yield Input(value=self._value, placeholder=self._placeholder, id="text")
            yield Static("", id="text-error", classes="field-error")
            with Horizontal(classes="modal-buttons"):
                yield Button("Save (enter)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _submit(self) -> None:
        if self._done:
            return
        value = self.query_one("#text", Input).value.strip()
        if self._required and not value:
            self.query_one("#text-error", Static).update("Type something first, or press esc")
            return
        if self._save is not None:
            saved = attempt(self._save, value)
            if saved.problem:  # kept on screen, as typed: try again, or esc
                self.query_one("#text-error", Static).update(f"Not saved: {saved.problem}")
                return
        self._done = True
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)


class ChoiceScreen(ModalScreen[tuple[str, str] | None]):
    """Pick one of a few values, with a reason where one is needed. Dismisses with (value, reason)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], reason_hint: str = "",
                 reason_required_for: frozenset[str] = frozenset(),
                 empty_text: str = "Nothing to choose: this is a final state.",
                 save: Callable[[tuple[str, str]], Any] | None = None) -> None:
        super().__init__()
        self._save = save
        self._done = False
        self._empty_text = empty_text
        self._title = title
        self._choices = choices
        self._reason_hint = reason_hint
        self._reason_required_for = reason_required_for

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-form modal-small"):
            yield Static(self._title, classes="modal-title")
            if self._choices:
                yield OptionList(*(Option(label, id=value) for value, label in self._choices), id="choices")
            else:
                yield Static(self._empty_text, id="no-choices")
            yield Input(placeholder=(self._reason_hint or "Reason (optional)") + " — enter applies", id="reason")
            yield Static("", id="reason-error", classes="field-error")
            with Horizontal(classes="modal-buttons"):
                yield Button("Apply (enter)", variant="primary", id="apply", disabled=not self._choices)
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        if self._choices:
            options = self.query_one("#choices", OptionList)
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        # Two steps on purpose: a reason, even an optional one, is what makes the timeline useful.
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if not self._choices or self._done:
            return
        options = self.query_one("#choices", OptionList)
        option = options.get_option_at_index(options.highlighted or 0)
        value = option.id or ""
        reason = self.query_one("#reason", Input).value.strip()
        if value in self._reason_required_for and not reason:
            self.query_one("#reason-error", Static).update(f"A reason is needed for {value}")
            self.query_one("#reason", Input).focus()
            return
        if self._save is not None:
            saved = attempt(self._save, (value, reason))
            if saved.problem:  # the choice and the reason stay as they were: try again, or esc
                self.query_one("#reason-error", Static).update(f"Not saved: {saved.problem}")
                return
        self._done = True
        self.dismiss((value, reason))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
