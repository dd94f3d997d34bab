"""Opening the console: the one place the command line imports Textual.

Only what the first paint needs is read before the app starts (the database path, via a
tomllib glance); the validated config loads right after the queue is on screen.
"""

from __future__ import annotations

import argparse

from oncall.cli.context import clock
from oncall.workspace.paths import workspace_root


def open_console(args: argparse.Namespace) -> int:
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        from oncall.demo.install import ensure_demo_root

        root = ensure_demo_root(clock().now())
    from oncall.tui.app import OncallApp

    # A broken config still opens the console, which shows what is wrong.
    app = OncallApp(root, clock=clock())
    app.run()
    return app.return_code or 0
