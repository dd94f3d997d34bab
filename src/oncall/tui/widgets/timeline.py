"""An incident's timeline, newest last, as a person reads it during the response.

A virtual list (Textual's line API): it lays out and paints only the lines on screen, so a
timeline of 5,000 events opens and scrolls as fast as one of five. Each event is one line
(`time  actor  kind  text`); a long text wraps under itself, never under the time.

It shows anything shaped like a `TimelineLine`: the store's `TimelineEvent`, or a plain row whose
time and kind are still text (parsed only for the lines painted).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from oncall.domain.clock import from_text
from oncall.domain.incident import EventKind
from oncall.tui.widgets.steady_scrollbar import SteadyScrollBar

# The events that change the shape of the response stand out in bold.
EMPHASIZED = frozenset({EventKind.DECLARED, EventKind.STATUS_CHANGED, EventKind.SEVERITY_CHANGED,
                        EventKind.CLOSE_OVERRIDE})
KIND_LABEL = {
    EventKind.DECLARED: "declared",
    EventKind.STATUS_CHANGED: "status",
    EventKind.SEVERITY_CHANGED: "severity",
    EventKind.NOTE: "note",
    EventKind.IMPACT_CHANGED: "impact",
    EventKind.ETA_CHANGED: "ETA",
    EventKind.IC_ASSIGNED: "IC",
    EventKind.STARTED_AT_CHANGED: "started",
    EventKind.CLOSE_OVERRIDE: "override",
    EventKind.ROLE_ASSIGNED: "role",
    EventKind.ROLE_REMOVED: "role",
    EventKind.RUNBOOK_ATTACHED: "runbook",
    EventKind.RUNBOOK_STEP: "step",
    EventKind.EVIDENCE_GATHERED: "evidence",
    EventKind.EVIDENCE_SHARED: "shared",
    EventKind.RUNBOOK_FINISHED: "runbook",
    EventKind.TAGS_CHANGED: "tags",
    EventKind.UPDATE_SENT: "update",
    EventKind.POSTMORTEM: "p-mortem",
    EventKind.ACTION_ITEM: "action",
    EventKind.ROOT_CAUSE: "cause",
    EventKind.INTAKE: "signal",
    EventKind.ASSET_CHANGED: "asset",
}
TIME_WIDTH, ACTOR_WIDTH, KIND_WIDTH = 12, 9, 9
PREFIX = TIME_WIDTH + 1 + ACTOR_WIDTH + 1 + KIND_WIDTH + 1  # where the text starts
NARROW_TEXT = 20  # below this the text would be a column of fragments: it goes under the time


class TimelineLine(Protocol):
    @property
    def at(self) -> datetime | str: ...  # a moment, or its ISO 8601 text as stored
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> EventKind | str: ...
    @property
    def text(self) -> str: ...


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Where to break `text` into lines of at most `width` cells: (start, end) offsets.

    Breaks at spaces where it can. Plain ASCII (nearly every timeline line) costs a few string
    searches per line; other text is measured in terminal cells.
    """
    width = max(width, 1)
    if text.isascii():
        if len(text) <= width and "\n" not in text:
            return [(0, len(text))]
        return _wrap_ascii(text, width)
    return _wrap_cells(text, width)


def _wrap_ascii(text: str, width: int) -> list[tuple[int, int]]:
    lines = []
    start, end_of_text = 0, len(text)
    while start < end_of_text:
        newline = text.find("\n", start, start + width + 1)
        if newline != -1:
            lines.append((start, newline))
            start = newline + 1
            continue
        if end_of_text - start <= width:
            lines.append((start, end_of_text))
            break
        space = text.rfind(" ", start, start + width + 1)
        if space <= start:  # one word longer than the line: cut it
            lines.append((start, start + width))
            start += width
        else:
            lines.append((start, space))
            start = space + 1
    return lines or [(0, 0)]


def _wrap_cells(text: str, width: int) -> list[tuple[int, int]]:
    lines = []
    start = cells = 0
    last_space = -1
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n":
            lines.append((start, index))
            start, cells, last_space = index + 1, 0, -1
            index += 1
            continue
        size = cell_len(char)
        if cells + size > width and index > start:
            if last_space > start:
                lines.append((start, last_space))
                start = last_space + 1
            else:
                lines.append((start, index))
                start = index
            cells = cell_len(text[start:index])
            last_space = -1
            continue
        if char == " ":
            last_space = index
        cells += size
        index += 1
    lines.append((start, len(text)))
    return lines


class TimelineView(ScrollView, can_focus=True):
    """The events given to `show`, newest last. It follows new events to the end."""

    COMPONENT_CLASSES = {"timeline--time", "timeline--emphasis"}

    DEFAULT_CSS = """
    TimelineView { height: 1fr; overflow-x: hidden; padding: 0 1; scrollbar-gutter: stable; }
    TimelineView > .timeline--time { color: $text-muted; }
    TimelineView > .timeline--emphasis { text-style: bold; }
    """

    def __init__(self, placeholder: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: Sequence[TimelineLine] = ()
        self.placeholder = placeholder
        self._width = -1  # the width `_lines` was laid out for
        self._starts: list[int] = []  # first line of each event
        self._breaks: list[list[tuple[int, int]]] = []
        self._line_count = 0
        self._strips: dict[tuple[int, int], Strip] = {}
        self._styles: dict[str, Style] | None = None
        self._styles_stale = False
        self._follow = True  # scroll to the newest line at the next layout
        self._at_end = True  # the reader was at the newest line (kept across resizes)
        self._keep: tuple[int, int] | None = None  # (event counted from the end, line in it) to stay on
        self._top_after_layout = False  # the reader moved up before the first layout
        self._sized_for: Size | None = None
        self._content_width_now = 0

    # -- data ---------------------------------------------------------------------------------

    def show(self, events: Sequence[TimelineLine]) -> None:
        """Show these events instead. A reader at the newest line stays there; one reading further up
        stays on the same event, counted from the end (older events arriving above keep it put)."""
        if self.events and not (self._follow or self._at_end) and self._starts and self.scroll_y > 0:
            # (a reader at the very top, who pressed home, stays at the top: on the oldest event)
            top = int(self.scroll_y)
            index = max(bisect_right(self._starts, top) - 1, 0)
            self._keep = (len(self.events) - index, top - self._starts[index])
        self.events = events
        self._width = -1
        self._strips.clear()
        if self.size.width:
            self._lay_out(self.scrollable_content_region.width)
        self.refresh()

    def append(self, new: Sequence[TimelineLine]) -> None:
        """Add events at the end, laying out only those: a reader at the newest line follows them,
        one reading further up stays put."""
        if not new:
            return
        if self.events:  # the lines painted blank past the old end go; the others stay
            self._strips = {key: strip for key, strip in self._strips.items() if key[0] < self._line_count}
        else:  # the placeholder goes
            self._strips.clear()
        self.events = [*self.events, *new]
        if self._width > 0:
            text_width, extra = self._text_width(self._width), 1 if self._narrow(self._width) else 0
            line = self._line_count
            for event in new:
                lines = wrap(event.text, text_width)
                self._starts.append(line)
                self._breaks.append(lines)
                line += len(lines) + extra
            self._line_count = line
            self._follow = self._follow or self._at_end
            if self.show_vertical_scrollbar and self.virtual_size.width == self._width:
                self._grow(Size(self._width, line))
            else:
                self._lay_out(self._width)
        self.refresh()

    def _grow(self, size: Size) -> None:
        """More lines below a scrollbar that is already shown: only its thumb moves, so the screen
        needs no new layout (setting `virtual_size` would ask Textual for one, a frame later)."""
        with self.vertical_scrollbar.held():  # painted once, and only if its thumb moved
            self.set_reactive(TimelineView.virtual_size, size)
            self._scroll_update(size)
            if self._follow:
                self._follow = False
                self.scroll_to(y=max(size.height - self.scrollable_content_region.height, 0),
                               animate=False, force=True, immediate=True)

    def say(self, text: str) -> None:
        """What to show while there are no events (they are being read, or could not be)."""
        self.placeholder = text
        self._strips.clear()
        self.refresh()

    @property
    def line_count(self) -> int:
        return self._line_count

    def text_lines(self) -> list[str]:
        """Every event as one line of plain text, oldest first: what a reader scrolling through
        reads, unwrapped (for tests; nothing on screen changes)."""
        styles = self._line_styles()
        return [
            "".join(segment.text for segment in self._prefix(event, styles)) + event.text for event in self.events
        ]

    def on_unmount(self) -> None:
        # A closed screen's widgets stay in reference cycles until the garbage collector's next
        # pass over them, which then meets every closed screen's painted lines and line breaks
        # (one pass met dozens and took 250 ms). Dropped here, they are freed at once.
        self._strips.clear()
        self._breaks, self._starts, self.events = [], [], ()

    def _scroll_update(self, virtual_size: Size) -> None:
        super()._scroll_update(virtual_size)
        # The view scrolls to the newest line before its scrollbar is shown (the first layout),
        # and Textual tells the bar where the view is only on a scroll made while it is shown:
        # without this the thumb sat at the top of a timeline open at its end.
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = self.scroll_y

    @property
    def vertical_scrollbar(self) -> SteadyScrollBar:
        """Textual's scrollbar, repainted only when its thumb moves (`steady_scrollbar.py`)."""
        if self._vertical_scrollbar is None:
            bar = self._vertical_scrollbar = SteadyScrollBar(vertical=True, name="vertical",
                                                             thickness=self.scrollbar_size_vertical)
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar  # type: ignore[return-value]

    # -- layout -------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._lay_out(self.scrollable_content_region.width)

    def _lay_out(self, width: int) -> None:
        """Work out where every event's text breaks at this width (cheap: offsets, no strings)."""
        if width <= 0:
            return
        at_end = self._follow or self._at_end
        if width != self._width:
            self._width = width
            self._strips.clear()
            text_width = self._text_width(width)
            breaks = [wrap(event.text, text_width) for event in self.events]
            starts, line = [], 0
            for lines in breaks:
                starts.append(line)
                line += len(lines) + (1 if self._narrow(width) else 0)
            self._breaks, self._starts, self._line_count = breaks, starts, line
        self.virtual_size = Size(width, max(self._line_count, 1 if self.placeholder else 0))
        if self._top_after_layout:
            self._top_after_layout = False
            self._at_end = False
            self.scroll_to(y=0, animate=False, force=True, immediate=True)
            return
        if self._keep is not None:
            from_end, within = self._keep
            self._keep = None
            index = len(self.events) - from_end
            if 0 <= index < len(self._starts):
                self.scroll_to(y=self._starts[index] + within, animate=False, force=True, immediate=True)
                return
        if at_end:
            self._follow = False
            self.scroll_to(y=max(self._line_count - self.scrollable_content_region.height, 0),
                           animate=False, force=True, immediate=True)  # force: before the scrollbar is shown

    # A key that moves the reader, pressed before the view was first laid out (`2` then `home`
    # typed at once), must not be undone by that first layout scrolling to the newest line.
    def action_scroll_home(self) -> None:
        self._moved_by_reader()
        super().action_scroll_home()

    def action_page_up(self) -> None:
        self._moved_by_reader()
        super().action_page_up()

    def action_scroll_up(self) -> None:
        self._moved_by_reader()
        super().action_scroll_up()

    def _moved_by_reader(self) -> None:
        if self._width < 0 and self._follow:
            self._follow = False
            self._at_end = False
            self._keep = None
            self._top_after_layout = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._at_end = new_value >= self.max_scroll_y

    def _narrow(self, width: int) -> bool:
        return width - PREFIX < NARROW_TEXT

    def _text_width(self, width: int) -> int:
        return width - 2 if self._narrow(width) else width - PREFIX

    # -- painting -----------------------------------------------------------------------------

    def _content_width(self) -> int:
        """The width lines are laid out for, worked out once per size (Textual's
        `scrollable_content_region` costs more than painting a line, and is asked for every line)."""
        size = self.size
        if size != self._sized_for:
            self._sized_for = size
            self._content_width_now = self.scrollable_content_region.width
        return self._content_width_now

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        if width != self._width:
            self._lay_out(width)
        line = self.scroll_offset.y + y
        self._line_styles()  # a changed theme drops the painted lines
        key = (line, width)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 1_000:
                self._strips.clear()
            strip = self._strips[key] = self._paint(line, width)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_stale = True  # looked at when next painted: focus changes restyle, rarely the lines

    def _paint(self, line: int, width: int) -> Strip:
        styles = self._line_styles()
        if not self.events:
            text = self.placeholder if line == 0 else ""
            return Strip([Segment(text, styles["time"])]).crop_extend(0, width, styles["base"])
        index = bisect_right(self._starts, line) - 1
        if index < 0 or line >= self._line_count:
            return Strip.blank(width, styles["base"])
        event = self.events[index]
        part = line - self._starts[index]
        narrow = self._narrow(width)
        if narrow and part == 0:  # time, actor and kind on a line of their own
            segments = self._prefix(event, styles)
        else:
            if narrow:
                part -= 1
            start, end = self._breaks[index][part]
            text = Segment(event.text[start:end], styles["base"])
            if narrow:
                segments = [Segment("  ", styles["base"]), text]
            elif part == 0:
                segments = [*self._prefix(event, styles), text]
            else:
                segments = [Segment(" " * PREFIX, styles["base"]), text]
        return Strip(segments).crop_extend(0, width, styles["base"])

    def _prefix(self, event: TimelineLine, styles: dict[str, Style]) -> list[Segment]:
        at = from_text(event.at) if isinstance(event.at, str) else event.at
        try:
            kind: EventKind | str = EventKind(event.kind)
        except ValueError:  # a kind this version does not know yet: shown as it is stored
            kind = str(event.kind)
        label = KIND_LABEL.get(kind, kind.value) if isinstance(kind, EventKind) else kind
        actor = event.actor if cell_len(event.actor) <= ACTOR_WIDTH else event.actor[: ACTOR_WIDTH - 1] + "…"
        return [
            Segment(at.strftime("%b %d %H:%M").ljust(TIME_WIDTH + 1), styles["time"]),
            Segment(actor.ljust(ACTOR_WIDTH + 1), styles["base"]),
            Segment(label[:KIND_WIDTH].ljust(KIND_WIDTH + 1), styles["emphasis"] if kind in EMPHASIZED else styles["base"]),
        ]

    def _line_styles(self) -> dict[str, Style]:
        if self._styles is None or self._styles_stale:
            self._styles_stale = False
            base = self.rich_style
            styles = {
                "base": base,
                "time": self.get_component_rich_style("timeline--time"),  # full: muted text blends with the background
                "emphasis": base + self.get_component_rich_style("timeline--emphasis", partial=True),
            }
            if styles != self._styles:  # the painted lines are kept while their styles hold
                self._styles = styles
                self._strips.clear()
        return self._styles
