"""How the main screens look, at 80×24 (a laptop split in two) and at 160×50.

Open the SVGs under __snapshots__ after changing them (`rsvg-convert -o x.png file.svg`).
"""

from __future__ import annotations

import pytest

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}
sizes = pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())


def after(*keys: str):
    """Press `keys`, then wait until the console's background reads have been painted."""

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@sizes
def test_queue(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after())


@sizes
def test_queue_searching(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("slash", *"cac"))


@sizes
def test_incident_overview(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter"))


@sizes
def test_incident_timeline(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "2"))


@sizes
def test_declare(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("d", *"Signups flat since 06:00"))
