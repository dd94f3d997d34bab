"""What every incident tab is: a widget of its own module, shown on the incident screen one at a
time, that takes the focus when it comes to the front (focus is what puts its keys in the
footer) and declares those keys in its `BINDINGS`.

A tab's keys name actions of the screen (`screen.impact`): the screen owns the incident and its
changes, so a tab only shows things and never writes.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList


class IncidentTab:
    """Mixed into the tab's widget class: `class OverviewTab(IncidentTab, VerticalScroll)`.

    Not a widget itself: Textual takes CSS and component classes from the first widget base only.
    """

    BINDINGS: list

    TAB_KEY = ""  # the number key that brings it to the front, printed on its tab
    TAB_NAME = ""

    @property
    def label(self) -> str:
        return f"{self.TAB_KEY} {self.TAB_NAME}"

    def commands(self) -> Iterator[tuple[Binding, Widget]]:
        """Every key of this tab as (binding, widget that runs it), for the command palette."""
        assert isinstance(self, Widget)
        for binding in type(self).BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                yield binding, self


class ChosenMessage(Message):
    """Enter on an entry of a list tab: its id. Each tab subclasses it as its own `Chosen`, so the
    screen's handler names the tab (`on_runbooks_tab_chosen`)."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value


class ListTab(IncidentTab):
    """An incident tab whose body is one OptionList of entries (headings disabled, the others with
    ids): it gives the list the focus, keeps the entry under the cursor across a refill, and posts
    `Chosen` with the id of the entry enter is pressed on. Set `LIST` to the list's widget class."""

    LIST: type[OptionList]
    Chosen: type[ChosenMessage] = ChosenMessage

    def on_focus(self) -> None:
        assert isinstance(self, Widget)
        self.query_one(self.LIST).focus()

    def refill(self, entries: list) -> None:
        """Replace the list's entries, keeping the cursor on the same id where it still is."""
        assert isinstance(self, Widget)
        options = self.query_one(self.LIST)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        options.add_options(entries)
        # After the list has taken its new options in (it highlights the first, a heading, itself).
        self.call_after_refresh(self._highlight, highlighted)

    def _highlight(self, wanted: str | None) -> None:
        assert isinstance(self, Widget)
        options = self.query_one(self.LIST)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        index = ids.index(wanted) if wanted is not None and wanted in ids else next(
            (i for i, value in enumerate(ids) if value), None)
        if index is not None:
            options.highlighted = index

    def action_choose(self) -> None:
        assert isinstance(self, Widget)
        option = self.query_one(self.LIST).highlighted_option
        if option is not None and option.id:
            self.post_message(self.Chosen(option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """(Named, not `@on`: handlers are not collected from a class that is not a widget.)"""
        assert isinstance(self, Widget)
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))
