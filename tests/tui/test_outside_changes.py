"""Two terminals, one database: what the command line does shows up in the open console."""

from __future__ import annotations

import subprocess
import sys
import time

from oncall.tui.screens.incident import IncidentScreen
from oncall.tui.widgets.queue_table import QueueTable

from tui_support import SIZE, timeline_text, wait_for


def run_cli(workspace, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "oncall", "--workspace", str(workspace), *args],
        check=True, capture_output=True, text=True,
    )


async def test_cli_declare_appears_in_the_open_queue_within_a_second(demo_app, tmp_path):
    app = demo_app(poll=True)
    workspace = tmp_path / "workspace"
    # Point the workspace at the console's database file, as a team would with `database = ...`.
    text = (workspace / "oncall.toml").read_text().replace(
        '# database = "state/oncall.db"', 'database = "oncall.db"')
    (workspace / "oncall.toml").write_text(text)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(QueueTable)
        assert table.total == 15
        run_cli(workspace, "declare", "--title", "Exec dashboard blank", "--severity", "SEV-1",
                "--asset", "cac-dashboard")
        started = time.monotonic()
        await wait_for(pilot, lambda: table.total == 16)
        assert time.monotonic() - started < 1.5
        titles = [table.row_at(i).title for i in range(table.total)]
        assert "Exec dashboard blank" in titles

        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        run_cli(workspace, "note", str(screen.incident.id), "added from another terminal")
        await wait_for(pilot, lambda: "added from another terminal" in timeline_text(screen))


async def test_the_console_closes_when_its_terminal_goes_away(demo_app):
    import os
    import pty

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        window, terminal = pty.openpty()  # stands in for the terminal the console runs in
        app._terminal = terminal
        app.check_for_changes()
        await pilot.pause()
        assert app.return_code is None, "still in its terminal: stays open"
        os.close(window)  # the window is closed
        app.check_for_changes()
        await pilot.pause()
        assert app.return_code == 0
    os.close(terminal)
