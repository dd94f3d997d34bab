"""Pick one of many with the keyboard: type to filter, up and down to move, enter to apply.

Used to pick a person for a role: the people the roster allows for it come first, each with
what they already carry. An optional note goes with the choice (tab to reach it). Like every
form, it saves through `save` and stays open with what was typed if the save fails.
"""

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


class PickScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (value, note) once saved, or None."""

    # The list scrolls within the form, so the note and the buttons stay on an 80×24 screen
    # however long the roster is.
    DEFAULT_CSS = """
    PickScreen #choices { height: auto; max-height: 10; }
    PickScreen.-short #choices { max-height: 6; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="pick.cancel"),
        Binding("up", "move(-1)", "Up", show=False, priority=True),
        Binding("down", "move(1)", "Down", show=False, priority=True),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], note_hint: str | None = "Note (optional)",
                 empty_text: str = "Nobody to choose.", save: Callable[[tuple[str, str]], Any] | None = None) -> None:
        """`note_hint=None`: no note, only the choice."""
        super().__init__()
        self._title = title
        self._choices = choices
        self._note_hint = note_hint
        self._empty_text = empty_text
        self._save = save
        self._done = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-form modal-small"):
            yield Static(self._title, classes="modal-title", markup=False)
            yield Input(placeholder="Type to filter", id="filter")
            yield OptionList(id="choices")
            if self._note_hint is not None:
                yield Input(placeholder=self._note_hint + " — enter applies", id="note")
            yield Static("", id="pick-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Apply (enter)", variant="primary", id="apply")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        # Up and down move the list from the filter; tab goes on to the note, not into the list.
        self.query_one("#choices", OptionList).can_focus = False
        self._show("")
        self.query_one("#filter", Input).focus()

    @property
    def shown(self) -> list[str]:
        """The values listed now, in order (what a person sees, for tests)."""
        options = self.query_one("#choices", OptionList)
        return [options.get_option_at_index(i).id or "" for i in range(options.option_count)]

    def _show(self, text: str) -> None:
        words = text.lower().split()
        options = self.query_one("#choices", OptionList)
        options.clear_options()
        matching = [(value, label) for value, label in self._choices
                    if all(word in f"{value} {label}".lower() for word in words)]
        if matching:
            options.add_options([Option(label, id=value) for value, label in matching])
            options.highlighted = 0
            self.query_one("#pick-error", Static).update("")
        else:
            self.query_one("#pick-error", Static).update(self._empty_text if not self._choices
                                                         else f"Nobody matches {text!r}")

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#choices", OptionList)
        if options.option_count:
            options.highlighted = ((options.highlighted or 0) + step) % options.option_count

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        if self._done:
            return
        options = self.query_one("#choices", OptionList)
        if not options.option_count or options.highlighted is None:
            return
        value = options.get_option_at_index(options.highlighted).id or ""
        note = self.query_one("#note", Input).value.strip() if self._note_hint is not None else ""
        if self._save is not None:
            saved = attempt(self._save, (value, note))
            if saved.problem:  # everything stays as typed: try again, or esc
                self.query_one("#pick-error", Static).update(f"Not saved: {saved.problem}")
                return
        self._done = True
        self.dismiss((value, note))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
