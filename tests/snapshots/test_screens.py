"""How the main screens look, at 80×24 (a laptop split in two) and at 160×50.

Open the SVGs under __snapshots__ after changing them (`rsvg-convert -o x.png file.svg`).
"""

from __future__ import annotations

from datetime import timedelta

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


def with_wide_text(app):
    """The demo plus what people paste: CJK, emoji, combining marks, and an id past 100,000."""
    from oncall.domain.severity import Severity
    from oncall.service.incidents import Declaration

    service = app.session.service
    for title in ("日本語のタイトル: 週次CACが表示されない", "CAC 📉 dropped 40% overnight 🔥", "Zalgo t\u0351e\u0360x\u0361t in asset names"):
        service.declare(Declaration(title=title, severity=Severity.SEV2, asset="cac-dashboard"))
    with service.db.write() as conn:  # the largest id the store allows
        conn.execute("INSERT INTO incidents (id, title, severity, severity_rank, status, queue_group, asset, source, "
                     "detected_at, updated_at) VALUES (16777215, 'The largest id', 'SEV-1', 1, 'investigating', 0, "
                     "'cac-dashboard', 'alert', '2026-11-27T09:00:00Z', '2026-11-27T09:59:00Z')")
    return app


@sizes
def test_queue_with_wide_characters(snap_compare, demo_app, size):
    assert snap_compare(with_wide_text(demo_app()), terminal_size=size, run_before=after())


@sizes
def test_incident_roles(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "3"))


@sizes
def test_incident_raci(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "4"))


@sizes
def test_people(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("P"))


@sizes
def test_incident_runbooks(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "5"))


@sizes
def test_runbook_viewer(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "5", "enter", "d"))


@sizes
def test_composer(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size,
                        run_before=after("enter", "u", *"reloading the CRM export"))


@sizes
def test_postmortem_tab(snap_compare, demo_app, size):
    # INC-12, the CRM export SEV-1: a complete post-mortem, one action item done, one overdue.
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("/", *"CRM export", "enter", "enter", "6"))


@sizes
def test_postmortem_editor(snap_compare, demo_app, size):
    # INC-6, the Google Ads SEV-1: a draft, and a sentence that blames a person flagged under it.
    assert snap_compare(demo_app(), terminal_size=size,
                        run_before=after("/", *"Google Ads", "enter", "enter", "6", "enter",
                                         *"Tom forgot to check the currency field. "))


def with_drill(*then: str, minutes: int = 7):
    """Start the CAC drill at 60× from the drill screen, let `minutes` of scenario time pass, press `then`."""

    async def run_before(pilot) -> None:
        app = pilot.app
        app.notify = lambda *args, **kwargs: None  # toasts come and go with real time: not part of the picture
        await app.workers.wait_for_complete()
        await pilot.press("D", "n", *"cac", "tab", *"60", "enter")
        await pilot.pause()
        app.session.clock.advance(timedelta(seconds=minutes))
        app.tick_drill()
        await pilot.press(*then)
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@sizes
def test_drill_channel(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=with_drill())


@sizes
def test_drill_banner_on_the_queue(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=with_drill("escape"))


@sizes
def test_drill_scorecard(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=with_drill("E", "enter"))


def with_history(app):
    """The demo console with the year of history `make run` seeds (issue 16)."""
    from datetime import datetime, timezone

    from oncall.demo.history import seed_history

    seed_history(app.session.database, app.session.config, datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc))
    return app


def with_the_hours(*keys: str):
    """`after(keys)`, then until the metrics screen has read the hours on roles too (a second read)."""

    async def run_before(pilot) -> None:
        await after(*keys)(pilot)
        for _ in range(200):
            if getattr(pilot.app.screen, "cost", None) is not None:
                break
            await pilot.pause(0.01)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@sizes
def test_metrics(snap_compare, demo_app, size):
    assert snap_compare(with_history(demo_app()), terminal_size=size, run_before=with_the_hours("M"))


@sizes
def test_metrics_cost(snap_compare, demo_app, size):
    assert snap_compare(with_history(demo_app()), terminal_size=size, run_before=with_the_hours("M", "c"))
