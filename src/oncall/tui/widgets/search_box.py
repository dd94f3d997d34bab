"""The queue's search box: a one-line, fixed-size field for search-as-you-type.

Textual's Input re-measures itself on every key (its width follows the text), which lays out
and repaints the whole screen: ~20 ms at 160×50, twice per key counting its own echo frame.
Searching only needs appending, deleting and clearing at the end of the text, so this box
never changes size. It also does not repaint on its own when the text changes: it posts
`Changed`, and the screen that reacts (filtering the queue) calls `refresh()`, so the new text
and its results reach the terminal in one frame instead of two frames a refresh tick apart.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class SearchBox(Widget, can_focus=True):
    BINDINGS = [
        Binding("backspace", "delete_back", "Delete", show=False),
        Binding("ctrl+u", "clear", "Clear", show=False),
        Binding("ctrl+w", "delete_word", "Delete word", show=False),
        Binding("enter", "submit", "Done", show=False),
    ]

    DEFAULT_CSS = """
    SearchBox { width: 1fr; height: 3; border: round $accent; padding: 0 1; background: $surface; }
    SearchBox:focus { border: round $accent-lighten-1; }
    SearchBox > .search-box--placeholder { color: $text-muted; }
    SearchBox > .search-box--cursor { text-style: reverse; }
    """
    COMPONENT_CLASSES = {"search-box--placeholder", "search-box--cursor"}

    value = reactive("", repaint=False)

    class _Text(Message):
        def __init__(self, search_box: "SearchBox", value: str) -> None:
            super().__init__()
            self.search_box = search_box
            self.value = value

        @property
        def control(self) -> "SearchBox":
            return self.search_box

    class Changed(_Text):
        """The text changed (the box repaints when its owner calls `refresh()`)."""

    class Submitted(_Text):
        """Enter was pressed."""

    def __init__(self, placeholder: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.placeholder = placeholder

    def render(self) -> Text:
        cursor = self.get_component_rich_style("search-box--cursor") if self.has_focus else None
        if not self.value:
            text = Text(self.placeholder, style=self.get_component_rich_style("search-box--placeholder"))
            if cursor is not None:
                text = Text(" ", style=cursor) + text
            return text
        text = Text(self.value)
        if cursor is not None:
            text.append(" ", style=cursor)
        width = max(self.content_size.width, 1)
        if text.cell_len > width:  # keep the end, where typing happens, in view
            text = text[text.cell_len - width:]
        return text

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.value += event.character

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.value += " ".join(event.text.split())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_delete_back(self) -> None:
        self.value = self.value[:-1]

    def action_delete_word(self) -> None:
        self.value = self.value.rstrip().rpartition(" ")[0] + (" " if " " in self.value.rstrip() else "")

    def action_clear(self) -> None:
        self.value = ""

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.value))
