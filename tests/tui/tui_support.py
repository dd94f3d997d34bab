"""What the console tests share: the frozen moment, the terminal size, and reading a widget's words."""

from __future__ import annotations

import io
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
