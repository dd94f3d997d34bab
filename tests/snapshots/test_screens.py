"""How the three main screens look. Open the SVGs under __snapshots__ after changing them."""

from __future__ import annotations

SIZE = (140, 40)  # fixed, so snapshots do not depend on the terminal


def test_queue(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE)


def test_queue_searching(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["slash", *"cac"])


def test_incident(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["enter"])


def test_declare(snap_compare, demo_app):
    async def fill_in(pilot):
        await pilot.press("d")
        await pilot.press(*"Signups flat since 06:00")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=fill_in)
