"""How intake looks: the report form, the IC's triage form, and the Lineage tab, at 80×24 and
160×50 (the demo at a frozen moment)."""

from __future__ import annotations

import pytest

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}
sizes = pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())


def after(*keys: str, report: bool = False):
    """Optionally open a new report's incident screen; press `keys`; wait for the background reads."""

    async def run_before(pilot) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        app = pilot.app
        await app.workers.wait_for_complete()
        if report:
            reported = app.session.intake_service.report("sofia", "EMEA spend is zero on the ROI dashboard")
            await app.push_screen(IncidentScreen(reported.incident.id))
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@sizes
def test_report_form(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("r", *"EMEA spend is zero since 09:00"))


@sizes
def test_triage_form(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("s", report=True))


@sizes
def test_lineage_tab(snap_compare, demo_app, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=after("enter", "7"))
