"""A vertical scrollbar that repaints only when what it shows changes.

Textual repaints a scrollbar whenever its position or the length of what it scrolls changes. On
a timeline of thousands of lines a new line at the end moves the thumb by a hundredth of a
cell: the picture stays the same most times, yet its whole column was painted again on every
outside change. This one compares what it would draw (the thumb's ends, in the eighths of a cell
Textual draws, and the hover and grab states) with what it drew last, and repaints only when
they differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from math import ceil

from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widget import Widget

EIGHTHS = len(ScrollBarRender.VERTICAL_BARS)


def thumb(size: int, virtual_size: int, window_size: int, position: float) -> tuple[int, int] | None:
    """Where the thumb is drawn, in eighths of a cell: the same arithmetic as
    `ScrollBar._render_bar` and `ScrollBarRender.render_bar` (Textual 8.2; a test holds them equal).
    None when no thumb is drawn."""
    window_size = window_size if window_size < virtual_size else 0
    if not (window_size and size and virtual_size and size != virtual_size):
        return None
    thumb_size = max(1, window_size / (virtual_size / size))
    at = (size - thumb_size) * (position / (virtual_size - window_size))
    start = int(at * EIGHTHS)
    return start, start + ceil(thumb_size * EIGHTHS)


class SteadyScrollBar(ScrollBar):
    _drawn: tuple | None = None
    _holding = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """Change several things (the length, then the position) and repaint once at the end, if the
        picture changed: the steps in between are never painted."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            self.refresh()

    def _look(self) -> tuple:
        size = self.size
        length = size.height if self.vertical else size.width
        return (size, thumb(length, ceil(self.window_virtual_size), ceil(self.window_size), self.position),
                self.mouse_over, self.grabbed is not None)

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Widget:
        if not (regions or layout or recompose) and (
                self._holding or (self._drawn is not None and self._look() == self._drawn)):
            return self  # the same picture, or not finished yet: nothing to paint now
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render(self):
        self._drawn = self._look()
        return super().render()

    def notify_style_update(self) -> None:
        self._drawn = None  # new colours: the next refresh paints
        super().notify_style_update()
