"""The incident queue as a virtual table: it paints only the rows on screen, asking its source
for them a page at a time, so 100,000 incidents cost what twenty do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Callable, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from oncall.domain.clock import from_text, humanize_age
from oncall.store.queue import QueueRow

PAGE = 100
STATUS_GROUP = {"resolved": "resolved", "closed": "done", "dismissed": "done"}


class QueueSource(Protocol):
    """Where the table's rows come from (the screen gives it one; the table never queries)."""

    def count(self) -> int: ...

    def window(self, offset: int, limit: int) -> list[QueueRow]: ...

    def position_of(self, incident_id: int) -> int | None: ...


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # 0: takes the remaining width
    cell: Callable[[QueueRow, datetime], str]
    style: str = ""


COLUMNS = (
    Column("ID", 12, lambda r, now: f"INC-{r.id}"),  # every id the store allows: INC-16777215
    Column("SEV", 6, lambda r, now: r.severity, "sev"),
    Column("STATUS", 14, lambda r, now: r.status, "status"),
    # The countdown to the next stakeholder update (`domain/cadence.py`), red once overdue.
    Column("DUE", 11, lambda r, now: _due(r, now), "due"),
    Column("TITLE", 0, lambda r, now: ("[drill] " if r.is_drill else "") + r.title),
    Column("ASSET", 24, lambda r, now: r.asset),
    Column("IC", 8, lambda r, now: r.ic or "—"),
    Column("AGE", 5, lambda r, now: humanize_age(now - from_text(r.detected_at))),
    Column("UPDATED", 8, lambda r, now: humanize_age(now - from_text(r.updated_at)) + " ago"),
)
# As the terminal narrows the title keeps at least TITLE_MIN cells, and these columns make room
# for it, least needed first; they come back in the reverse order as it widens.
DROP_ORDER = ("UPDATED", "AGE", "ASSET", "DUE", "IC")
TITLE_MIN = 30


@lru_cache(maxsize=16)
def layout(total: int) -> tuple[tuple[Column, int], ...]:
    """The columns shown in `total` cells and the width of each (one space follows each column).

    Never wider than `total`: a column is either shown whole or not at all.
    """
    shown = list(COLUMNS)
    for title in (None, *DROP_ORDER):
        if title is not None:
            shown = [c for c in shown if c.title != title]
        fixed = sum(c.width + 1 for c in shown if c.width) + 1  # +1: the space after the title
        if total - fixed >= TITLE_MIN:
            break
    return tuple((c, c.width or max(total - fixed, 1)) for c in shown)


def _due(row: QueueRow, now: datetime) -> str:
    if not row.update_due_at:
        return ""
    left = from_text(row.update_due_at) - now  # compact, to fit the column: "in 12m", "now", "overdue 3h"
    if left.total_seconds() < 0:
        return f"overdue {humanize_age(-left)}"
    return "now" if left.total_seconds() < 60 else f"in {humanize_age(left)}"


def header_text(total: int) -> str:
    return " ".join(c.title.ljust(w)[:w] for c, w in layout(total))


class QueueTable(ScrollView, can_focus=True):
    """Rows of the queue; enter opens the incident under the cursor."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "open", "Open", id="queue.open"),
    ]

    COMPONENT_CLASSES = {
        "queue-table--cursor",
        "queue-table--sev-1",
        "queue-table--sev-2",
        "queue-table--sev-3",
        "queue-table--active",
        "queue-table--resolved",
        "queue-table--done",
        "queue-table--overdue",
    }

    DEFAULT_CSS = """
    QueueTable { height: 1fr; overflow-x: hidden; }
    QueueTable > .queue-table--cursor { background: $accent 40%; text-style: bold; }
    QueueTable:blur > .queue-table--cursor { background: $accent 20%; }
    QueueTable > .queue-table--sev-1 { color: $error; text-style: bold; }
    QueueTable > .queue-table--overdue { color: $error; text-style: bold reverse; }
    QueueTable > .queue-table--sev-2 { color: $warning; }
    QueueTable > .queue-table--sev-3 { color: $secondary; }
    QueueTable > .queue-table--active { color: $text; }
    QueueTable > .queue-table--resolved { color: $success; }
    QueueTable > .queue-table--done { color: $text-muted; }
    """

    cursor = reactive(0)

    class Opened(Message):
        """The person asked to open an incident."""

        def __init__(self, incident_id: int) -> None:
            super().__init__()
            self.incident_id = incident_id

    class Counted(Message):
        """The number of rows under the current filter is known."""

        def __init__(self, total: int) -> None:
            super().__init__()
            self.total = total

    def __init__(self, source: QueueSource, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(**kwargs)
        self._source = source
        self._now = now
        self._pages: dict[int, list[QueueRow]] = {}
        self._strips: dict[tuple[int, bool, int], Strip] = {}
        self._style_cache: dict[bool, dict[str, Style]] = {}
        self._generation = 0
        self.empty_text = "No incidents."
        self.total = 0
        self.counting = False

    # -- data ---------------------------------------------------------------------------------

    def reload(self, source: QueueSource | None = None, select_id: int | None = None,
               exact: bool = True) -> None:
        """Read the rows again; put the cursor on `select_id` if given (and still listed).

        With `exact=False` (typing in the search box) the first page is painted at once and the
        full count, which costs ~10 ms for a one-letter search over 100,000 incidents, follows
        right after the paint; `Counted` says when it is known.
        """
        if source is not None:
            self._source = source
        self._generation += 1
        self._pages.clear()
        self._strips.clear()
        first = self._pages[0] = self._source.window(0, PAGE)
        self.counting = not exact and len(first) == PAGE
        self.total = len(first) if self.counting else self._source.count()
        self._set_virtual_height(self.total)
        position = None
        if select_id is not None:
            position = self.index_of(select_id)
            if position is None:
                position = self._source.position_of(select_id)
        self.cursor = max(0, min(position or 0, self.total - 1))
        self._scroll_cursor_into_view()
        self.refresh()
        if self.counting:
            self.call_after_refresh(self._count, self._generation)
        else:
            self.post_message(self.Counted(self.total))

    def _count(self, generation: int) -> None:
        if generation != self._generation:
            return  # another key came first; its own count will follow
        self.total = self._source.count()
        self.counting = False
        self._set_virtual_height(self.total)
        self.post_message(self.Counted(self.total))

    def row_at(self, index: int) -> QueueRow | None:
        if not 0 <= index < self.total:
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            if len(self._pages) > 50:  # keep memory flat while scrolling far
                self._pages.clear()
            rows = self._pages[page] = self._source.window(page * PAGE, PAGE)
        position = index - page * PAGE
        return rows[position] if position < len(rows) else None

    def index_of(self, incident_id: int) -> int | None:
        """Where an incident is among the rows already read (a query saved when it is on top)."""
        for page, rows in self._pages.items():
            for position, row in enumerate(rows):
                if row.id == incident_id:
                    return page * PAGE + position
        return None

    @property
    def view_size(self) -> Size:
        """The cells rows are painted into: the widget less its scrollbar."""
        return self.scrollable_content_region.size

    @property
    def current(self) -> QueueRow | None:
        return self.row_at(self.cursor)

    # -- painting -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.view_size.width
        # Textual repaints every visible line after any layout (a key in the search box causes
        # one); painting a row costs far more than looking it up, so keep what was painted.
        key = (index, index == self.cursor, width)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 500:
                self._strips.clear()
            strip = self._strips[key] = self._paint(index, width)
        return strip

    def refresh_ages(self) -> None:
        """Ages and 'updated … ago' move with the clock: repaint them."""
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._style_cache.clear()

    def _paint(self, index: int, width: int) -> Strip:
        row = self.row_at(index)
        styles = self._row_styles(index == self.cursor)
        if row is None:
            if self.total == 0 and index == 1:  # say why the table is empty, and what to do
                hint = Segment(f"  {self.empty_text}", styles["done"])
                return Strip([hint]).crop_extend(0, width, self._row_styles(False)["base"])
            return Strip.blank(width, self._row_styles(False)["base"])
        now = self._now()
        row_style = styles[STATUS_GROUP.get(row.status, "active")]
        segments = []
        for column, column_width in layout(width):
            text = column.cell(row, now)
            # Measured in terminal cells: CJK and emoji take two, combining marks none.
            cells = cell_len(text)
            text = set_cell_size(text, column_width - 1) + "…" if cells > column_width else text + " " * (column_width - cells)
            style = (styles[row.severity] if column.style == "sev"
                     else styles["overdue"] if column.style == "due" and text.startswith("overdue") else row_style)
            segments.append(Segment(text + " ", style))
        return Strip(segments).crop_extend(0, width, styles["base"])

    def _row_styles(self, on_cursor: bool) -> dict[str, Style]:
        """The styles a row is painted with, worked out once per theme rather than per line."""
        cached = self._style_cache.get(on_cursor)
        if cached is None:
            base = self.rich_style
            if on_cursor:
                base = base + self.get_component_rich_style("queue-table--cursor")
            cached = {"base": base}
            for group in ("active", "resolved", "done"):
                cached[group] = base + self.get_component_rich_style(f"queue-table--{group}", partial=True)
            cached["overdue"] = base + self.get_component_rich_style("queue-table--overdue", partial=True)
            for severity in ("SEV-1", "SEV-2", "SEV-3"):
                cached[severity] = base + self.get_component_rich_style(
                    f"queue-table--sev-{severity[-1]}", partial=True)
            self._style_cache[on_cursor] = cached
        return cached

    def on_resize(self) -> None:
        self.virtual_size = Size(self.view_size.width, self.total)

    def _set_virtual_height(self, rows: int) -> None:
        """Change how many rows there are without a layout pass when the scrollbar stays as it is.

        A layout repaints the whole screen (~30 ms at 160×50); typing in the search box changes
        the row count on nearly every key, and only the table and its scrollbar need repainting.
        """
        new = Size(self.view_size.width, rows)
        height = self.size.height
        same_scrollbar = (rows > height) == (self.virtual_size.height > height)
        if not same_scrollbar or new.width != self.virtual_size.width or not self.is_mounted:
            self.virtual_size = new
            return
        self.set_reactive(QueueTable.virtual_size, new)
        if rows > height:
            self.vertical_scrollbar.window_virtual_size = rows
        if self.scroll_offset.y > self.max_scroll_y:  # fewer rows than before: no blank tail
            self.scroll_to(y=self.max_scroll_y, animate=False)
        self.refresh()

    # -- moving -------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_cursor_into_view()

    def action_cursor(self, delta: int) -> None:
        self.cursor = max(0, min(self.cursor + delta, self.total - 1))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.view_size.height - 1, 1))

    def action_jump(self, where: int) -> None:
        self.cursor = max(0, self.total - 1) if where < 0 else 0

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.total:
            if index == self.cursor and event.chain >= 2:
                self.action_open()
            self.cursor = index

    def _scroll_cursor_into_view(self) -> None:
        height = max(self.view_size.height, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
