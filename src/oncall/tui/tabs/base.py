"""What every incident tab is: a widget of its own module, shown on the incident screen one at a
time, that takes the focus when it comes to the front (focus is what puts its keys in the
footer) and declares those keys in its `BINDINGS`.

A tab's keys name actions of the screen (`screen.impact`): the screen owns the incident and its
changes, so a tab only shows things and never writes.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.widget import Widget


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
