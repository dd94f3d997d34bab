"""The incident queue as a virtual table: it paints only the rows on screen, asking its source
for them a page at a time, so 100,000 incidents cost what twenty do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

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


class QueueSource(Protocol):
    """Where the table's rows come from (the screen gives it one; the table never queries)."""

    def count(self) -> int: ...

    def window(self, offset: int, limit: int) -> list[QueueRow]: ...


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # 0: takes the remaining width
    cell: Callable[[QueueRow, datetime], str]
    style: str = ""


COLUMNS = (
    Column("ID", 9, lambda r, now: f"INC-{r.id}"),
    Column("SEV", 6, lambda r, now: r.severity, "sev"),
    Column("STATUS", 14, lambda r, now: r.status, "status"),
    Column("TITLE", 0, lambda r, now: ("[drill] " if r.is_drill else "") + r.title),
    Column("ASSET", 24, lambda r, now: r.asset),
    Column("IC", 8, lambda r, now: r.ic or "—"),
    Column("AGE", 5, lambda r, now: humanize_age(now - from_text(r.detected_at))),
    Column("UPDATED", 8, lambda r, now: humanize_age(now - from_text(r.updated_at)) + " ago"),
)


def column_widths(total: int) -> list[int]:
    fixed = sum(c.width for c in COLUMNS) + len(COLUMNS)  # one space after each column
    flexible = max(total - fixed, 12)
    return [c.width or flexible for c in COLUMNS]


def header_text(total: int) -> str:
    return " ".join(c.title.ljust(w)[:w] for c, w in zip(COLUMNS, column_widths(total)))


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
    }

    DEFAULT_CSS = """
    QueueTable { height: 1fr; }
    QueueTable > .queue-table--cursor { background: $accent 40%; text-style: bold; }
    QueueTable:blur > .queue-table--cursor { background: $accent 20%; }
    QueueTable > .queue-table--sev-1 { color: $error; text-style: bold; }
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

    class Highlighted(Message):
        def __init__(self, row: QueueRow | None, index: int, total: int) -> None:
            super().__init__()
            self.row = row
            self.index = index
            self.total = total

    def __init__(self, source: QueueSource, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(**kwargs)
        self._source = source
        self._now = now
        self._pages: dict[int, list[QueueRow]] = {}
        self.total = 0

    # -- data ---------------------------------------------------------------------------------

    def reload(self, source: QueueSource | None = None, select_index: int | None = None) -> None:
        """Read the count again and forget cached rows; keep the cursor where it makes sense."""
        if source is not None:
            self._source = source
        self._pages.clear()
        self.total = self._source.count()
        self.virtual_size = Size(self.size.width, self.total)
        if select_index is not None:
            self.cursor = select_index
        self.cursor = max(0, min(self.cursor, self.total - 1))
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

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

    @property
    def current(self) -> QueueRow | None:
        return self.row_at(self.cursor)

    # -- painting -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        now = self._now()
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("queue-table--cursor")
        group = {"resolved": "resolved", "closed": "done", "dismissed": "done"}.get(row.status, "active")
        row_style = base + self.get_component_rich_style(f"queue-table--{group}", partial=True)
        segments = []
        for column, column_width in zip(COLUMNS, column_widths(width)):
            text = column.cell(row, now)
            text = (text[: column_width - 1] + "…") if len(text) > column_width else text.ljust(column_width)
            style = row_style
            if column.style == "sev":
                style = base + self.get_component_rich_style(f"queue-table--sev-{row.severity[-1]}", partial=True)
            segments.append(Segment(text + " ", style))
        return Strip(segments).crop_extend(0, width, base)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total)

    # -- moving -------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_cursor_into_view()
        self._announce()

    def action_cursor(self, delta: int) -> None:
        self.cursor = max(0, min(self.cursor + delta, self.total - 1))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 1, 1))

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
        height = max(self.size.height, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self.current, self.cursor, self.total))
