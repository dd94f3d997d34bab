"""Child process for bench_console.py: start a console, report when its first screen is painted.

`python console_probe.py oncall WORKSPACE` starts the real console through `oncall.cli.main`;
`python console_probe.py bare` starts a bare Textual app with the same widgets (header, table,
footer). Both run headless at 160×50 and print one JSON line: the wall-clock moment the first
screen was painted and the peak memory so far, then exit.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def report_and_exit(app, extra: dict | None = None) -> None:
    painted = time.time()
    extra = {key: value() if callable(value) else value for key, value in (extra or {}).items()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"painted": painted, "peak_mb": peak_mb, **extra}), flush=True)
    app.exit()


def run_bare() -> None:
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Bare(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(DataTable).add_columns("ID", "SEV", "STATUS", "TITLE", "ASSET", "IC", "AGE", "UPDATED")
            self.call_after_refresh(report_and_exit, self)

    Bare().run(headless=True, size=(160, 50))


def run_oncall(workspace: str, scroll: bool = False) -> None:
    """Start the console exactly as `oncall --workspace PATH` does, headless."""
    from oncall.cli import main
    from oncall.tui.app import OncallApp
    from oncall.tui.screens.queue import QueueScreen

    original = QueueScreen.on_mount

    def on_mount(screen: QueueScreen) -> None:
        original(screen)
        table = screen.query_one("#queue")
        if scroll:
            screen.run_worker(search_and_scroll(screen))
        else:
            # Reported after the first refresh that follows mount and resume: the queue is painted.
            screen.call_after_refresh(report_and_exit, screen.app, {"rows": lambda: table.total})

    QueueScreen.on_mount = on_mount
    run = OncallApp.run
    OncallApp.run = lambda app, **kwargs: run(app, headless=True, size=(160, 50))
    main(["--workspace", workspace])


async def search_and_scroll(screen) -> None:
    """Search, clear, then page through 500 pages: what a long session does to memory."""
    search = screen.query_one("#search")
    table = screen.query_one("#queue")
    await screen.app.animator.wait_for_idle()
    for text in ("stale cac", "silent failure", "s", ""):
        search.value = text
        await screen.app.animator.wait_for_idle()
    for _ in range(500):
        table.action_page(1)
        table.refresh()
        await screen.app.animator.wait_for_idle()
    report_and_exit(screen.app, {"rows": table.total, "cursor": table.cursor})


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        run_bare()
    else:
        run_oncall(sys.argv[2], scroll=sys.argv[1] == "oncall-scroll")
