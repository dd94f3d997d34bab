"""Console tests drive the real app on a real SQLite file with a frozen clock."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from rich.console import Console
from rich.text import Text

from oncall.tui.demo_app import build_demo_app

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
SIZE = (140, 40)


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ONCALL_USER", "maya")

    def make(**kwargs):
        return build_demo_app(tmp_path / "workspace", NOW, **kwargs)

    return make


def shown(widget, width: int = 200) -> str:
    """The words a Static widget shows, rendered as plain text the way a person reads them."""
    content = widget.content
    if isinstance(content, str):
        content = Text.from_markup(content)
    console = Console(width=width, color_system=None, file=io.StringIO())
    with console.capture() as capture:
        console.print(content)
    return capture.get()
