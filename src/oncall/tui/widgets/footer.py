"""The footer of every screen: the keys that act on what is in front, on one line.

Textual's `Footer` rebuilds a widget per key whenever the focus moves (~40 ms at 80×24, a frame
after the move); this one paints a single line from the same bindings in the same frame. When the
keys do not fit, whole entries are left out, never cut: first the grouped keys that the screen
shows elsewhere (the incident's tab keys are printed on its tabs), then from the end. The command
palette key stays at the right edge, so every action is still one `ctrl+p` away. A click on a
key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

GAP = 2  # spaces between entries, 1 when that is what makes them fit


@dataclass(frozen=True)
class Entry:
    keys: tuple[tuple[str, str], ...]  # (key to press, how it is shown)
    description: str
    enabled: bool = True
    grouped: bool = False  # a group's keys, shown elsewhere on the screen: the first to go

    @property
    def width(self) -> int:
        return sum(len(shown) for _, shown in self.keys) + len(self.keys) - 1 + 1 + len(self.description)


class KeyFooter(Widget):
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--disabled"}

    DEFAULT_CSS = """
    KeyFooter { dock: bottom; height: 1; padding: 0 1; background: $footer-background; color: $footer-foreground; }
    KeyFooter > .key-footer--key { color: $footer-key-foreground; text-style: bold; }
    KeyFooter > .key-footer--description { color: $footer-description-foreground; }
    KeyFooter > .key-footer--disabled { text-style: dim; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._hits: list[tuple[int, int, str]] = []  # (first cell, last cell + 1, key) of what was painted

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        self.refresh()

    def entries(self) -> tuple[list[Entry], Entry | None]:
        """What the footer would show if it were wide enough, and the command palette's key."""
        app = self.app
        shown: list[Entry] = []
        seen: set[str] = set()
        palette: Entry | None = None
        group_entries: dict[Binding.Group, int] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if app.ENABLE_COMMAND_PALETTE and key == app.COMMAND_PALETTE_BINDING:
                palette = Entry(((key, app.get_key_display(binding)),), binding.description or "palette")
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            pressed = (key, app.get_key_display(binding))
            group = binding.group
            if group is not None and group in group_entries:
                index = group_entries[group]
                entry = shown[index]
                shown[index] = Entry(entry.keys + (pressed,), entry.description, entry.enabled, True)
                continue
            if group is not None:
                group_entries[group] = len(shown)
                shown.append(Entry((pressed,), group.description, active.enabled, True))
            else:
                shown.append(Entry((pressed,), binding.description, active.enabled))
        return shown, palette

    def fit(self, width: int) -> tuple[list[Entry], Entry | None, int]:
        """The entries that fit in `width` cells, whole, and the gap to put between them."""
        shown, palette = self.entries()

        def room(gap: int) -> int:
            return width - (palette.width + gap if palette else 0)

        for gap in (GAP, 1):
            if sum(e.width for e in shown) + gap * max(len(shown) - 1, 0) <= room(gap):
                return shown, palette, gap
        gap = 1
        kept = list(shown)
        for grouped_first in (True, False):
            while kept and sum(e.width for e in kept) + gap * (len(kept) - 1) > room(gap):
                candidates = [i for i, e in enumerate(kept) if e.grouped] if grouped_first else [len(kept) - 1]
                if not candidates:
                    break
                kept.pop(candidates[-1])
        return kept, palette, gap

    def render(self) -> Text:
        width = self.content_region.width
        kept, palette, gap = self.fit(width)
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        description_style = self.get_component_rich_style("key-footer--description", partial=True)
        disabled = self.get_component_rich_style("key-footer--disabled", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        hits: list[tuple[int, int, str]] = []

        def add(entry: Entry) -> None:
            extra = Style() if entry.enabled else disabled
            for index, (key, shown) in enumerate(entry.keys):
                if index:
                    line.append(" ")
                hits.append((len(line), len(line) + len(shown), key))
                line.append(shown, key_style + extra)
            line.append(" " + entry.description, description_style + extra)

        for index, entry in enumerate(kept):
            if index:
                line.append(" " * gap)
            add(entry)
        if palette is not None:
            line.append(" " * max(width - len(line) - palette.width, gap))
            add(palette)
        offset = self.content_region.x - self.region.x
        self._hits = [(start + offset, end + offset, key) for start, end, key in hits]
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._hits:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
