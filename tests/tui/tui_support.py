"""What the console tests share: the frozen moment, the terminal size, and reading a widget's words."""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone

from rich.console import Console
from rich.text import Text

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
SIZE = (140, 40)


def shown(widget, width: int = 200) -> str:
    """The words a Static widget shows, rendered as plain text the way a person reads them."""
    content = widget.content
    if isinstance(content, str):  # as the widget reads it: markup, unless it shows text as given
        content = Text.from_markup(content) if getattr(widget, "_render_markup", True) else Text(content)
    console = Console(width=width, color_system=None, file=io.StringIO())
    with console.capture() as capture:
        console.print(content)
    return capture.get()


def painted(widget) -> list[str]:
    """The lines a widget paints on screen now, as plain text, without trailing spaces."""
    from textual.geometry import Region

    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, *widget.region.size))]


def timeline_text(screen) -> str:
    """Every line of the incident's Timeline tab, as a reader scrolling through it sees them."""
    from oncall.tui.widgets.timeline import TimelineView

    return "\n".join(screen.query_one("#timeline", TimelineView).text_lines())


async def wait_for(pilot, condition, seconds: float = 5.0) -> None:
    """Let the console run until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the console did not show the change in time"
        await pilot.pause(0.02)


async def settled(pilot) -> None:
    """Wait until the console's background reads are done and it has painted what they found."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_timeline(pilot):
    """From the queue: open the incident under the cursor (INC-1) on its Timeline tab, and return
    that tab's view once it is painted."""
    from oncall.tui.widgets.timeline import TimelineView

    await settled(pilot)
    await pilot.press("enter", "2")
    await settled(pilot)
    return pilot.app.screen.query_one("#timeline", TimelineView)
