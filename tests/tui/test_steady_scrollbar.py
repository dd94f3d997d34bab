"""The timeline's scrollbar repaints only when its thumb moves, and is never left showing an old
thumb (issue 18: an outside change repaints in under 16 ms)."""

from __future__ import annotations

import itertools

from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.scrollbar import ScrollBarRender

from oncall.tui.widgets.steady_scrollbar import SteadyScrollBar, thumb

from tui_support import SIZE, open_timeline, wait_for
from test_typing_during_writes import add_notes, other_process


def drawn(size: int, virtual_size: int, window_size: int, position: float) -> list[tuple[str, object]]:
    """The scrollbar as Textual draws it, glyph and colour per cell (as `ScrollBar._render_bar`
    asks for it)."""
    window_size = window_size if window_size < virtual_size else 0
    bar = ScrollBarRender.render_bar(size=size, virtual_size=virtual_size, window_size=window_size,
                                     position=position, thickness=2, vertical=True)
    return [(segment.text, segment.style) for segment in bar.segments]


def fresh_paint(bar) -> list[list]:
    """The bar's lines painted from scratch, leaving what is on screen (the lines last painted,
    kept in its caches until it is marked for repainting) as it was."""
    kept = bar._styles_cache, bar._render_cache, dict(bar._layout_cache)
    bar._styles_cache = StylesCache()
    bar._layout_cache.clear()  # holds the picture Textual drew last
    render = bar.render
    bar.render = type(bar).render.__get__(bar)  # not counted as a repaint
    try:
        bar._render_content()
        return [list(strip) for strip in bar.render_lines(Region(0, 0, *bar.size))]
    finally:
        bar.render = render
        bar._styles_cache, bar._render_cache = kept[0], kept[1]
        bar._layout_cache.clear()
        bar._layout_cache.update(kept[2])


def test_the_same_thumb_is_the_same_picture_and_a_moved_thumb_another():
    """`thumb` repeats Textual's arithmetic; if a new Textual draws differently, this fails."""
    pictures: dict[object, list] = {}
    cases = itertools.product((1, 2, 10, 23, 45), (1, 10, 44, 45, 46, 300, 5_001, 1_000_000), (0, 1, 20, 45),
                              (0, 0.125, 1, 7.5, 250, 4_955.875, 999_955))
    checked = 0
    for size, virtual_size, window_size, position in cases:
        if position > max(virtual_size - window_size, 0):
            continue  # past the end: Textual never scrolls there
        # ScrollBar.position keeps eighths of a cell, as Textual's validator does
        position = int(position * 8) / 8
        key = (size, thumb(size, virtual_size, window_size, position))
        picture = drawn(size, virtual_size, window_size, position)
        if key in pictures:
            assert pictures[key] == picture, (size, virtual_size, window_size, position)
        pictures[key] = picture
        checked += 1
    assert checked > 300
    by_picture: dict[str, object] = {}
    for key, picture in pictures.items():  # different thumbs, different pictures
        by_picture.setdefault(repr(picture), key)
    assert len(by_picture) == len(pictures)


async def test_notes_arriving_one_by_one_repaint_the_scrollbar_only_when_its_thumb_moves(demo_app):
    app = demo_app()
    total = add_notes(app.session.service, 150, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_timeline(pilot)
        bar = view.vertical_scrollbar
        assert isinstance(bar, SteadyScrollBar) and bar.display
        renders = 0
        real_render = bar.render

        def counted_render():
            nonlocal renders
            renders += 1
            return real_render()

        bar.render = counted_render
        teammate = other_process(app)
        moves = 0
        for n in range(60):
            before = thumb(bar.size.height, view.virtual_size.height, view.scrollable_content_region.height,
                           view.scroll_y)
            teammate.add_note(1, f"outside {n}")
            app.check_for_changes()
            await wait_for(pilot, lambda: len(view.events) == total + n + 1)
            await pilot.pause()
            now = thumb(bar.size.height, view.virtual_size.height, view.scrollable_content_region.height,
                        view.scroll_y)
            moves += now != before
            # What is on screen (the lines last painted, kept until the bar is marked for repainting)
            # is what a fresh paint shows: never an old thumb.
            on_screen = [list(strip) for strip in bar.render_lines(Region(0, 0, *bar.size))]
            assert fresh_paint(bar) == on_screen, n
            assert view.scroll_y == view.max_scroll_y
        assert 0 < moves < 60
        assert moves <= renders <= moves + 60 // 6, f"{renders} repaints for {moves} moves of the thumb"
        teammate.db.close()


def thumb_rows(bar) -> list[int]:
    """The rows of the scrollbar the thumb is drawn on, as on screen."""
    lines = bar.render_lines(Region(0, 0, *bar.size))
    return [row for row, strip in enumerate(lines)
            if any(segment.style and segment.style.meta.get("@mouse.down") == "grab" for segment in strip)]


async def test_a_timeline_opened_at_its_newest_line_has_its_thumb_at_the_bottom(demo_app):
    """The view scrolls to the newest line before its scrollbar is shown: the thumb must still be
    drawn where the view is, not at the top."""
    app = demo_app()
    add_notes(app.session.service, 150, "note {n}")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_timeline(pilot)
        bar = view.vertical_scrollbar
        assert view.scroll_y == view.max_scroll_y > 0
        rows = thumb_rows(bar)
        assert rows and rows[-1] == bar.size.height - 1, rows
        await pilot.press("home")
        await pilot.pause()
        assert thumb_rows(bar)[0] == 0
