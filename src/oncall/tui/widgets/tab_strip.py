"""One line of tab names ("1 Overview  2 Timeline"), the one in front shown in reverse. A click on
a name asks for that tab; the screen decides (keys do the same through the screen's bindings)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class TabStrip(Widget):
    COMPONENT_CLASSES = {"tab-strip--active", "tab-strip--inactive"}

    DEFAULT_CSS = """
    TabStrip { height: 1; padding: 0 1; }
    TabStrip > .tab-strip--active { text-style: bold reverse; }
    TabStrip > .tab-strip--inactive { color: $text-muted; }
    """

    active = reactive("")

    class Chosen(Message):
        def __init__(self, tab_id: str) -> None:
            super().__init__()
            self.tab_id = tab_id

    def __init__(self, tabs: list[tuple[str, str]], **kwargs) -> None:
        """`tabs`: (id, label) in order."""
        super().__init__(**kwargs)
        self.tabs = tabs
        self._hits: list[tuple[int, int, str]] = []

    def render(self) -> Text:
        active = self.get_component_rich_style("tab-strip--active", partial=True)
        inactive = self.get_component_rich_style("tab-strip--inactive")  # full: muted text blends
        width = self.content_region.width
        # Roomy where it fits; tighter spacing on a narrow terminal (80 columns), so every tab shows.
        for gap, pad in (("  ", " "), (" ", " "), (" ", "")):
            if sum(len(label) + 2 * len(pad) for _, label in self.tabs) + len(gap) * (len(self.tabs) - 1) <= width:
                break
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        hits = []
        offset = self.content_region.x - self.region.x
        for index, (tab_id, label) in enumerate(self.tabs):
            if index:
                line.append(gap)
            start = len(line)
            line.append(f"{pad}{label}{pad}", active if tab_id == self.active else inactive)
            hits.append((start + offset, len(line) + offset, tab_id))
        self._hits = hits
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, tab_id in self._hits:
            if start <= event.x < end:
                self.post_message(self.Chosen(tab_id))
                return
